/* Multiboot2 header (Multiboot2 specification §3.1): magic, architecture i386 (protected mode
 * entry), and the tags GRUB needs. The kernel is an ELF64 image; GRUB reads the load addresses
 * from the program headers, so no address tag is needed. */
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	/* information request: command line, modules, memory map, framebuffer, ACPI old/new */
	.balign 8
1:	.short 1, 0
	.long 2f - 1b
	.long 1, 3, 6, 8, 14, 15
2:
	/* framebuffer: any mode; optional, so text-only systems still boot */
	.balign 8
1:	.short 5, 1
	.long 2f - 1b
	.long 0, 0, 32
2:
	/* module alignment: page aligned modules */
	.balign 8
1:	.short 6, 0
	.long 2f - 1b
2:
	/* end tag */
	.balign 8
	.short 0, 0
	.long 8
mb2_header_end:
