/* Physical frame allocator: sorted arrays of page-aligned [base, end) extents in static storage.
 * One array records what is usable memory at all (fixed at frame_init()), the other what is free
 * now; the first lets frame_free_pages() reject frees of memory that was never ours. */
#include "kernel/frame.h"
#include "kernel/spinlock.h"

struct frame_range {
	uint64_t base, end; /* byte addresses, page-aligned, end exclusive */
};

struct frame_set {
	struct frame_range range[FRAME_EXTENTS_MAX];
	unsigned count;
	unsigned max; /* capacity actually used: MEMMAP_MAX for the usable set */
};

/* The highest page-aligned end we can represent: the last page of the address space is never
 * handed out, which loses nothing real and keeps every end free of overflow. */
#define FRAME_TOP ALIGN_DOWN(UINT64_MAX, PAGE_SIZE)

static struct spinlock frame_lock = SPINLOCK_INIT;
static struct frame_set frame_usable = {.max = MEMMAP_MAX};
static struct frame_set frame_free = {.max = FRAME_EXTENTS_MAX};
static struct frame_stats frame_stats;

static uint64_t frame_pages(uint64_t base, uint64_t end)
{
	return (end - base) / PAGE_SIZE;
}

static void frame_set_delete(struct frame_set *s, unsigned i)
{
	for (unsigned j = i + 1; j < s->count; j++)
		s->range[j - 1] = s->range[j];
	s->count--;
}

static bool frame_set_insert_at(struct frame_set *s, unsigned i, uint64_t base, uint64_t end)
{
	if (s->count >= s->max)
		return false;
	for (unsigned j = s->count; j > i; j--)
		s->range[j] = s->range[j - 1];
	s->range[i] = (struct frame_range){base, end};
	s->count++;
	return true;
}

/* Adds [base, end) keeping the set sorted, merging it with every range it touches or overlaps.
 * Returns false if a new slot was needed and the set is full. */
static bool frame_set_add(struct frame_set *s, uint64_t base, uint64_t end)
{
	unsigned i = 0;

	while (i < s->count && s->range[i].end < base)
		i++;
	if (i == s->count || s->range[i].base > end)
		return frame_set_insert_at(s, i, base, end);

	s->range[i].base = MIN(s->range[i].base, base);
	s->range[i].end = MAX(s->range[i].end, end);
	while (i + 1 < s->count && s->range[i + 1].base <= s->range[i].end) {
		s->range[i].end = MAX(s->range[i].end, s->range[i + 1].end);
		frame_set_delete(s, i + 1);
	}
	return true;
}

/* Takes [base, end), which lies inside free extent i, out of the free set. Cutting from the middle
 * needs a second slot; with the array full, the smaller remainder is dropped and counted. */
static void frame_take(unsigned i, uint64_t base, uint64_t end)
{
	struct frame_range *r = &frame_free.range[i];
	struct frame_range low = {r->base, base}, high = {end, r->end};

	frame_stats.free_pages -= frame_pages(base, end);
	if (low.base == low.end && high.base == high.end) {
		frame_set_delete(&frame_free, i);
	} else if (low.base == low.end) {
		*r = high;
	} else if (high.base == high.end) {
		*r = low;
	} else if (!frame_set_insert_at(&frame_free, i + 1, high.base, high.end)) {
		struct frame_range lost =
		    frame_pages(low.base, low.end) < frame_pages(high.base, high.end) ? low : high;
		*r = lost.base == low.base ? high : low;
		frame_stats.lost_pages += frame_pages(lost.base, lost.end);
		frame_stats.free_pages -= frame_pages(lost.base, lost.end);
	} else {
		frame_free.range[i].end = low.end;
	}
}

void frame_init(const struct memmap *m)
{
	spin_lock(&frame_lock);
	frame_usable.count = 0;
	frame_free.count = 0;
	frame_stats = (struct frame_stats){0};

	for (unsigned i = 0; i < m->count && i < MEMMAP_MAX; i++) {
		const struct memmap_entry *e = &m->entry[i];
		if (e->type != MEMMAP_USABLE || e->base > FRAME_TOP)
			continue;
		uint64_t base = ALIGN_UP(e->base, PAGE_SIZE);
		uint64_t end = e->length > FRAME_TOP - e->base
		                   ? FRAME_TOP
		                   : ALIGN_DOWN(e->base + e->length, PAGE_SIZE);
		base = MAX(base, PAGE_SIZE); /* frame 0 is never handed out: 0 means failure */
		if (base < end)
			frame_set_add(&frame_usable, base, end);
	}

	for (unsigned i = 0; i < frame_usable.count; i++) {
		const struct frame_range *r = &frame_usable.range[i];
		frame_free.range[i] = *r;
		frame_stats.usable_pages += frame_pages(r->base, r->end);
	}
	frame_free.count = frame_usable.count;
	frame_stats.free_pages = frame_stats.usable_pages;
	spin_unlock(&frame_lock);
}

void frame_reserve(uint64_t base, uint64_t length)
{
	if (length == 0)
		return;
	uint64_t start = ALIGN_DOWN(base, PAGE_SIZE);
	uint64_t end = length > FRAME_TOP - base ? FRAME_TOP : ALIGN_UP(base + length, PAGE_SIZE);

	spin_lock(&frame_lock);
	/* Downwards, so that the deletions and insertions of frame_take() only move extents that
	 * have already been visited. */
	for (unsigned i = frame_free.count; i-- > 0;) {
		const struct frame_range *r = &frame_free.range[i];
		uint64_t cut_base = MAX(r->base, start), cut_end = MIN(r->end, end);
		if (cut_base < cut_end)
			frame_take(i, cut_base, cut_end);
	}
	spin_unlock(&frame_lock);
}

uint64_t frame_alloc(void)
{
	return frame_alloc_pages(1, PAGE_SIZE, 0);
}

uint64_t frame_alloc_pages(uint64_t npages, uint64_t align, uint64_t below)
{
	if (npages == 0 || npages > FRAME_TOP / PAGE_SIZE)
		return 0;
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	if ((align & (align - 1)) != 0)
		return 0;
	uint64_t size = npages * PAGE_SIZE;
	uint64_t limit = below == 0 ? UINT64_MAX : below;
	uint64_t found = 0;

	spin_lock(&frame_lock);
	for (unsigned i = frame_free.count; i-- > 0;) {
		const struct frame_range *r = &frame_free.range[i];
		uint64_t top = MIN(r->end, limit);
		if (top < r->base || top - r->base < size)
			continue;
		uint64_t base = ALIGN_DOWN(top - size, align);
		if (base < r->base)
			continue;
		frame_take(i, base, base + size);
		found = base;
		break;
	}
	spin_unlock(&frame_lock);
	return found;
}

static bool frame_set_contains(const struct frame_set *s, uint64_t base, uint64_t end)
{
	for (unsigned i = 0; i < s->count; i++)
		if (s->range[i].base <= base && end <= s->range[i].end)
			return true;
	return false;
}

static bool frame_set_overlaps(const struct frame_set *s, uint64_t base, uint64_t end)
{
	for (unsigned i = 0; i < s->count; i++)
		if (s->range[i].base < end && base < s->range[i].end)
			return true;
	return false;
}

static int frame_check_free(uint64_t base, uint64_t end)
{
	if (!frame_set_contains(&frame_usable, base, end))
		return FRAME_E_NOT_USABLE;
	if (frame_set_overlaps(&frame_free, base, end)) {
		frame_stats.double_frees++;
		return FRAME_E_DOUBLE_FREE;
	}
	return FRAME_OK;
}

int frame_free_pages(uint64_t base, uint64_t npages)
{
	int err = FRAME_OK;

	spin_lock(&frame_lock);
	if (base % PAGE_SIZE != 0 || npages == 0 || npages > (FRAME_TOP - base) / PAGE_SIZE) {
		err = FRAME_E_INVALID;
	} else {
		uint64_t end = base + npages * PAGE_SIZE;
		err = frame_check_free(base, end);
		if (err == FRAME_OK && !frame_set_add(&frame_free, base, end)) {
			frame_stats.lost_pages += npages;
			err = FRAME_E_NO_EXTENT;
		} else if (err == FRAME_OK) {
			frame_stats.free_pages += npages;
		}
	}
	if (err != FRAME_OK && err != FRAME_E_NO_EXTENT)
		frame_stats.bad_frees++;
	spin_unlock(&frame_lock);
	return err;
}

uint64_t frame_free_count(void)
{
	spin_lock(&frame_lock);
	uint64_t n = frame_stats.free_pages;
	spin_unlock(&frame_lock);
	return n;
}

void frame_get_stats(struct frame_stats *out)
{
	spin_lock(&frame_lock);
	*out = frame_stats;
	spin_unlock(&frame_lock);
}
