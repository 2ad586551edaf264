/* Physical frame allocator over the normalized memory map. Free memory is kept as a sorted array
 * of extents in static storage, so the allocator never touches the memory it manages and does not
 * depend on how physical memory is mapped. All functions take one spinlock. */
#ifndef KERNEL_FRAME_H
#define KERNEL_FRAME_H

#include "kernel/memmap.h"

#define FRAME_EXTENTS_MAX 512

/* Return codes of frame_free_pages(). */
#define FRAME_OK            0
#define FRAME_E_INVALID     (-1) /* base not page-aligned, npages 0, or the range wraps */
#define FRAME_E_NOT_USABLE  (-2) /* part of the range was never usable memory (or is frame 0) */
#define FRAME_E_DOUBLE_FREE (-3) /* part of the range is already free */
#define FRAME_E_NO_EXTENT   (-4) /* the extent array is full: the pages are lost (counted) */

struct frame_stats {
	uint64_t usable_pages; /* pages taken from the map by frame_init() */
	uint64_t free_pages;   /* pages currently free */
	uint64_t bad_frees;    /* frees rejected as INVALID, NOT_USABLE or DOUBLE_FREE */
	uint64_t double_frees; /* ... of which DOUBLE_FREE */
	uint64_t lost_pages;   /* pages dropped because the extent array was full */
};

/* Takes every MEMMAP_USABLE range of a normalized map, shrunk to whole pages. Frame 0 is excluded,
 * so 0 can mean failure. Resets all previous state. */
void frame_init(const struct memmap *m);

/* Removes [base, base + length), widened to whole pages, from the free pool. Parts that are not
 * free are ignored, so callers may reserve generously (the first 1 MiB, the kernel image, modules,
 * boot data, the AP trampoline). The pages remain usable memory: frame_free_pages() accepts them
 * later, e.g. boot data once consumed. */
void frame_reserve(uint64_t base, uint64_t length);

/* One 4 KiB frame, or 0 when none is left. Taken from the top of memory so that scarce low memory
 * (below 1 MiB, below 4 GiB) stays available for callers that need it. */
uint64_t frame_alloc(void);

/* npages contiguous frames whose base is a multiple of align (bytes, a power of two; 0 or less than
 * a page means page alignment) and which end at or below 'below' (0: no limit). Returns the base,
 * or 0 on failure. */
uint64_t frame_alloc_pages(uint64_t npages, uint64_t align, uint64_t below);

/* Returns npages frames starting at base to the pool. FRAME_OK or a FRAME_E_* code. A free that is
 * INVALID, NOT_USABLE or DOUBLE_FREE changes nothing and is counted in frame_stats.bad_frees; with
 * FRAME_E_NO_EXTENT the pages stay allocated for good and are counted in lost_pages. */
int frame_free_pages(uint64_t base, uint64_t npages);

/* Number of free pages. */
uint64_t frame_free_count(void);

void frame_get_stats(struct frame_stats *out);

#endif
