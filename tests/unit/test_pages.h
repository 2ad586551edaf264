/* Zeroed, 4 KiB-aligned pages from the host heap for code that takes a page allocator (I/O page
 * tables), with a count of the pages not yet freed so that tests can check for leaks. */
#ifndef TESTS_UNIT_TEST_PAGES_H
#define TESTS_UNIT_TEST_PAGES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static unsigned live_pages;

static uint64_t test_alloc(void)
{
	void *p = aligned_alloc(4096, 4096);
	if (!p)
		return 0;
	memset(p, 0, 4096);
	live_pages++;
	return (uint64_t)(uintptr_t)p;
}

static void test_free(uint64_t pa)
{
	free((void *)(uintptr_t)pa);
	live_pages--;
}

#endif
