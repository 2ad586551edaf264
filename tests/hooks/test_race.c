#include "tests/hooks/test_race.h"
#include "kernel/config.h"
#include "kernel/console.h"
#include "kernel/timer.h"
#include "kernel/x86.h"

static const struct {
	unsigned odds;   /* delay one call in this many */
	unsigned min_us; /* delay at least this long */
	unsigned spread; /* plus up to this (a power of two minus one) */
	const char *name;
} test_race_points[TEST_RACE_POINTS] = {
	[TEST_RACE_WAKE] = {4, 2000, 8191, "wakes"},
	[TEST_RACE_PUT] = {2, 500, 1023, "puts"},
};

static uint64_t test_race_delayed[TEST_RACE_POINTS];

/* The TSC's low bits are the randomness: the calls come at no regular rhythm. */
void test_race_point_delay(enum test_race_point p)
{
	if (!kernel_config.test_race_wake)
		return;
	uint64_t t = rdtsc();
	if ((t >> 6) % test_race_points[p].odds)
		return;
	__atomic_fetch_add(&test_race_delayed[p], 1, __ATOMIC_RELAXED);
	uint64_t us = test_race_points[p].min_us + ((t >> 9) & test_race_points[p].spread);
	uint64_t end = t + us * (tsc_hz / 1000000);
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

void test_race_report(void)
{
	if (!kernel_config.test_race_wake)
		return;
	printk("test-race: %lu %s delayed, %lu %s delayed\n",
	       __atomic_load_n(&test_race_delayed[TEST_RACE_WAKE], __ATOMIC_RELAXED),
	       test_race_points[TEST_RACE_WAKE].name,
	       __atomic_load_n(&test_race_delayed[TEST_RACE_PUT], __ATOMIC_RELAXED),
	       test_race_points[TEST_RACE_PUT].name);
}
