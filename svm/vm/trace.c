/* The exit trace's rings (svm/vm/trace.h, docs/trace.md). */
#include "svm/vm/trace.h"
#include "kernel/console.h"
#include "kernel/percpu.h"
#include "kernel/x86.h"

static const char *const kind_names[TRACE_KINDS] = {
	[TRACE_EXIT] = "exit",         [TRACE_ENTRY] = "entry", [TRACE_IPI_SENT] = "ipi",
	[TRACE_DOORBELL] = "doorbell", [TRACE_KICK] = "kick",   [TRACE_WAKE] = "wake",
	[TRACE_BLOCK] = "block",       [TRACE_LOAD] = "load",   [TRACE_PUT] = "put",
	[TRACE_IRTE] = "irte",         [TRACE_GA_LOG] = "ga_log",
};

const char *trace_kind_name(unsigned kind)
{
	return kind < TRACE_KINDS ? kind_names[kind] : "?";
}

void trace_write(struct trace_ring *ring, unsigned kind, uint64_t a, uint64_t b, uint64_t c)
{
	uint32_t seq = __atomic_fetch_add(&ring->head, 1, __ATOMIC_RELAXED);
	struct trace_record *r = &ring->rec[seq % TRACE_RECORDS];
	r->tsc = rdtsc();
	r->kind = (uint16_t)kind;
	r->cpu = (uint16_t)this_cpu()->index;
	r->seq = seq;
	r->a = a;
	r->b = b;
	r->c = c;
}

/* The n records before head (n at most what the ring holds), oldest first. */
static void print_before(const struct trace_ring *ring, const char *vm, unsigned vcpu,
			 uint32_t head, uint32_t n)
{
	for (uint32_t seq = head - n; seq != head; seq++) {
		const struct trace_record *r = &ring->rec[seq % TRACE_RECORDS];
		printk("trace %s %u %u %lx %u %s %lx %lx %lx\n", vm, vcpu, r->seq, r->tsc, r->cpu,
		       trace_kind_name(r->kind), r->a, r->b, r->c);
	}
}

void trace_print(const struct trace_ring *ring, const char *vm, unsigned vcpu, unsigned last)
{
	uint32_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	uint32_t n = head < TRACE_RECORDS ? head : TRACE_RECORDS;
	if (last && last < n)
		n = last;
	print_before(ring, vm, vcpu, head, n);
}

void trace_print_from(const struct trace_ring *ring, const char *vm, unsigned vcpu, uint64_t from,
		      unsigned count)
{
	uint32_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	uint32_t oldest = head < TRACE_RECORDS ? 0 : head - TRACE_RECORDS;
	uint32_t start = head;
	while (start != oldest && ring->rec[(start - 1) % TRACE_RECORDS].tsc >= from)
		start--;
	if (start != oldest)
		start--; /* the last record before 'from': the state at that moment */
	uint32_t n = head - start < count ? head - start : count;
	print_before(ring, vm, vcpu, start + n, n);
}
