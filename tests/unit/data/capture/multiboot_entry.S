/* Multiboot (version 1) entry for the SeaBIOS capture: QEMU's -kernel loads this ELF32 image and
 * jumps here in 32-bit protected mode with paging off and flat segments. */
	.section .text
	.align 4
multiboot_header:
	.long 0x1badb002            /* magic */
	.long 0                     /* flags: ELF image, nothing requested */
	.long -0x1badb002           /* checksum */

	.global _start
_start:
	mov $stack_top, %esp
	call acpidump_find_rsdp_bios
	push %eax
	call acpidump_walk
	call acpidump_exit
1:	hlt
	jmp 1b

	.section .bss
	.align 16
	.skip 16384
stack_top:

	.section .note.GNU-stack,"",@progbits
