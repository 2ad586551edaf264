// sources: kernel/frame.c kernel/memmap.c
/* Physical frame allocator: exhaustion, alignment, below-limits, fragmentation and merging,
 * rejected frees, reserved ranges, extent-array overflow, and concurrent use. */
#include "kernel/frame.h"
#include "tests/unit/check.h"

#include <pthread.h>
#include <stdlib.h>

#define MiB (1ull << 20)

static struct memmap map;

static void init_one(uint64_t base, uint64_t length)
{
	map.count = 0;
	memmap_add(&map, base, length, MEMMAP_USABLE);
	frame_init(&map);
}

/* Only whole pages of usable ranges count; frame 0 is excluded. */
static void test_init(void)
{
	map.count = 0;
	memmap_add(&map, 0, 0x9fc00, MEMMAP_USABLE);
	memmap_add(&map, 0x9fc00, 0x400, MEMMAP_RESERVED);
	memmap_add(&map, 0xf0000, 0x10000, MEMMAP_RESERVED);
	memmap_add(&map, 0x100000, 0x7ee0000, MEMMAP_USABLE);
	memmap_add(&map, 0x7fe0000, 0x20000, MEMMAP_ACPI_RECLAIMABLE);
	memmap_add(&map, 0x100000800, 0x3000, MEMMAP_USABLE);
	memmap_add(&map, 0x200000000, 0x1000000, MEMMAP_BOOT);
	memmap_normalize(&map);
	frame_init(&map);
	uint64_t expect = (0x9f000 - 0x1000) / PAGE_SIZE + 0x7ee0000 / PAGE_SIZE + 2;
	CHECK_EQ(frame_free_count(), expect);
	struct frame_stats st;
	frame_get_stats(&st);
	CHECK_EQ(st.usable_pages, expect);
	CHECK_EQ(st.free_pages, expect);
	CHECK_EQ(st.lost_pages, 0);

	/* The top allocation comes from the unaligned range above 4 GiB, page-aligned inside it. */
	CHECK_EQ(frame_alloc(), 0x100002000);
	CHECK_EQ(frame_alloc(), 0x100001000);
	CHECK_EQ(frame_alloc(), 0x7fdf000);

	/* A map whose only usable page is frame 0 gives nothing. */
	init_one(0, PAGE_SIZE);
	CHECK_EQ(frame_free_count(), 0);
	CHECK_EQ(frame_alloc(), 0);
	init_one(0, 2 * PAGE_SIZE);
	CHECK_EQ(frame_alloc(), PAGE_SIZE);
	CHECK_EQ(frame_alloc(), 0);
}

static void test_exhaustion(void)
{
	uint64_t got[16];

	init_one(MiB, 16 * PAGE_SIZE);
	for (unsigned i = 0; i < 16; i++) {
		got[i] = frame_alloc();
		CHECK(got[i] >= MiB && got[i] < MiB + 16 * PAGE_SIZE);
		CHECK_EQ(got[i] % PAGE_SIZE, 0);
		for (unsigned j = 0; j < i; j++)
			CHECK(got[j] != got[i]);
	}
	CHECK_EQ(frame_free_count(), 0);
	CHECK_EQ(frame_alloc(), 0);
	CHECK_EQ(frame_alloc_pages(1, 0, 0), 0);
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(frame_free_pages(got[i], 1), FRAME_OK);
	CHECK_EQ(frame_free_count(), 16);
	/* Everything merged back into one extent: all 16 pages in one piece. */
	CHECK_EQ(frame_alloc_pages(16, 0, 0), MiB);
	CHECK_EQ(frame_alloc_pages(1, 0, 0), 0);
	/* Nonsense requests fail without taking anything. */
	CHECK_EQ(frame_free_pages(MiB, 16), FRAME_OK);
	CHECK_EQ(frame_alloc_pages(0, 0, 0), 0);
	CHECK_EQ(frame_alloc_pages(17, 0, 0), 0);
	CHECK_EQ(frame_alloc_pages(UINT64_MAX, 0, 0), 0);
	CHECK_EQ(frame_alloc_pages(1, 3 * PAGE_SIZE, 0), 0);
	CHECK_EQ(frame_free_count(), 16);
}

static void test_alignment_and_below(void)
{
	/* 1 MiB .. 9 MiB + 4 KiB: the only 2 MiB-aligned 4 MiB block at the top is 4..8 MiB. */
	init_one(MiB, 8 * MiB + PAGE_SIZE);
	uint64_t b = frame_alloc_pages(1024, 2 * MiB, 0);
	CHECK_EQ(b, 4 * MiB);
	CHECK_EQ(frame_free_count(), 2048 + 1 - 1024);
	/* 2 MiB aligned and 2 MiB long: only 2..4 MiB remains (8..9 MiB is too short). */
	CHECK_EQ(frame_alloc_pages(512, 2 * MiB, 0), 2 * MiB);
	CHECK_EQ(frame_alloc_pages(512, 2 * MiB, 0), 0);
	/* Single pages still come from the top, above the aligned blocks. */
	CHECK_EQ(frame_alloc(), 9 * MiB);

	/* below: the whole block must end at or below the limit. */
	init_one(PAGE_SIZE, 64 * MiB);
	uint64_t t = frame_alloc_pages(1, 0, 0x100000);
	CHECK_EQ(t, 0x100000 - PAGE_SIZE);
	t = frame_alloc_pages(4, 0, 0x100000);
	CHECK_EQ(t, 0x100000 - 5 * PAGE_SIZE);
	/* An unaligned limit rounds down; 64 KiB aligned below 1 MiB. */
	t = frame_alloc_pages(2, 64 * 1024, 0x100000 + 123);
	CHECK_EQ(t, 0x100000 - 64 * 1024);
	/* Nothing fits below 2 pages except page 1 (page 0 is excluded). */
	CHECK_EQ(frame_alloc_pages(1, 0, 2 * PAGE_SIZE), PAGE_SIZE);
	CHECK_EQ(frame_alloc_pages(1, 0, 2 * PAGE_SIZE), 0);
	CHECK_EQ(frame_alloc_pages(1, 0, PAGE_SIZE), 0);
	/* Without a limit, the top of memory. */
	CHECK_EQ(frame_alloc_pages(1, 0, 0), PAGE_SIZE + 64 * MiB - PAGE_SIZE);
}

static void test_fragmentation(void)
{
	uint64_t got[8];

	init_one(MiB, 8 * PAGE_SIZE);
	for (unsigned i = 0; i < 8; i++)
		got[i] = frame_alloc();
	/* Top-down: got[i] = MiB + (7 - i) pages. Free every other page: 4 free, none adjacent. */
	for (unsigned i = 0; i < 8; i += 2)
		CHECK_EQ(frame_free_pages(got[i], 1), FRAME_OK);
	CHECK_EQ(frame_free_count(), 4);
	CHECK_EQ(frame_alloc_pages(2, 0, 0), 0);
	/* Freeing the pages in between merges everything back into one extent. */
	for (unsigned i = 1; i < 8; i += 2)
		CHECK_EQ(frame_free_pages(got[i], 1), FRAME_OK);
	CHECK_EQ(frame_alloc_pages(8, 0, 0), MiB);
	/* Freeing a multi-page block in the middle, then its neighbours, merges both ways. */
	CHECK_EQ(frame_free_pages(MiB + 2 * PAGE_SIZE, 4), FRAME_OK);
	CHECK_EQ(frame_free_pages(MiB, 2), FRAME_OK);
	CHECK_EQ(frame_free_pages(MiB + 6 * PAGE_SIZE, 2), FRAME_OK);
	CHECK_EQ(frame_alloc_pages(8, 8 * PAGE_SIZE, 0), MiB);
}

static void test_bad_frees(void)
{
	struct frame_stats st;

	map.count = 0;
	memmap_add(&map, 0, 4 * MiB, MEMMAP_USABLE);
	memmap_add(&map, 2 * MiB, MiB, MEMMAP_RESERVED);
	memmap_normalize(&map);
	frame_init(&map);
	uint64_t total = frame_free_count();
	CHECK_EQ(total, 4 * 256 - 256 - 1);

	uint64_t p = frame_alloc_pages(4, 0, 0);
	CHECK_EQ(p, 4 * MiB - 4 * PAGE_SIZE);
	CHECK_EQ(frame_free_pages(p, 4), FRAME_OK);
	CHECK_EQ(frame_free_pages(p, 4), FRAME_E_DOUBLE_FREE);
	p = frame_alloc_pages(4, 0, 0);
	CHECK_EQ(frame_free_pages(p + PAGE_SIZE, 1), FRAME_OK);
	/* Overlapping an already free page at either end or inside is a double free. */
	CHECK_EQ(frame_free_pages(p, 2), FRAME_E_DOUBLE_FREE);
	CHECK_EQ(frame_free_pages(p + PAGE_SIZE, 3), FRAME_E_DOUBLE_FREE);
	CHECK_EQ(frame_free_pages(p - 4 * PAGE_SIZE, 8), FRAME_E_DOUBLE_FREE);
	/* Not usable: the reserved hole, frame 0, beyond the end of RAM, straddling the hole. */
	CHECK_EQ(frame_free_pages(2 * MiB, 1), FRAME_E_NOT_USABLE);
	CHECK_EQ(frame_free_pages(0, 1), FRAME_E_NOT_USABLE);
	CHECK_EQ(frame_free_pages(4 * MiB, 1), FRAME_E_NOT_USABLE);
	CHECK_EQ(frame_free_pages(2 * MiB - PAGE_SIZE, 2), FRAME_E_NOT_USABLE);
	/* Invalid: unaligned, empty, wrapping. */
	CHECK_EQ(frame_free_pages(p + 1, 1), FRAME_E_INVALID);
	CHECK_EQ(frame_free_pages(p, 0), FRAME_E_INVALID);
	CHECK_EQ(frame_free_pages(p, UINT64_MAX / PAGE_SIZE), FRAME_E_INVALID);
	CHECK_EQ(frame_free_pages(UINT64_MAX - PAGE_SIZE + 1, 1), FRAME_E_INVALID);

	frame_get_stats(&st);
	CHECK_EQ(st.bad_frees, 12);
	CHECK_EQ(st.double_frees, 4);
	CHECK_EQ(st.free_pages, total - 3);
	CHECK_EQ(frame_free_pages(p, 1), FRAME_OK);
	CHECK_EQ(frame_free_pages(p + 2 * PAGE_SIZE, 2), FRAME_OK);
	CHECK_EQ(frame_free_count(), total);
}

/* Reserved ranges (first MiB, "kernel image", "module") are never handed out, and reserving memory
 * that is not free is harmless. Boot data reserved at init may be freed once consumed. */
static void test_reserved(void)
{
	init_one(0, 16 * MiB);
	frame_reserve(0, MiB);
	frame_reserve(MiB + 0x123, 0x2000); /* widened to MiB .. MiB + 3 pages */
	frame_reserve(8 * MiB, 2 * MiB);
	frame_reserve(8 * MiB, 2 * MiB);     /* twice: no effect */
	frame_reserve(64 * MiB, MiB);        /* outside RAM: no effect */
	frame_reserve(15 * MiB, UINT64_MAX); /* up to the end of the address space */
	frame_reserve(0, 0);
	uint64_t expect = 16 * 256 - 256 - 3 - 512 - 256;
	CHECK_EQ(frame_free_count(), expect);

	uint64_t n = 0;
	bool ok = true;
	for (uint64_t p; (p = frame_alloc()) != 0; n++) {
		if (p < MiB + 3 * PAGE_SIZE || (p >= 8 * MiB && p < 10 * MiB) || p >= 15 * MiB)
			ok = false;
	}
	CHECK(ok);
	CHECK_EQ(n, expect);
	CHECK_EQ(frame_free_count(), 0);
	/* The reserved "boot data" can be given back; the first page still cannot. */
	CHECK_EQ(frame_free_pages(8 * MiB, 512), FRAME_OK);
	CHECK_EQ(frame_free_count(), 512);
	CHECK_EQ(frame_free_pages(0, 1), FRAME_E_NOT_USABLE);
}

/* More fragments than FRAME_EXTENTS_MAX: the allocator keeps working and counts what it loses. */
static void test_extent_overflow(void)
{
	struct frame_stats st;
	const uint64_t base = MiB;

	init_one(base, 2048 * PAGE_SIZE);
	for (uint64_t i = 1; i < 2048; i += 2)
		frame_reserve(base + i * PAGE_SIZE, PAGE_SIZE);
	/* The first 511 reservations each split off one free page; from then on every split of the
	 * top extent drops its lower single page: pages 1022, 1024, ..., 2044 (512 pages). */
	frame_get_stats(&st);
	CHECK_EQ(st.lost_pages, 512);
	CHECK_EQ(st.free_pages, 2048 - 1024 - 512);
	CHECK_EQ(frame_free_count(), 512);
	/* Freeing reserved page 1023, whose neighbours are not free, needs a new extent. */
	CHECK_EQ(frame_free_pages(base + 1023 * PAGE_SIZE, 1), FRAME_E_NO_EXTENT);
	/* Freeing page 1 merges pages 0..2 and frees a slot; then page 1023 fits. */
	CHECK_EQ(frame_free_pages(base + PAGE_SIZE, 1), FRAME_OK);
	CHECK_EQ(frame_free_pages(base + 1023 * PAGE_SIZE, 1), FRAME_OK);
	frame_get_stats(&st);
	CHECK_EQ(st.lost_pages, 513);
	CHECK_EQ(st.bad_frees, 0);
	CHECK_EQ(st.free_pages, 514);
	CHECK_EQ(frame_alloc_pages(3, 0, 0), base);
}

#define THREAD_ROUNDS 20000

static void *thread_churn(void *arg)
{
	uint64_t *held = arg;
	for (unsigned r = 0; r < THREAD_ROUNDS; r++) {
		uint64_t p = frame_alloc();
		if (p == 0 || frame_free_pages(p, 1) != FRAME_OK)
			return (void *)1;
	}
	for (unsigned i = 0; i < 64; i++)
		held[i] = frame_alloc();
	return NULL;
}

static void test_concurrent(void)
{
	pthread_t t[2];
	static uint64_t held[2][64];

	init_one(MiB, 128 * PAGE_SIZE);
	for (unsigned i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, thread_churn, held[i]);
	for (unsigned i = 0; i < 2; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		CHECK(ret == NULL);
	}
	CHECK_EQ(frame_free_count(), 0);
	bool distinct = true;
	for (unsigned i = 0; i < 128; i++)
		for (unsigned j = i + 1; j < 128; j++)
			if (held[i / 64][i % 64] == held[j / 64][j % 64] ||
			    held[i / 64][i % 64] == 0)
				distinct = false;
	CHECK(distinct);
}

int main(void)
{
	test_init();
	test_exhaustion();
	test_alignment_and_below();
	test_fragmentation();
	test_bad_frees();
	test_reserved();
	test_extent_overflow();
	test_concurrent();
	return check_summary("frame");
}
