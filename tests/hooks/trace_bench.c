/* make bench (iommu-test=irte-bench): what a trace point (svm/vm/trace.h) costs the exit path,
 * averaged over TRACE_BENCH_RECORDS calls, with the trace off (the VM has no ring: one test of a
 * pointer) and on (a record written into a ring in memory). Printed as
 * `bench: trace_off|trace_on N cycles` (docs/trace.md). */
#include "tests/hooks/trace_bench.h"
#include "kernel/config.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "svm/vm/trace.h"

#define TRACE_BENCH_RECORDS 100000
#define TRACE_BENCH_PAGES (ALIGN_UP(sizeof(struct trace_ring), PAGE_SIZE) / PAGE_SIZE)

void trace_bench_run(void)
{
	if (strcmp(kernel_config.iommu_test, "irte-bench"))
		return;
	uint64_t pa = frame_alloc_pages(TRACE_BENCH_PAGES, PAGE_SIZE, 0);
	if (!pa) {
		pr_err("trace-bench: out of memory\n");
		return;
	}
	struct trace_ring *scratch = (struct trace_ring *)(uintptr_t)pa;
	struct trace_ring *volatile off = NULL;
	scratch->mask = TRACE_GROUP_ALL;
	scratch->head = 0;
	uint64_t start = rdtsc();
	for (unsigned i = 0; i < TRACE_BENCH_RECORDS; i++)
		trace_record(off, TRACE_EXIT, i, 0, 0);
	uint64_t mid = rdtsc();
	for (unsigned i = 0; i < TRACE_BENCH_RECORDS; i++)
		trace_record(scratch, TRACE_EXIT, i, 0, 0);
	uint64_t end = rdtsc();
	frame_free_pages(pa, TRACE_BENCH_PAGES);
	printk("bench: trace_off %lu cycles\n", (mid - start) / TRACE_BENCH_RECORDS);
	printk("bench: trace_on %lu cycles\n", (end - mid) / TRACE_BENCH_RECORDS);
}
