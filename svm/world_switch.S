/* svm_world_switch(guest_vmcb_pa, regs, host_vmcb_pa): one VMRUN round trip (AMD APM vol. 2
 * §15.5). The host's callee-saved registers are kept on the stack; the guest's general-purpose
 * registers other than RAX and RSP (which live in the VMCB) are loaded from and saved to
 * struct guest_regs (svm/cpu/regs.h). VMSAVE/VMLOAD swap the state VMRUN does not: FS/GS/TR/LDTR
 * hidden state, KernelGSBase, STAR/LSTAR/CSTAR/SFMASK, SYSENTER MSRs.
 * Called with host IF=0 and GIF=1. GIF is cleared around the switch and host interrupts are
 * enabled inside it, so a host interrupt that arrives while the guest runs makes an INTR exit and
 * is taken right after STGI. Returns with IF=0, GIF=1. */
#define REG(n) (8 * (n))

	.text
	.globl svm_world_switch
svm_world_switch:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rsi /* regs */
	pushq %rdx /* host VMCB */
	pushq %rdi /* guest VMCB */

	clgi
	/* Host interrupts on (GIF=0 still holds them) well before VMRUN: an STI right before
	 * VMRUN leaves its one-instruction interrupt shadow set in QEMU's TCG, which carries it
	 * into the guest, where it masks AVIC's interrupt delivery at VMRUN for the guest's first
	 * instruction. */
	sti
	movq %rdx, %rax
	vmsave %rax
	movq %rdi, %rax
	vmload %rax

	movq REG(1)(%rsi), %rcx
	movq REG(2)(%rsi), %rdx
	movq REG(3)(%rsi), %rbx
	movq REG(5)(%rsi), %rbp
	movq REG(7)(%rsi), %rdi
	movq REG(8)(%rsi), %r8
	movq REG(9)(%rsi), %r9
	movq REG(10)(%rsi), %r10
	movq REG(11)(%rsi), %r11
	movq REG(12)(%rsi), %r12
	movq REG(13)(%rsi), %r13
	movq REG(14)(%rsi), %r14
	movq REG(15)(%rsi), %r15
	movq REG(6)(%rsi), %rsi

	vmrun %rax
	cli

	/* rax = guest VMCB again (VMRUN leaves it unchanged); save guest GPRs */
	pushq %rsi
	movq 0x18(%rsp), %rsi /* regs (stack: saved rsi, guest vmcb, host vmcb, regs) */
	movq %rcx, REG(1)(%rsi)
	movq %rdx, REG(2)(%rsi)
	movq %rbx, REG(3)(%rsi)
	movq %rbp, REG(5)(%rsi)
	movq %rdi, REG(7)(%rsi)
	movq %r8, REG(8)(%rsi)
	movq %r9, REG(9)(%rsi)
	movq %r10, REG(10)(%rsi)
	movq %r11, REG(11)(%rsi)
	movq %r12, REG(12)(%rsi)
	movq %r13, REG(13)(%rsi)
	movq %r14, REG(14)(%rsi)
	movq %r15, REG(15)(%rsi)
	popq %rcx
	movq %rcx, REG(6)(%rsi)

	popq %rax /* guest VMCB */
	vmsave %rax
	popq %rax /* host VMCB */
	vmload %rax
	popq %rsi
	stgi
	/* before this function's RET, the host's first after #VMEXIT: overwrite the return stack
	 * buffer the guest filled (svm/cpu/rsb_fill.S; clobbers RCX only, free here) */
	call rsb_fill

	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.section .note.GNU-stack, "", @progbits
