/* The Multiboot v1 information structure the loader passes in EBX (Multiboot Specification
 * 0.6.96, section 3.3), and the guests' command-line lookups. */
#ifndef GUESTS_LIB_MULTIBOOT_H
#define GUESTS_LIB_MULTIBOOT_H

#include "kernel/types.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u /* EAX at entry */

/* bits of multiboot_info.flags: which fields are valid */
#define MULTIBOOT_INFO_MEMORY  BIT(0)
#define MULTIBOOT_INFO_CMDLINE BIT(2)
#define MULTIBOOT_INFO_MODS    BIT(3)
#define MULTIBOOT_INFO_MEM_MAP BIT(6)
#define MULTIBOOT_INFO_LOADER  BIT(9)

struct multiboot_info {
	uint32_t flags;            /* 0x00 */
	uint32_t mem_lower;        /* 0x04: KiB below 1 MiB */
	uint32_t mem_upper;        /* 0x08: KiB from 1 MiB to the first hole */
	uint32_t boot_device;      /* 0x0c */
	uint32_t cmdline;          /* 0x10: physical address of a NUL-terminated string */
	uint32_t mods_count;       /* 0x14 */
	uint32_t mods_addr;        /* 0x18 */
	uint32_t syms[4];          /* 0x1c: a.out or ELF section table */
	uint32_t mmap_length;      /* 0x2c */
	uint32_t mmap_addr;        /* 0x30 */
	uint32_t drives_length;    /* 0x34 */
	uint32_t drives_addr;      /* 0x38 */
	uint32_t config_table;     /* 0x3c */
	uint32_t boot_loader_name; /* 0x40 */
	uint32_t apm_table;        /* 0x44 */
};
_Static_assert(offsetof(struct multiboot_info, cmdline) == 0x10, "multiboot cmdline");
_Static_assert(offsetof(struct multiboot_info, mmap_addr) == 0x30, "multiboot mmap_addr");
_Static_assert(offsetof(struct multiboot_info, boot_loader_name) == 0x40, "multiboot loader");

/* The command line, or "" when the loader passed none. QEMU's loader puts the kernel's file name
 * in front of the -append text, so options are looked up as words anywhere on the line. */
const char *multiboot_cmdline(const struct multiboot_info *mbi);

/* Whether the word "key" or "key=..." appears on the command line. */
bool multiboot_cmdline_has(const struct multiboot_info *mbi, const char *key);

/* The decimal (or 0x-prefixed hexadecimal) value of "key=value", or fallback when the option is
 * absent or not a number. */
uint32_t multiboot_cmdline_uint(const struct multiboot_info *mbi, const char *key,
                                uint32_t fallback);

#endif
