/* The exit trace (docs/trace.md): per vCPU, a ring of fixed-size timestamped records written on
 * the exit path without locks or printing, enabled per VM with the VM option trace=, printed at
 * the VM's end (and its last records in a stuck-vCPU report) as `trace ...` lines that
 * tools/trace.py turns into a timeline and a per-exit-reason summary. */
#ifndef SVM_VM_TRACE_H
#define SVM_VM_TRACE_H

#include "kernel/types.h"

enum trace_kind {
	TRACE_EXIT,     /* a = exit code, b = EXITINFO1, c = EXITINFO2 */
	TRACE_ENTRY,    /* VMRUN: a = RIP, b = RFLAGS, c = EVENTINJ */
	TRACE_IPI_SENT, /* an IPI the hypervisor delivers for this vCPU: a = target vCPU, b = ICR */
	TRACE_DOORBELL, /* it rang the AVIC doorbell: a = host APIC ID */
	TRACE_KICK,     /* it sent a host IPI (an exit kick): a = host APIC ID */
	TRACE_WAKE,     /* it was woken: a = waker vCPU (-1: none, e.g. the GA log or a tick) */
	TRACE_BLOCK,    /* it blocked in HLT: a = RIP, b = RFLAGS */
	TRACE_LOAD,     /* vcpu_load: a = host APIC ID, b = AVIC physical entry after it */
	TRACE_PUT,      /* vcpu_put: a = blocking, b = AVIC physical entry after it */
	TRACE_IRTE,     /* its guest-mode IRTEs updated: a = host APIC ID or -1, b = count */
	TRACE_GA_LOG,   /* a GA log entry named it: a = device ID */
	TRACE_KINDS
};

/* trace= groups (bits of struct vm_trace.mask) */
#define TRACE_GROUP_EXITS BIT(0) /* exit, entry */
#define TRACE_GROUP_IPI   BIT(1) /* ipi, doorbell, kick, wake, block */
#define TRACE_GROUP_SCHED BIT(2) /* load, put */
#define TRACE_GROUP_IRTE  BIT(3) /* irte, ga_log */
#define TRACE_GROUP_ALL   0xfu

#define TRACE_RECORDS 2048 /* per vCPU: 40-byte records, 80 KiB (21 pages with the header) */
#define TRACE_DUMP_DEFAULT 256 /* records per vCPU printed at the VM's end (trace-dump=) */

struct trace_record {
	uint64_t tsc;
	uint16_t kind;
	uint16_t cpu; /* host CPU index that wrote it */
	uint32_t seq; /* the ring's count when written: gaps show overwritten records */
	uint64_t a, b, c;
};

struct trace_ring {
	uint32_t mask;          /* trace= groups of this VM */
	volatile uint32_t head; /* records ever written; slot = head % TRACE_RECORDS */
	struct trace_record rec[TRACE_RECORDS];
};

const char *trace_kind_name(unsigned kind);

static inline unsigned trace_kind_group(unsigned kind)
{
	switch (kind) {
	case TRACE_EXIT:
	case TRACE_ENTRY:
		return TRACE_GROUP_EXITS;
	case TRACE_LOAD:
	case TRACE_PUT:
		return TRACE_GROUP_SCHED;
	case TRACE_IRTE:
	case TRACE_GA_LOG:
		return TRACE_GROUP_IRTE;
	default:
		return TRACE_GROUP_IPI;
	}
}

/* Writes one record (the caller checked the ring and the group). */
void trace_write(struct trace_ring *ring, unsigned kind, uint64_t a, uint64_t b, uint64_t c);

/* One record, if the VM traces (ring set) and its trace= groups include kind's. Lock-free and
 * without printing: a slot is taken with an atomic add, since besides the vCPU's own CPU a waker
 * or the GA log handler on another CPU may write into the same ring. */
static inline void trace_record(struct trace_ring *ring, unsigned kind, uint64_t a, uint64_t b,
				uint64_t c)
{
	if (ring && (ring->mask & trace_kind_group(kind)))
		trace_write(ring, kind, a, b, c);
}

/* Prints the ring's last 'last' records (all it holds if 0), oldest first, one line each:
 * `trace <vm> <vcpu> <seq> <tsc, hex> <host cpu> <kind> <a, hex> <b, hex> <c, hex>`. */
void trace_print(const struct trace_ring *ring, const char *vm, unsigned vcpu, unsigned last);

/* Like trace_print(), but the first 'count' records from the last one written before TSC 'from'
 * (the oldest the ring holds if none is older): a guest's HC_DEBUG_VCPU request for the trace
 * around a moment it names (docs/trace.md, "Snapshots"). */
void trace_print_from(const struct trace_ring *ring, const char *vm, unsigned vcpu, uint64_t from,
		      unsigned count);

#endif
