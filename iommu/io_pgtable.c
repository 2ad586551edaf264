/* AMD IOMMU v1 I/O page tables (iommu/io_pgtable.h). */
#include "iommu/io_pgtable.h"

#define IO_PT_ENTRIES 512
#define IO_PAGE_SHIFT 12
#define IO_PAGE_BYTES (1ull << IO_PAGE_SHIFT)

static uint64_t *io_table(uint64_t pa)
{
	return (uint64_t *)(uintptr_t)pa;
}

/* Bits of the address that index a level-'level' table (level 1 = 4 KiB pages). */
static unsigned io_index(uint64_t iova, unsigned level)
{
	return (unsigned)(iova >> (IO_PAGE_SHIFT + 9 * (level - 1))) & (IO_PT_ENTRIES - 1);
}

static uint64_t io_level_bytes(unsigned level)
{
	return 1ull << (IO_PAGE_SHIFT + 9 * (level - 1));
}

static uint64_t io_entry(uint64_t address, unsigned next_level, bool read, bool write)
{
	uint64_t e = io_pte_set_pr(0, 1);
	e = io_pte_set_next_level(e, next_level);
	e = io_pte_set_address(e, address);
	e = io_pte_set_ir(e, read);
	return io_pte_set_iw(e, write);
}

bool io_pgtable_init(struct io_pgtable *t)
{
	t->pages = 0;
	t->root = t->alloc();
	if (t->root)
		t->pages++;
	return t->root != 0;
}

/* The level-'level' table covering iova, allocating the tables above it on the way. */
static uint64_t *io_walk_alloc(struct io_pgtable *t, uint64_t iova, unsigned level)
{
	uint64_t *table = io_table(t->root);
	for (unsigned l = IO_PGTABLE_LEVELS; l > level; l--) {
		uint64_t *e = &table[io_index(iova, l)];
		if (!io_pte_get_pr(*e)) {
			uint64_t pa = t->alloc();
			if (!pa)
				return NULL;
			t->pages++;
			*e = io_entry(pa, l - 1, true, true);
		} else if (!io_pte_get_next_level(*e)) {
			return NULL; /* a larger leaf is in the way: no remapping over it */
		}
		table = io_table(io_pte_get_address(*e));
	}
	return table;
}

bool io_pgtable_map(struct io_pgtable *t, uint64_t iova, uint64_t hpa, uint64_t size, bool read,
		    bool write)
{
	if ((iova | hpa | size) & (IO_PAGE_BYTES - 1) || iova >= IO_PGTABLE_LIMIT ||
	    size > IO_PGTABLE_LIMIT - iova)
		return false;
	uint64_t end = iova + size;
	while (iova < end) {
		uint64_t large = io_level_bytes(2);
		unsigned level = !(iova & (large - 1)) && !(hpa & (large - 1)) && end - iova >= large
				     ? 2
				     : 1;
		uint64_t *table = io_walk_alloc(t, iova, level);
		if (!table)
			return false;
		table[io_index(iova, level)] = io_entry(hpa, 0, read, write);
		iova += io_level_bytes(level);
		hpa += io_level_bytes(level);
	}
	return true;
}

uint64_t io_pgtable_translate(const struct io_pgtable *t, uint64_t iova, bool write)
{
	if (!t->root || iova >= IO_PGTABLE_LIMIT)
		return IO_PGTABLE_NONE;
	const uint64_t *table = io_table(t->root);
	for (unsigned l = IO_PGTABLE_LEVELS; l >= 1; l--) {
		uint64_t e = table[io_index(iova, l)];
		if (!io_pte_get_pr(e) || !(write ? io_pte_get_iw(e) : io_pte_get_ir(e)))
			return IO_PGTABLE_NONE;
		if (!io_pte_get_next_level(e))
			return io_pte_get_address(e) + (iova & (io_level_bytes(l) - 1));
		if (io_pte_get_next_level(e) != l - 1)
			return IO_PGTABLE_NONE; /* level skipping is not built here */
		table = io_table(io_pte_get_address(e));
	}
	return IO_PGTABLE_NONE;
}

static void io_free_level(struct io_pgtable *t, uint64_t pa, unsigned level)
{
	uint64_t *table = io_table(pa);
	for (unsigned i = 0; level > 1 && i < IO_PT_ENTRIES; i++) {
		if (io_pte_get_pr(table[i]) && io_pte_get_next_level(table[i]))
			io_free_level(t, io_pte_get_address(table[i]), level - 1);
	}
	t->free(pa);
	t->pages--;
}

void io_pgtable_destroy(struct io_pgtable *t)
{
	if (t->root)
		io_free_level(t, t->root, IO_PGTABLE_LEVELS);
	t->root = 0;
}
