/* One entry stub per vector, 16 bytes apart so that idt.c computes a stub's address from the
 * vector. Vectors for which the CPU pushes an error code (SDM vol. 3, table 6-1: 8, 10-14, 17, 21,
 * 29, 30) go through idt_common_maybe_error, which tells an exception from an external interrupt
 * on the same vector (an IPI or IOAPIC entry with vector 17, 21, 29 or 30 is legal, and carries no
 * error code); all others push a zero so the frame has one layout. */
	.text
	.code32
	.balign 16
	.globl idt_stubs
idt_stubs:
	.set vector, 0
	.rept 256
	.balign 16
	.if !(vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30)
	pushl $0
	pushl $vector
	jmp idt_common
	.else
	pushl $vector
	jmp idt_common_maybe_error
	.endif
	.set vector, vector + 1
	.endr

/* [esp] = vector, then either the error code and EIP, CS (an exception) or EIP, CS (an external
 * interrupt). The second dword above the vector is the interrupted code's CS exactly when there is
 * no error code: in an exception's frame it is the EIP, and no guest code runs at the address equal
 * to its code selector (ring 0 on BOOT_CS, 0x08; v86 code, guests/hostile.c, is not at 0x08). Before this check, an IPI on vector 21 (chaos
 * seed 2, docs/chaos.md) took the EIP for an error code, IRET loaded EFLAGS as CS (#GP 0x244) and
 * the guest looped in its #GP handler until doorbell's timeout= ended the VM. */
idt_common_maybe_error:
	pushl %eax
	movl %cs, %eax
	cmpl %eax, 12(%esp)     /* [esp+4] vector, [esp+8] error code or EIP, [esp+12] EIP or CS */
	popl %eax
	jne idt_common          /* an exception: its error code is in place */
	pushl (%esp)            /* an interrupt: the vector again, and a zero error code under it */
	movl $0, 4(%esp)

idt_common:
	pushal
	cld
	pushl %esp /* struct trap_frame * */
	call idt_dispatch
	addl $4, %esp
	popal
	addl $8, %esp /* vector and error code */
	iret

	.section .note.GNU-stack, "", @progbits
