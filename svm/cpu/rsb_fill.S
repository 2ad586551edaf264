/* rsb_fill(): overwrites the return stack buffer (RSB) after a #VMEXIT (docs/hardware.md
 * "Speculation"). The RSB predicts the target of each RET from the CALLs before it; after a
 * #VMEXIT it still holds the guest's return addresses, so the host's next RETs could be
 * speculatively executed at addresses the guest chose. 32 CALLs (the RSB depth of Zen1 to Zen4)
 * push 32 predictions that all point at an INT3 right after their CALL, where speculation stops;
 * the stack pointer is then put back. Called from C (svm/cpu/spec_ctrl.c, spec_guest_exit);
 * clobbers RCX only (caller-saved), keeps RSP and every callee-saved register. */
#define RSB_ENTRIES 32

	.text
	.globl rsb_fill
	.type rsb_fill, @function
rsb_fill:
	movl $(RSB_ENTRIES / 2), %ecx
1:
	call 2f
	int3 /* only ever reached speculatively, through a stale RSB entry */
2:
	call 3f
	int3
3:
	decl %ecx
	jnz 1b
	/* the 32 return addresses the CALLs pushed are dropped, not returned to */
	addq $(RSB_ENTRIES * 8), %rsp
	/* the loop's last JNZ is not followed speculatively into the RET with a short RSB */
	lfence
	ret
	.size rsb_fill, . - rsb_fill
	.section .note.GNU-stack, "", @progbits
