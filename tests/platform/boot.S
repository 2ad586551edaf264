/*
 * Boot stub of the platform probes: a multiboot v1 image (a.out kludge, so
 * QEMU -kernel loads the flat binary at 1 MiB) that identity-maps the low
 * 4 GiB with 2 MiB pages, enters long mode and calls probe_main().  Also the
 * IDT stubs, the VMRUN wrapper that swaps the guest's general registers, and
 * the real-mode trampoline that brings application processors to long mode.
 */

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00010000	/* bit 16: load addresses in the header */
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define CR4_PAE		(1 << 5)
#define CR0_PE		(1 << 0)
#define CR0_PG		(1 << 31)
#define PTE_P		(1 << 0)
#define PTE_RW		(1 << 1)
#define PTE_US		(1 << 2)
#define PTE_PS		(1 << 7)
#define STACK_SIZE	0x4000
#define AP_TRAMPOLINE	0x8000

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header			/* header_addr */
	.long __load_start		/* load_addr */
	.long __load_end		/* load_end_addr */
	.long __bss_end			/* bss_end_addr */
	.long start32			/* entry_addr */

	.section .text32, "ax"
	.code32
	.globl start32
start32:
	cli
	mov	%ebx, mb_info
	mov	$bsp_stack + STACK_SIZE, %esp

	/*
	 * One page-table tree, used by the host, by every guest (as guest CR3)
	 * and, because U is set, as the identity nested page table too.
	 */
	mov	$pdpt, %eax
	or	$(PTE_P | PTE_RW | PTE_US), %eax
	mov	%eax, pml4
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$12, %eax
	add	$pd, %eax
	or	$(PTE_P | PTE_RW | PTE_US), %eax
	mov	%eax, pdpt(, %ecx, 8)
	inc	%ecx
	cmp	$4, %ecx
	jne	1b
	xor	%ecx, %ecx
2:	mov	%ecx, %eax
	shl	$21, %eax
	or	$(PTE_P | PTE_RW | PTE_US | PTE_PS), %eax
	mov	%eax, pd(, %ecx, 8)
	inc	%ecx
	cmp	$2048, %ecx
	jne	2b

	call	enter_long_mode
	ljmp	$0x08, $start64

/* PAE, EFER.LME, CR3 = pml4, paging on; shared with the AP trampoline. */
enter_long_mode:
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	lgdt	gdt_desc
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_PE), %eax
	mov	%eax, %cr0
	ret

	.code64
start64:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%ax, %ax
	mov	%ax, %fs
	mov	%ax, %gs
	mov	$bsp_stack + STACK_SIZE, %rsp
	mov	mb_info, %edi
	call	probe_main
3:	hlt
	jmp	3b

/* An AP lands here in long mode; its stack top was left in ap_stack_top. */
ap_start64:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	ap_stack_top, %rsp
	call	probe_ap_main
4:	hlt
	jmp	4b

/*
 * AP trampoline, copied to AP_TRAMPOLINE (the SIPI vector 08h): real mode
 * -> 32-bit protected mode -> long mode, then ap_start64.
 */
	.code16
	.globl ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	lgdtl	AP_TRAMPOLINE + (ap_gdt_desc - ap_trampoline)
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$0x18, $ap_start32
ap_gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt
ap_trampoline_end:

	.code32
ap_start32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$ap_boot_stack + 256, %esp
	call	enter_long_mode
	ljmp	$0x08, $ap_start64

	.code64
	.text
/*
 * void vm_run(uint64_t vmcb_pa, struct vm_gprs *gprs): VMRUN with the
 * guest's RBX..R15 (not RAX/RSP, which live in the VMCB) loaded from and
 * saved back to *gprs, the host's callee-saved registers kept on the stack.
 */
	.globl vm_run
vm_run:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rsi
	mov	%rdi, %rax
	mov	0x08(%rsi), %rbx
	mov	0x10(%rsi), %rcx
	mov	0x18(%rsi), %rdx
	mov	0x28(%rsi), %rdi
	mov	0x30(%rsi), %rbp
	mov	0x38(%rsi), %r8
	mov	0x40(%rsi), %r9
	mov	0x48(%rsi), %r10
	mov	0x50(%rsi), %r11
	mov	0x58(%rsi), %r12
	mov	0x60(%rsi), %r13
	mov	0x68(%rsi), %r14
	mov	0x70(%rsi), %r15
	mov	0x20(%rsi), %rsi
	vmrun
	push	%rsi
	mov	8(%rsp), %rsi
	mov	%rbx, 0x08(%rsi)
	mov	%rcx, 0x10(%rsi)
	mov	%rdx, 0x18(%rsi)
	pop	%rbx
	mov	%rbx, 0x20(%rsi)
	mov	%rdi, 0x28(%rsi)
	mov	%rbp, 0x30(%rsi)
	mov	%r8, 0x38(%rsi)
	mov	%r9, 0x40(%rsi)
	mov	%r10, 0x48(%rsi)
	mov	%r11, 0x50(%rsi)
	mov	%r12, 0x58(%rsi)
	mov	%r13, 0x60(%rsi)
	mov	%r14, 0x68(%rsi)
	mov	%r15, 0x70(%rsi)
	pop	%rsi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

/*
 * IDT stubs.  Vector 13 (#GP) records the fault and skips a 2-byte
 * RDMSR/WRMSR, which is how the probes test that an MSR access faults.
 * Vectors 32-255 count the interrupt in irq_count[] and remember the last
 * vector.  Any other exception ends the probe.
 */
	.globl idt_stubs
	.align 16
idt_stubs:
	vec = 0
	.rept 256
	.align 16
	.if vec == 13
	jmp	gp_stub
	.elseif vec < 32
	mov	$vec, %edi
	jmp	exception_stub
	.else
	push	$vec
	jmp	irq_stub
	.endif
	vec = vec + 1
	.endr

gp_stub:
	add	$8, %rsp		/* error code */
	addq	$2, (%rsp)		/* skip the RDMSR/WRMSR */
	lock incl gp_count
	iretq

exception_stub:
	mov	(%rsp), %rsi		/* RIP, or the error code */
	call	probe_exception
5:	hlt
	jmp	5b

irq_stub:
	push	%rax
	mov	8(%rsp), %rax
	lock incl irq_count(, %rax, 4)
	mov	%eax, last_irq
	pop	%rax
	add	$8, %rsp
	iretq

	.data
	.align 16
gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
	.quad	0x00cf9a000000ffff	/* 0x18: 32-bit code */
gdt_end:
	.globl gdt_desc
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt
mb_info:
	.long	0

	.bss
	.align 4096
	.globl pml4
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
bsp_stack:
	.skip STACK_SIZE
ap_boot_stack:
	.skip 256
	.globl ap_stack_top
ap_stack_top:
	.skip 8
	.globl irq_count, last_irq, gp_count
irq_count:
	.skip 256 * 4
last_irq:
	.long 0
gp_count:
	.long 0
