// sources: iommu/io_pgtable.c
/* AMD IOMMU v1 I/O page tables. Expected entries from spec #48882 §2.2.3 (Tables 14, 15): PR bit
 * 0, NextLevel 11:9, address 51:12, IR 61, IW 62; a Mode 3 walk indexes bits 38:30, 29:21, 20:12;
 * NextLevel 0 in a level-2 table is a 2 MiB page. */
#include "iommu/io_pgtable.h"
#include "tests/unit/check.h"
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_pages.h"

static uint64_t entry(const struct io_pgtable *t, uint64_t iova, unsigned level)
{
	const uint64_t *table = (const uint64_t *)(uintptr_t)t->root;
	for (unsigned l = 3; l > level; l--)
		table = (const uint64_t *)(uintptr_t)(table[(iova >> (12 + 9 * (l - 1))) & 511] &
						      0x000ffffffffff000ull);
	return table[(iova >> (12 + 9 * (level - 1))) & 511];
}

/* A VM's RAM, as doorbell maps it: 32 MiB at GPA 0 to a 2 MiB-aligned host range. */
static void test_vm_ram(void)
{
	struct io_pgtable t = {.alloc = test_alloc, .free = test_free};
	CHECK(io_pgtable_init(&t));
	uint64_t ram = 0x40000000ull, size = 32ull << 20;
	CHECK(io_pgtable_map(&t, 0, ram, size, true, true));
	CHECK_EQ(t.pages, 2); /* level 3 root, one level 2 table; 16 leaves of 2 MiB */
	CHECK_EQ(live_pages, 2);
	uint64_t top = entry(&t, 0, 3);
	CHECK_EQ(top & 0xfff, 0x401); /* PR, NextLevel 2 */
	CHECK_EQ(top >> 61, 3);       /* IR, IW */
	CHECK_EQ(entry(&t, 0, 2), 0x6000000040000001ull);             /* leaf, NextLevel 0 */
	CHECK_EQ(entry(&t, 0x1e00000, 2), 0x6000000041e00001ull);     /* the 16th, at 30 MiB */
	CHECK_EQ(entry(&t, size, 2), 0);                               /* not present after RAM */
	CHECK_EQ(io_pgtable_translate(&t, 0, true), ram);
	CHECK_EQ(io_pgtable_translate(&t, 0x123456, false), ram + 0x123456);
	CHECK_EQ(io_pgtable_translate(&t, size - 1, true), ram + size - 1);
	CHECK_EQ(io_pgtable_translate(&t, size, true), IO_PGTABLE_NONE);
	CHECK_EQ(io_pgtable_translate(&t, 0xc800000, true), IO_PGTABLE_NONE); /* 200 MiB */
	CHECK_EQ(io_pgtable_translate(&t, 1ull << 30, false), IO_PGTABLE_NONE);
	CHECK_EQ(io_pgtable_translate(&t, IO_PGTABLE_LIMIT, false), IO_PGTABLE_NONE);
	io_pgtable_destroy(&t);
	CHECK_EQ(live_pages, 0);
	CHECK_EQ(t.root, 0);
}

/* Unaligned pieces get 4 KiB leaves in level 1 tables; permissions come from the leaf. */
static void test_small_pages(void)
{
	struct io_pgtable t = {.alloc = test_alloc, .free = test_free};
	CHECK(io_pgtable_init(&t));
	/* 2 MiB-aligned IOVA but a host address that is not: 4 KiB leaves only */
	CHECK(io_pgtable_map(&t, 0x200000, 0x7654321000ull, 0x3000, true, false));
	CHECK_EQ(t.pages, 3);
	CHECK_EQ(entry(&t, 0x200000, 2) & 0xe01, 0x201); /* PR, NextLevel 1 */
	CHECK_EQ(entry(&t, 0x201000, 1), 0x2000007654322001ull); /* IR only */
	CHECK_EQ(io_pgtable_translate(&t, 0x202abc, false), 0x7654323abcull);
	CHECK_EQ(io_pgtable_translate(&t, 0x202abc, true), IO_PGTABLE_NONE); /* IW = 0 */
	CHECK_EQ(io_pgtable_translate(&t, 0x203000, false), IO_PGTABLE_NONE);
	CHECK_EQ(io_pgtable_translate(&t, 0x1ff000, false), IO_PGTABLE_NONE);
	/* a second range far away: its own level 2 and level 1 tables (bits 38:30 = 5) */
	CHECK(io_pgtable_map(&t, (5ull << 30) + 0x1000, 0x9000, 0x1000, true, true));
	CHECK_EQ(t.pages, 5);
	CHECK_EQ(io_pgtable_translate(&t, (5ull << 30) + 0x1008, true), 0x9008);
	/* refused: misaligned, beyond the 39-bit limit, over a 2 MiB leaf */
	CHECK(!io_pgtable_map(&t, 0x10, 0, 0x1000, true, true));
	CHECK(!io_pgtable_map(&t, IO_PGTABLE_LIMIT - 0x1000, 0, 0x2000, true, true));
	CHECK(io_pgtable_map(&t, 0x400000, 0x400000, 0x200000, true, true));
	CHECK(!io_pgtable_map(&t, 0x401000, 0, 0x1000, true, true));
	io_pgtable_destroy(&t);
	CHECK_EQ(live_pages, 0);
}

static uint64_t failing_alloc(void)
{
	return 0;
}

static void test_out_of_memory(void)
{
	struct io_pgtable t = {.alloc = failing_alloc, .free = test_free};
	CHECK(!io_pgtable_init(&t));
	t = (struct io_pgtable){.alloc = test_alloc, .free = test_free};
	CHECK(io_pgtable_init(&t));
	t.alloc = failing_alloc;
	CHECK(!io_pgtable_map(&t, 0, 0, 0x200000, true, true));
	CHECK_EQ(io_pgtable_translate(&t, 0, false), IO_PGTABLE_NONE);
	io_pgtable_destroy(&t);
	CHECK_EQ(live_pages, 0);
}

int main(void)
{
	test_vm_ram();
	test_small_pages();
	test_out_of_memory();
	return check_summary("io_pgtable");
}
