#include "svm/npt.h"
#include "kernel/frame.h"
#include "kernel/paging.h"
#include "kernel/string.h"

#define NPT_TABLE (PTE_P | PTE_W | PTE_U)
#define NPT_LEAF (PTE_P | PTE_W | PTE_U)

static uint64_t *npt_table(uint64_t pa)
{
	return (uint64_t *)(uintptr_t)pa;
}

static uint64_t npt_alloc(struct npt *n)
{
	uint64_t pa = frame_alloc();
	if (pa) {
		memset(npt_table(pa), 0, PAGE_SIZE);
		n->pages++;
	}
	return pa;
}

bool npt_init(struct npt *n)
{
	n->pages = 0;
	n->root = npt_alloc(n);
	return n->root != 0;
}

static unsigned npt_index(gpa_t gpa, unsigned level)
{
	return (gpa >> (12 + 9 * level)) & 511;
}

/* The table at 'level' covering gpa, allocating (and splitting 2 MiB leaves) on the way. */
static uint64_t *npt_walk(struct npt *n, gpa_t gpa, unsigned level)
{
	uint64_t *table = npt_table(n->root);
	for (unsigned l = 3; l > level; l--) {
		uint64_t *e = &table[npt_index(gpa, l)];
		if (!(*e & PTE_P)) {
			uint64_t pa = npt_alloc(n);
			if (!pa)
				return NULL;
			*e = pa | NPT_TABLE;
		} else if (*e & PTE_PS) {
			uint64_t pa = npt_alloc(n);
			if (!pa)
				return NULL;
			uint64_t base = *e & PTE_ADDR_MASK & ~(LARGE_PAGE_SIZE - 1);
			uint64_t *t = npt_table(pa);
			for (unsigned i = 0; i < 512; i++)
				t[i] = (base + i * PAGE_SIZE) | NPT_LEAF;
			*e = pa | NPT_TABLE;
		}
		table = npt_table(*e & PTE_ADDR_MASK);
	}
	return table;
}

bool npt_map(struct npt *n, gpa_t gpa, uint64_t hpa, uint64_t size)
{
	uint64_t end = gpa + size;
	while (gpa < end) {
		bool large = !(gpa & (LARGE_PAGE_SIZE - 1)) && !(hpa & (LARGE_PAGE_SIZE - 1)) &&
			     end - gpa >= LARGE_PAGE_SIZE;
		uint64_t *t = npt_walk(n, gpa, large ? 1 : 0);
		if (!t)
			return false;
		t[npt_index(gpa, large ? 1 : 0)] = hpa | NPT_LEAF | (large ? PTE_PS : 0);
		uint64_t step = large ? LARGE_PAGE_SIZE : PAGE_SIZE;
		gpa += step;
		hpa += step;
	}
	return true;
}

void npt_unmap_page(struct npt *n, gpa_t gpa)
{
	uint64_t *t = npt_walk(n, gpa, 0);
	if (t)
		t[npt_index(gpa, 0)] = 0;
}

uint64_t npt_lookup(const struct npt *n, gpa_t gpa)
{
	const uint64_t *table = npt_table(n->root);
	for (unsigned l = 3;; l--) {
		uint64_t e = table[npt_index(gpa, l)];
		if (!(e & PTE_P))
			return 0;
		if (l == 0 || (e & PTE_PS))
			return e;
		table = npt_table(e & PTE_ADDR_MASK);
	}
}

static void npt_free_level(uint64_t pa, unsigned level)
{
	uint64_t *t = npt_table(pa);
	for (unsigned i = 0; level > 0 && i < 512; i++) {
		if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
			npt_free_level(t[i] & PTE_ADDR_MASK, level - 1);
	}
	frame_free_pages(pa, 1);
}

void npt_destroy(struct npt *n)
{
	if (n->root)
		npt_free_level(n->root, 3);
	n->root = 0;
	n->pages = 0;
}
