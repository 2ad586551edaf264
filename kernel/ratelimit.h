/* Rate limiting for messages a device or guest can cause at any rate (IOMMU faults): at most
 * 'burst' per interval, then one line saying how many were suppressed when the next interval
 * begins. Pure (the caller passes the time), so the host unit tests run it. Not locked: one
 * owner, or the caller's lock. */
#ifndef KERNEL_RATELIMIT_H
#define KERNEL_RATELIMIT_H

#include "kernel/types.h"

struct ratelimit {
	uint64_t interval; /* in the caller's time unit (TSC ticks in doorbell) */
	unsigned burst;
	uint64_t start;      /* this interval's beginning */
	unsigned printed;    /* in this interval */
	uint64_t suppressed; /* since the last report */
	uint64_t total_suppressed;
};

/* True when the message may be printed at time 'now'. When a new interval begins after some
 * were suppressed, '*report' receives their count (the caller prints it); else 0. */
bool ratelimit_allow(struct ratelimit *r, uint64_t now, uint64_t *report);

#endif
