/* One entry stub per vector, 16 bytes apart so that idt.c computes a stub's address from the
 * vector. Vectors for which the CPU pushes an error code (SDM vol. 3, table 6-1: 8, 10-14, 17, 21,
 * 29, 30) get none pushed by the stub; all others push a zero so the frame has one layout. */
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
	.endif
	pushl $vector
	jmp idt_common
	.set vector, vector + 1
	.endr

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
