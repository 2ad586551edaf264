/* Multiboot v1 entry of every guest (Multiboot Specification 0.6.96, sections 3.1 and 3.2): the
 * loader (QEMU -kernel, GRUB or doorbell) enters _start in 32-bit protected mode with paging off,
 * EAX = 0x2BADB002 and EBX = the physical address of the multiboot information. The state of the
 * GDT, IDT and stack is undefined, so the stub loads its own GDT and stack, clears .bss and calls
 * runtime_start(magic, info). */
#include "guests/lib/boot.h"

#define MULTIBOOT_MAGIC     0x1badb002
#define MULTIBOOT_PAGE_ALIGN (1 << 0) /* modules on page boundaries */
#define MULTIBOOT_MEMORY_INFO (1 << 1) /* mem_lower/mem_upper (and the map) in the information */
#define MULTIBOOT_FLAGS     (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)

	.section .multiboot, "a"
	.balign 4
	.long MULTIBOOT_MAGIC
	.long MULTIBOOT_FLAGS
	.long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	/* EAX and EBX must survive the .bss clearing below (REP STOSB uses EAX, ECX, EDI). */
	movl %eax, %ebp
	movl %ebx, %esi
	lgdt boot_gdtr
	ljmp $BOOT_CS, $1f
1:	movl $BOOT_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	/* the boot CPU's stack is in .bss, so it is set only after the clearing */
	movl $boot_stack_top, %esp
	pushl %esi
	pushl %ebp
	call runtime_start
2:	cli
	hlt
	jmp 2b

	/* Flat 4 GiB code and data segments (SDM vol. 3, 3.4.5): base 0, limit 0xfffff with G=1,
	 * D/B=1 for 32-bit. The SMP trampoline loads the same GDT on the other CPUs. */
	.data
	.balign 8
	.globl boot_gdt
boot_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* BOOT_CS: present, DPL 0, execute/read */
	.quad 0x00cf92000000ffff /* BOOT_DS: present, DPL 0, read/write */
boot_gdt_end:
	.if boot_gdt_end - boot_gdt - BOOT_GDT_SIZE
	.error "BOOT_GDT_SIZE does not match boot_gdt"
	.endif
	.balign 4
	.word 0
boot_gdtr:
	.word BOOT_GDT_SIZE - 1
	.long boot_gdt

	.bss
	.balign 16
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
