// sources: kernel/ratelimit.c
/* Rate limiting of IOMMU fault messages: a burst per interval, the rest counted and reported
 * once when the next interval begins. */
#include "kernel/ratelimit.h"
#include "tests/unit/check.h"

int main(void)
{
	struct ratelimit r = {.interval = 1000, .burst = 3};
	uint64_t report = 99;
	unsigned printed = 0;
	/* 1000 faults within one interval: 3 printed */
	for (unsigned i = 0; i < 1000; i++) {
		printed += ratelimit_allow(&r, 5000 + i / 2, &report);
		CHECK_EQ(report, 0);
	}
	CHECK_EQ(printed, 3);
	CHECK_EQ(r.suppressed, 997);
	/* the next interval: the count is reported once, then 3 more print */
	CHECK(ratelimit_allow(&r, 6000, &report));
	CHECK_EQ(report, 997);
	CHECK(ratelimit_allow(&r, 6001, &report));
	CHECK_EQ(report, 0);
	CHECK(ratelimit_allow(&r, 6002, &report));
	CHECK(!ratelimit_allow(&r, 6003, &report));
	CHECK_EQ(r.total_suppressed, 998);
	/* a quiet interval: nothing to report */
	CHECK(ratelimit_allow(&r, 9000, &report));
	CHECK_EQ(report, 1);
	CHECK(ratelimit_allow(&r, 20000, &report));
	CHECK_EQ(report, 0);
	/* time 0 as the first call is fine */
	struct ratelimit z = {.interval = 10, .burst = 1};
	CHECK(ratelimit_allow(&z, 0, &report));
	CHECK(!ratelimit_allow(&z, 5, &report));
	CHECK(ratelimit_allow(&z, 10, &report));
	CHECK_EQ(report, 1);
	return check_summary("ratelimit");
}
