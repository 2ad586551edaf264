/* Multiboot2 boot path: turns the boot information GRUB hands over (Multiboot2 specification §3.6,
 * parsed by boot/multiboot2_info.c) into struct boot_info. Runs on the boot stack of
 * multiboot2_entry.S, identity mapped. */
#include "kernel/boot_info.h"
#include "boot/multiboot2_info.h"
#include "kernel/string.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289u

extern char ImageBase[], _end[];
static struct boot_info mb2_info;

NORETURN void multiboot2_main(uint32_t magic, uint64_t mbi);

NORETURN void multiboot2_main(uint32_t magic, uint64_t mbi)
{
	struct boot_info *info = &mb2_info;
	info->loader = "multiboot2";
	info->image_base = (uintptr_t)ImageBase;
	info->image_end = (uintptr_t)_end;
	if (magic != MB2_BOOTLOADER_MAGIC)
		kernel_main(info); /* kernel_main reports the empty memory map */

	uint32_t total = *(const uint32_t *)(uintptr_t)mbi;
	/* The information block itself must survive until the kernel has consumed it. */
	memmap_add(&info->memmap, mbi, total, MEMMAP_BOOT);
	mb2_info_parse((const uint8_t *)(uintptr_t)mbi, info);
	for (unsigned i = 0; i < info->module_count; i++)
		memmap_add(&info->memmap, info->module[i].base, info->module[i].size, MEMMAP_BOOT);
	kernel_main(info);
}
