/* Message rate limiting (kernel/ratelimit.h). */
#include "kernel/ratelimit.h"

bool ratelimit_allow(struct ratelimit *r, uint64_t now, uint64_t *report)
{
	*report = 0;
	if (r->printed == 0 && r->suppressed == 0 && r->start == 0) {
		r->start = now;
	} else if (now - r->start >= r->interval) {
		*report = r->suppressed;
		r->suppressed = 0;
		r->printed = 0;
		r->start = now;
	}
	if (r->printed < r->burst) {
		r->printed++;
		return true;
	}
	r->suppressed++;
	r->total_suppressed++;
	return false;
}
