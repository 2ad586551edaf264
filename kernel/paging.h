/* The hypervisor's own 4-level page tables (AMD APM vol. 2 §5.3). Everything is identity mapped:
 * RAM write-back, everything else (MMIO, holes) uncacheable; the hypervisor's text read-only and
 * executable, everything else non-executable; a guard page left unmapped under every stack. */
#ifndef KERNEL_PAGING_H
#define KERNEL_PAGING_H

#include "kernel/types.h"
#include "kernel/memmap.h"

#define PTE_P BIT(0)
#define PTE_W BIT(1)
#define PTE_U BIT(2)
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_A BIT(5)
#define PTE_D BIT(6)
#define PTE_PS BIT(7)
#define PTE_G BIT(8)
#define PTE_NX BIT(63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

struct image_layout {
	uint64_t text_start, text_end;     /* R+X */
	uint64_t rodata_start, rodata_end; /* R, NX (empty when the loader merged it into data) */
};

/* Builds the tables from the normalized memory map and switches CR3 on this CPU. */
void paging_init(const struct memmap *m, const struct image_layout *img);
uint64_t paging_root(void); /* CR3 value for other CPUs (below 4 GiB) */
/* Where paging_init()'s identity map ends: every address below it is mapped (4 GiB, or the end
 * of the highest memory-map range that is not reserved, MMIO or bad). */
uint64_t paging_identity_top(void);
/* Identity-maps [pa, pa+len) uncacheable (MMIO above the initial map, e.g. 64-bit BARs). */
void paging_map_mmio(uint64_t pa, uint64_t len);
/* Removes the 4 KiB page at va (guard pages). */
void paging_unmap_page(uint64_t va);
/* Makes the 4 KiB page at va executable (the AP trampoline, which runs with NX enabled). */
void paging_allow_exec(uint64_t va);
/* Returns the leaf entry for va, or 0 if unmapped (for tests and diagnostics). */
uint64_t paging_lookup(uint64_t va);

/* A kernel stack of 'pages' pages with an unmapped guard page below it; returns its top. */
uint64_t stack_alloc(unsigned pages);

#endif
