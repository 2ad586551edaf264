/* A guest that only computes: it counts for a bounded time (seconds=, default 2) and prints its
 * progress, so that two of them can run side by side ("two VMs at the same time"). */
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "busy";

#define DEFAULT_SECONDS    2
#define REPORTS_PER_SECOND 2
#define US_PER_SECOND      1000000u

void guest_main(const struct multiboot_info *mbi)
{
	uint32_t seconds = multiboot_cmdline_uint(mbi, "seconds", DEFAULT_SECONDS);
	uint32_t reports = seconds * REPORTS_PER_SECOND;
	uint64_t count = 0, previous = 0;
	bool increasing = true;
	printf("busy: counting for %u s\n", seconds);
	for (uint32_t i = 1; i <= reports; i++) {
		uint64_t end = tsc_deadline((uint64_t)US_PER_SECOND / REPORTS_PER_SECOND);
		while (!tsc_expired(end))
			for (int k = 0; k < 1000; k++) {
				count++;
				/* keeps the compiler from folding the loop into one addition */
				__asm__ volatile("" : "+r"(count));
			}
		increasing &= count > previous;
		previous = count;
		printf("busy: progress %u/%u\n", i, reports);
	}
	printf("info: busy counted to %u thousand\n", (uint32_t)(count / 1000));
	test_check(increasing, "the count grew in every interval");
}
