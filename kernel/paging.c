#include "kernel/paging.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/x86.h"

#define FOUR_GIB (4ull << 30)

static uint64_t *pml4;
static struct spinlock paging_lock = SPINLOCK_INIT;

static uint64_t *table_alloc(void)
{
	/* Below 4 GiB: APs load CR3 from 32-bit code in the trampoline. */
	uint64_t pa = frame_alloc_pages(1, PAGE_SIZE, FOUR_GIB);
	if (!pa)
		panic("paging: out of memory below 4 GiB for page tables");
	memset((void *)(uintptr_t)pa, 0, PAGE_SIZE);
	return (uint64_t *)(uintptr_t)pa;
}

static unsigned index_at(uint64_t va, unsigned level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* Returns the table at 'level' (0 = PT) covering va, splitting a large page on the way down. */
static uint64_t *table_walk(uint64_t va, unsigned level)
{
	uint64_t *table = pml4;
	for (unsigned l = 3; l > level; l--) {
		uint64_t *e = &table[index_at(va, l)];
		if (!(*e & PTE_P)) {
			*e = (uintptr_t)table_alloc() | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			/* split: the new table maps the same range with the same attributes */
			uint64_t *t = table_alloc();
			uint64_t base = *e & PTE_ADDR_MASK & ~((1ull << (12 + 9 * l)) - 1);
			uint64_t attrs = *e & ~PTE_ADDR_MASK;
			uint64_t step = 1ull << (12 + 9 * (l - 1));
			if (l - 1 == 0)
				attrs &= ~PTE_PS;
			for (unsigned i = 0; i < 512; i++)
				t[i] = (base + i * step) | attrs;
			*e = (uintptr_t)t | PTE_P | PTE_W;
		}
		table = (uint64_t *)(uintptr_t)(*e & PTE_ADDR_MASK);
	}
	return table;
}

static bool range_is_ram(const struct memmap *m, uint64_t base, uint64_t len, bool *any_ram)
{
	uint64_t covered = 0;
	*any_ram = false;
	for (unsigned i = 0; i < m->count; i++) {
		const struct memmap_entry *e = &m->entry[i];
		if (e->type == MEMMAP_MMIO || e->type == MEMMAP_RESERVED || e->type == MEMMAP_BAD)
			continue;
		uint64_t lo = MAX(base, e->base), hi = MIN(base + len, e->base + e->length);
		if (lo < hi) {
			covered += hi - lo;
			*any_ram = true;
		}
	}
	return covered == len;
}

static uint64_t attrs_for(const struct image_layout *img, uint64_t va, bool ram)
{
	uint64_t a = PTE_P | PTE_W | PTE_NX;
	if (!ram)
		a |= PTE_PCD | PTE_PWT;
	if (va >= img->text_start && va < img->text_end)
		a &= ~(PTE_W | PTE_NX);
	else if (va >= img->rodata_start && va < img->rodata_end)
		a &= ~PTE_W;
	return a;
}

static bool overlaps_image(const struct image_layout *img, uint64_t base, uint64_t len)
{
	return (base < img->text_end && base + len > img->text_start) ||
	       (base < img->rodata_end && base + len > img->rodata_start);
}

static uint64_t identity_top; /* paging_init()'s map ends here */

void paging_init(const struct memmap *m, const struct image_layout *img)
{
	pml4 = table_alloc();
	uint64_t top = FOUR_GIB;
	/* Above 4 GiB only memory is mapped up front; a device there is mapped when a driver asks
	 * (paging_map_mmio). Firmware often reserves huge ranges high up (QEMU: 12 GiB at 1 TiB). */
	for (unsigned i = 0; i < m->count; i++) {
		const struct memmap_entry *e = &m->entry[i];
		if (e->type != MEMMAP_RESERVED && e->type != MEMMAP_BAD && e->type != MEMMAP_MMIO)
			top = MAX(top, ALIGN_UP(e->base + e->length, LARGE_PAGE_SIZE));
	}

	for (uint64_t va = 0; va < top; va += LARGE_PAGE_SIZE) {
		bool any_ram;
		bool all_ram = range_is_ram(m, va, LARGE_PAGE_SIZE, &any_ram);
		if ((all_ram || !any_ram) && !overlaps_image(img, va, LARGE_PAGE_SIZE)) {
			uint64_t *pd = table_walk(va, 1);
			pd[index_at(va, 1)] = va | PTE_PS | attrs_for(img, ~0ull, all_ram);
			continue;
		}
		uint64_t *pt = table_walk(va, 0);
		for (uint64_t p = va; p < va + LARGE_PAGE_SIZE; p += PAGE_SIZE) {
			bool page_any;
			bool ram = range_is_ram(m, p, PAGE_SIZE, &page_any);
			pt[index_at(p, 0)] = p | attrs_for(img, p, ram);
		}
	}
	write_cr3((uintptr_t)pml4);
	identity_top = top;
	pr_debug("paging: identity map up to 0x%lx, %lu frames left\n", top, frame_free_count());
}

uint64_t paging_identity_top(void)
{
	return identity_top;
}

uint64_t paging_root(void)
{
	return (uintptr_t)pml4;
}

void paging_map_mmio(uint64_t pa, uint64_t len)
{
	spin_lock(&paging_lock);
	for (uint64_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE) {
		uint64_t *pt = table_walk(p, 0);
		pt[index_at(p, 0)] = p | PTE_P | PTE_W | PTE_NX | PTE_PCD | PTE_PWT;
		invlpg(p);
	}
	spin_unlock(&paging_lock);
}

void paging_unmap_page(uint64_t va)
{
	spin_lock(&paging_lock);
	uint64_t *pt = table_walk(va, 0);
	pt[index_at(va, 0)] = 0;
	invlpg(va);
	spin_unlock(&paging_lock);
}

void paging_allow_exec(uint64_t va)
{
	spin_lock(&paging_lock);
	uint64_t *pt = table_walk(va, 0);
	pt[index_at(va, 0)] &= ~PTE_NX;
	invlpg(va);
	spin_unlock(&paging_lock);
}

uint64_t paging_lookup(uint64_t va)
{
	uint64_t *table = pml4;
	for (unsigned l = 3;; l--) {
		uint64_t e = table[index_at(va, l)];
		if (!(e & PTE_P) || l == 0 || (e & PTE_PS))
			return e & PTE_P ? e : 0;
		table = (uint64_t *)(uintptr_t)(e & PTE_ADDR_MASK);
	}
}

uint64_t stack_alloc(unsigned pages)
{
	uint64_t base = frame_alloc_pages(pages + 1, PAGE_SIZE, 0);
	if (!base)
		panic("stack_alloc: out of memory for a %u-page stack", pages);
	/* An overflow runs into the unmapped guard page and faults (#PF, then #DF on its IST stack)
	 * instead of silently corrupting whatever lies below. */
	paging_unmap_page(base);
	return base + (uint64_t)(pages + 1) * PAGE_SIZE;
}
