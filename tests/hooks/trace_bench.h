/* make bench's cost of a trace point, off and on (tests/hooks/trace_bench.c). */
#ifndef TESTS_HOOKS_TRACE_BENCH_H
#define TESTS_HOOKS_TRACE_BENCH_H

void trace_bench_run(void);

#endif
