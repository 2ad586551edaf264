/* Where a started CPU begins. smp.c copies trampoline_start..trampoline_end to SMP_TRAMPOLINE_ADDR
 * and sends SIPI vector SMP_TRAMPOLINE_ADDR >> 12: the CPU begins in real mode at CS:IP =
 * vector << 8 : 0 (SDM vol. 3, 8.4.4.1). The code addresses its data through DS = CS with offsets
 * from trampoline_start, so it runs wherever it was copied. It loads the boot GDT, sets CR0.PE and
 * far-jumps to smp_ap_entry in the image, in 32-bit protected mode. */
#include "guests/lib/boot.h"
#include "guests/lib/smp.h"

#define CR0_PE 1

	.text
	.code16
	.globl trampoline_start, trampoline_end
trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tramp_gdtr - trampoline_start
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl *(tramp_far - trampoline_start)

	.balign 4
tramp_far:
	.long smp_ap_entry
	.word BOOT_CS
	.balign 4
	.word 0
tramp_gdtr:
	.word BOOT_GDT_SIZE - 1
	.long boot_gdt
trampoline_end:

	/* 32-bit, in the image: claim the next CPU index, switch to its stack, enter C. */
	.code32
smp_ap_entry:
	movl $BOOT_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	movl $1, %eax
	lock xaddl %eax, smp_next_index
	cmpl $SMP_MAX_CPUS, %eax
	jae 2f /* more CPUs than stacks: this one stays parked */
	movl %eax, %esp
	shll $14, %esp /* log2(SMP_AP_STACK_SIZE) */
	addl $smp_ap_stacks, %esp /* index i uses [(i-1) * size, i * size): its top is i * size */
	pushl %eax
	call smp_ap_main
2:	cli
	hlt
	jmp 2b

	.section .note.GNU-stack, "", @progbits
