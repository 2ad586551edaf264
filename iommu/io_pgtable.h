/* I/O page tables in the AMD IOMMU v1 ("host") format (spec #48882 §2.2.3, Tables 14 and 15):
 * the tree a device table entry with Mode 1-6 points at, translating a device's DMA address
 * (for an assigned device: a guest-physical address) to a host-physical one. doorbell builds
 * three levels (Mode 3, 39-bit addresses), with 2 MiB leaves where both addresses are 2 MiB
 * aligned and 4 KiB leaves otherwise. Every address not mapped has no present entry, so a DMA to
 * it is aborted with an IO_PAGE_FAULT event. Pure: tables come from the allocator given, and a
 * table's address is also its pointer (identity mapping in doorbell, heap pointers in the host
 * tests). */
#ifndef IOMMU_IO_PGTABLE_H
#define IOMMU_IO_PGTABLE_H

#include "kernel/bitfield.h"
#include "kernel/types.h"

/* One 64-bit entry, PDE or PTE. NextLevel 0 marks a leaf (a page of the size of the level it is
 * in); 1-6 the level of the table it points to. Permissions are ANDed along the walk, so every
 * PDE carries IR and IW. */
#define IO_PTE_FIELDS(F)                                                                           \
	F(uint64_t, io_pte, pr, 0, 1, NUMBER)         /* present */                              \
	F(uint64_t, io_pte, next_level, 9, 3, NUMBER) /* 0 = leaf */                             \
	F(uint64_t, io_pte, address, 12, 40, ADDRESS) /* next table or page, bits 51:12 */       \
	F(uint64_t, io_pte, ir, 61, 1, NUMBER)        /* reads allowed */                        \
	F(uint64_t, io_pte, iw, 62, 1, NUMBER)        /* writes allowed */
IO_PTE_FIELDS(BITFIELD)

#define IO_PGTABLE_LEVELS 3 /* the DTE Mode */
#define IO_PGTABLE_LIMIT  (1ull << (12 + 9 * IO_PGTABLE_LEVELS)) /* 512 GiB */
#define IO_PGTABLE_NONE   UINT64_MAX                              /* io_pgtable_translate() */

struct io_pgtable {
	uint64_t root;  /* level 3 table: the DTE's Page Table Root Pointer */
	uint64_t pages; /* tables allocated */
	uint64_t (*alloc)(void); /* one zeroed, 4 KiB-aligned page, 0 when out of memory */
	void (*free)(uint64_t pa);
};

/* Allocates the root; false when out of memory. */
bool io_pgtable_init(struct io_pgtable *t);
/* Maps [iova, iova+size) to [hpa, hpa+size) with the given permissions (4 KiB aligned, below
 * IO_PGTABLE_LIMIT); false when out of memory or misaligned. */
bool io_pgtable_map(struct io_pgtable *t, uint64_t iova, uint64_t hpa, uint64_t size, bool read,
		    bool write);
/* Walks the tables as the IOMMU does: the host address for iova, or IO_PGTABLE_NONE when a
 * level is not present or the access ('write' or read) is not allowed at every level. */
uint64_t io_pgtable_translate(const struct io_pgtable *t, uint64_t iova, bool write);
/* Frees every table. */
void io_pgtable_destroy(struct io_pgtable *t);

#endif
