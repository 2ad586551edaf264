/* A guest's own event in doorbell's exit-trace timeline (docs/trace.md, "Guest marks"): one line
 * `trace-mark <cpu> <tsc> <name> <a> <b> <c>` on the guest's console, which tools/trace.py reads
 * as a record of vCPU <cpu> at <tsc> next to the hypervisor's own records. The guest's TSC is
 * the host's while the guest does not write IA32_TIME_STAMP_COUNTER (doorbell's TSC offset is 0). */
#ifndef GUESTS_LIB_TRACE_MARK_H
#define GUESTS_LIB_TRACE_MARK_H

#include "guests/lib/printf.h"
#include "kernel/types.h"

static inline void trace_mark(unsigned cpu, uint64_t tsc, const char *name, uint64_t a,
			      uint64_t b, uint64_t c)
{
	printf("trace-mark %u %llx %s %llx %llx %llx\n", cpu, (unsigned long long)tsc, name,
	       (unsigned long long)a, (unsigned long long)b, (unsigned long long)c);
}

#endif
