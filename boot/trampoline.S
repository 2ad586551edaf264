/* AP start-up trampoline (AMD APM vol. 2 §14 "Processor initialization"). smp.c copies the bytes
 * between trampoline_start and trampoline_end to a page below 1 MiB, fills in the data block at
 * its end, and sends INIT-SIPI-SIPI with that page number. The AP starts in real mode at
 * CS = page << 8, IP = 0; everything here is addressed relative to that base, since the page is
 * only known at run time. Path: real mode -> 32-bit protected mode -> long mode (PAE, the
 * kernel's CR3, EFER.LME|NXE) -> jump to the 64-bit entry with the AP's stack and per-CPU area. */
#define TR(x) ((x) - trampoline_start)

	.text
	.code16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx /* ebx = linear base of the trampoline */

	leal TR(tramp_gdt)(%ebx), %eax
	movl %eax, TR(tramp_gdt_desc) + 2
	lgdtl TR(tramp_gdt_desc)
	leal TR(tramp_prot)(%ebx), %eax
	movl %eax, TR(tramp_far_prot)

	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl *TR(tramp_far_prot)

	.code32
tramp_prot:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $0x20, %eax /* PAE */
	movl %eax, %cr4
	movl TR(trampoline_cr3)(%ebx), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x900, %eax /* EFER.LME | EFER.NXE */
	wrmsr
	movl %cr0, %eax
	orl $0x80010000, %eax /* PG | WP */
	movl %eax, %cr0
	leal TR(tramp_long)(%ebx), %eax
	movl %eax, TR(tramp_far_long)(%ebx)
	ljmpl *TR(tramp_far_long)(%ebx)

	.code64
tramp_long:
	movl %ebx, %ebx
	movq TR(trampoline_stack)(%rbx), %rsp
	movq TR(trampoline_percpu)(%rbx), %rdi
	xorl %ebp, %ebp
	jmpq *TR(trampoline_entry)(%rbx)

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff /* 0x10: data */
	.quad 0x00209a0000000000 /* 0x18: 64-bit code */
tramp_gdt_end:
tramp_gdt_desc:
	.short tramp_gdt_end - tramp_gdt - 1
	.long 0
tramp_far_prot:
	.long 0
	.short 0x08
tramp_far_long:
	.long 0
	.short 0x18

	/* data block filled in by smp.c (offsets exported below) */
	.balign 8
	.globl trampoline_cr3, trampoline_stack, trampoline_percpu, trampoline_entry
trampoline_cr3:
	.quad 0
trampoline_stack:
	.quad 0
trampoline_percpu:
	.quad 0
trampoline_entry:
	.quad 0
	.globl trampoline_end
trampoline_end:
	.section .note.GNU-stack, "", @progbits
