/* The physical memory map both boot paths hand to the kernel: built from the Multiboot2 memory map
 * (E820 types) or from the UEFI memory map, then normalized so that the frame allocator and
 * everyone else see sorted, non-overlapping ranges. */
#ifndef KERNEL_MEMMAP_H
#define KERNEL_MEMMAP_H

#include "kernel/types.h"

enum memmap_type {
	MEMMAP_USABLE = 1,
	MEMMAP_RESERVED,
	MEMMAP_ACPI_RECLAIMABLE,
	MEMMAP_ACPI_NVS,
	MEMMAP_BAD,
	MEMMAP_MMIO,
	MEMMAP_BOOT, /* usable once the boot data it holds has been consumed */
};

struct memmap_entry {
	uint64_t base, length;
	uint32_t type; /* enum memmap_type */
};

#define MEMMAP_MAX 256

struct memmap {
	struct memmap_entry entry[MEMMAP_MAX];
	unsigned count;
	unsigned dropped; /* ranges that did not fit even after merging (the boot says so) */
};

/* Appends a range. Zero-length ranges are ignored (returns 0); a range running past 2^64 is
 * clipped to end at 2^64 - 1. A full map is normalized (merged) first: an EFI memory map has
 * hundreds of descriptors, most of them adjacent ranges that become one type. Returns -1, and
 * counts the range in 'dropped', only when the merged map is still full. */
int memmap_add(struct memmap *m, uint64_t base, uint64_t length, uint32_t type);

/* Sorts by base, resolves overlaps (the more restrictive type wins, see memmap.c for the order),
 * merges adjacent ranges of the same type and drops empty ones. Unknown types become
 * MEMMAP_RESERVED. If the resolved map needs more than MEMMAP_MAX entries, the highest ranges are
 * dropped and counted in 'dropped'; memory absent from the map is never used, so this loses memory
 * but never hands out reserved space. Uses static scratch storage: boot-time only, one caller at a time. */
void memmap_normalize(struct memmap *m);

/* Address Range Types of INT 15h E820 and the Multiboot2 memory map (ACPI 6.5 §15, Table 15.4). */
uint32_t memmap_type_from_e820(uint32_t e820_type);

/* EFI_MEMORY_TYPE (UEFI 2.10 §7.2, GetMemoryMap()). Loader and boot-services code/data become
 * MEMMAP_USABLE: the caller reserves its own image, or marks loader data MEMMAP_BOOT itself. */
uint32_t memmap_type_from_efi(uint32_t efi_type);

/* Sum of the lengths of all entries of the given type. */
uint64_t memmap_total(const struct memmap *m, uint32_t type);

/* Short human-readable name ("usable", "ACPI NVS", ...); "unknown" for anything else. */
const char *memmap_type_name(uint32_t type);

#endif
