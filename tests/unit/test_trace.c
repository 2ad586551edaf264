// sources: svm/vm/trace.c kernel/format.c kernel/string.c
// cflags: -Itests/fake
/* The exit trace's ring (svm/vm/trace.c, docs/trace.md) on the fake arch: records are written
 * with the fake TSC, numbered, and filtered by the VM's trace= groups; trace_print() prints the
 * last N oldest first; trace_print_from() (an HC_DEBUG_VCPU snapshot) starts at the last record
 * before the TSC the guest named, also after the ring has wrapped, and prints at most N. */
#include "svm/vm/trace.h"
#include "kernel/format.h"
#include "kernel/percpu.h"
#include "kernel/x86.h"
#include "tests/unit/check.h"
#include <asm/prctl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

uint64_t fake_tsc;
bool fake_irq_on;
static struct percpu cpu0;

void fake_idle(void)
{
}

void fake_interrupt_window(void)
{
}

/* printk collects the lines: the first TSC and the count of `trace` lines printed */
static char printed[1 << 20];
static size_t printed_len;

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = format_v(printed + printed_len, sizeof(printed) - printed_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		printed_len += (size_t)n;
}

static unsigned lines(void)
{
	unsigned n = 0;
	for (size_t i = 0; i < printed_len; i++)
		n += printed[i] == '\n';
	return n;
}

/* the seq field of the first printed line (`trace vm vcpu seq ...`) */
static long first_seq(void)
{
	unsigned vcpu;
	long seq;
	if (sscanf(printed, "trace g %u %ld", &vcpu, &seq) != 2)
		return -1;
	return seq;
}

static void reset_print(void)
{
	printed_len = 0;
	printed[0] = 0;
}

int main(void)
{
	syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&cpu0);
	cpu0.self = &cpu0;
	struct trace_ring *ring = calloc(1, sizeof(*ring));
	ring->mask = TRACE_GROUP_EXITS | TRACE_GROUP_IPI;

	/* records at TSC 1000, 1010, ...: exit/entry pairs; sched records are filtered out */
	for (unsigned i = 0; i < 100; i++) {
		fake_tsc = 1000 + 10 * i;
		trace_record(ring, i % 2 ? TRACE_ENTRY : TRACE_EXIT, i, 0, 0);
		trace_record(ring, TRACE_LOAD, 0, 0, 0); /* sched group not traced */
	}
	CHECK_EQ(ring->head, 100);
	CHECK_EQ(ring->rec[5].tsc, 1050);
	CHECK_EQ(ring->rec[5].seq, 5);
	CHECK_EQ(ring->rec[5].kind, TRACE_ENTRY);
	trace_record(NULL, TRACE_EXIT, 0, 0, 0); /* a VM that does not trace: no ring, no record */

	reset_print();
	trace_print(ring, "g", 0, 10);
	CHECK_EQ(lines(), 10);
	CHECK_EQ(first_seq(), 90);
	CHECK(strstr(printed, "trace g 0 99 7c6 0 entry 63 0 0\n") != NULL);

	/* from TSC 1255: the last record before it is seq 25 (TSC 1250), then 26, 27 ... */
	reset_print();
	trace_print_from(ring, "g", 0, 1255, 5);
	CHECK_EQ(lines(), 5);
	CHECK_EQ(first_seq(), 25);
	CHECK(strstr(printed, "trace g 0 29 ") != NULL);
	CHECK(strstr(printed, "trace g 0 30 ") == NULL);
	/* a TSC equal to a record's: that record is not before it, the one before is */
	reset_print();
	trace_print_from(ring, "g", 0, 1250, 1);
	CHECK_EQ(first_seq(), 24);
	/* a count beyond the newest record: up to the newest */
	reset_print();
	trace_print_from(ring, "g", 0, 1955, 50);
	CHECK_EQ(lines(), 5);
	CHECK_EQ(first_seq(), 95);
	/* a TSC before every record: from the oldest; after every record: the newest alone */
	reset_print();
	trace_print_from(ring, "g", 0, 1, 3);
	CHECK_EQ(first_seq(), 0);
	CHECK_EQ(lines(), 3);
	reset_print();
	trace_print_from(ring, "g", 0, 99999, 3);
	CHECK_EQ(lines(), 1);
	CHECK_EQ(first_seq(), 99);
	/* count 0 (trace-dump=0): nothing */
	reset_print();
	trace_print_from(ring, "g", 0, 1255, 0);
	CHECK_EQ(lines(), 0);

	/* wrapped: 3000 records in all, the ring holds seq 952..2999 */
	for (unsigned i = 100; i < 3000; i++) {
		fake_tsc = 1000 + 10 * i;
		trace_record(ring, TRACE_EXIT, i, 0, 0);
	}
	reset_print();
	trace_print_from(ring, "g", 0, 1, 2); /* older than the ring holds: its oldest */
	CHECK_EQ(first_seq(), 3000 - TRACE_RECORDS);
	reset_print();
	trace_print_from(ring, "g", 0, 1000 + 10 * 2500 + 5, 4);
	CHECK_EQ(first_seq(), 2500);
	CHECK_EQ(lines(), 4);
	reset_print();
	trace_print(ring, "g", 0, 0); /* 0: everything the ring holds */
	CHECK_EQ(lines(), TRACE_RECORDS);
	free(ring);
	return check_summary("trace");
}
