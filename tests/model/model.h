/* The model of AVIC interrupt delivery that tests/model explores: one sender vCPU writing ICRs,
 * up to two target vCPUs that halt, block, get woken, preempted and scheduled in again, the AVIC
 * hardware's ICR steps (APM 15.29.6.1) with or without erratum #1235, and doorbells/host IPIs in
 * flight. The hypervisor's side is avic/delivery.c itself, one delivery_step() per transition.
 *
 * vCPU i is pinned to host CPU i, whose host APIC ID is i; vCPU 0 is the sender. Everything a
 * state holds is plain data (no pointers into the state), so a state is copied with memcpy and
 * the explorer hashes the bytes that matter (system_key()). */
#ifndef TESTS_MODEL_MODEL_H
#define TESTS_MODEL_MODEL_H

#include "avic/vlapic/apic_regs.h"
#include "avic/avic_policy.h"
#include "avic/delivery.h"
#include "iommu/irte.h"
#include "kernel/types.h"

#define MODEL_MAX_VCPUS     3
#define MODEL_VECTOR        0x41 /* the IPI vector the sender uses */
#define MODEL_DEVICE_VECTOR 0x51 /* the device interrupt the IOMMU posts to vCPU1 */
/* The part of each APIC page the model keeps: every register the delivery path reads or writes
 * (TPR, PPR, ISR, TMR, IRR) lies below the ESR. */
#define MODEL_PAGE_BYTES (APIC_ESR + APIC_REG_STRIDE)

/* Deliberately broken variants: the model must find their lost wake-up. */
enum model_variant {
	MODEL_AS_BUILT,
	/* The blocker's re-check sees nothing (as if DELIVERY_RECHECK were deleted). */
	MODEL_NO_RECHECK,
	/* The blocker's store of running_on = nowhere sits in a store buffer and becomes visible
	 * to other CPUs at any later point, after its own re-check of the IRR: what x86 allows
	 * without the full barrier in DELIVERY_CLEAR_RUNNING_ON (SDM vol. 3 9.2.3.4). */
	MODEL_NO_BARRIER,
	/* put updates the IRTE after running_on is cleared and the IRR re-checked, instead of
	 * first (as if DELIVERY_IRTE_PUT came after DELIVERY_RECHECK). */
	MODEL_IRTE_AFTER_CLEAR,
	/* vcpu_run()'s tail as it was before commit 4ae3f60: it re-read the state after leaving the
	 * loop and put back in its run queue any vCPU it found RUNNABLE, including one that had
	 * blocked and been woken (and queued) by another CPU since. */
	MODEL_REREAD_STATE,
};

struct model_config {
	enum avic_policy policy;
	bool erratum;      /* erratum #1235: IsRunning checks may act on a pre-clear value */
	unsigned vcpus;    /* 2 or 3: the sender and 1 or 2 targets */
	unsigned ipis;     /* ICR writes by the sender, each to every target */
	unsigned halts;    /* HLT exits per target */
	unsigned preempts; /* schedule-outs of a running target per target */
	enum model_variant variant;
	bool expect_lost; /* the expected outcome */
	/* The IOMMU as a sender: device interrupts posted to vCPU1 through its guest-mode IRTE. */
	unsigned device_irqs;
	/* The IOMMU reads the IRTE and sets the IRR in two steps (what hardware may do); else in
	 * one (QEMU's model, under its global lock). */
	bool iommu_split;
	/* A failure other than a lost wake-up that the configuration must find (enum
	 * model_failure; 0 = none). */
	unsigned expect_failure;
	/* vcpu_poll_posted(): vCPU1's home CPU ticks and wakes it if it is blocked, not loaded, and
	 * a vector is pending (only a vCPU with a guest-mode IRTE; off in the rows that check the
	 * delivery protocol itself, which the tick would otherwise cover up). */
	bool tick;
};

/* Where a vCPU's thread is, as the hypervisor's vcpu_run() goes (svm/vm/vcpu.c). */
enum model_phase {
	PHASE_GUEST,       /* loaded, in guest mode */
	PHASE_HLT_CHECK,   /* HLT exit: anything to wake up for? */
	PHASE_SET_BLOCKED, /* no: state = BLOCKED */
	PHASE_READ_STATE,  /* leaving the run loop after it blocked: put (blocking), no re-queue */
	PHASE_PUT,         /* delivery put steps */
	PHASE_IRTE_LATE,   /* MODEL_IRTE_AFTER_CLEAR: the IRTE update, after the put */
	PHASE_OUT,         /* not loaded: asleep if BLOCKED, else waits in its CPU's run queue */
	PHASE_LOAD,        /* delivery load steps */
	PHASE_ENTRY,       /* VMRUN: takes the pending IRR vectors (APM 15.29.8.3) */
};

enum model_vcpu_state { MODEL_RUNNABLE, MODEL_BLOCKED };

struct model_vcpu {
	uint8_t phase; /* enum model_phase */
	uint8_t halts_left, preempts_left;
	bool halted;
	uint8_t queued;    /* entries for it in its CPU's run queue (kernel/sched.c) */
	bool queued_twice; /* it was ever queued while already queued */
	bool requeue;      /* the put in progress ends with sched_enqueue() (preempted) */
	uint32_t state;       /* enum model_vcpu_state, CAS by wake() */
	int32_t running_on;   /* as other CPUs see it */
	int32_t store_buffer; /* MODEL_NO_BARRIER: the store not yet visible */
	bool store_buffered;
	uint64_t entry;              /* AVIC physical APIC ID table entry */
	uint64_t entry_before_clear; /* its value before IsRunning was last cleared */
	bool entry_cleared;          /* ... if ever */
	struct delivery d;           /* load/put in progress */
	struct irte irte;            /* vCPU1: the guest-mode IRTE of the device (else 0) */
	uint8_t page[MODEL_PAGE_BYTES] __attribute__((aligned(16)));
};

/* The IOMMU posting one device interrupt through vCPU1's IRTE (reference §4.1), and the
 * hypervisor's GA log handler (svm/vm/intremap.c: vcpu_kick() of the tagged vCPU) on CPU0. */
enum model_iommu_pc {
	IOMMU_IDLE,    /* about to read the IRTE (and, not split, set the IRR) */
	IOMMU_SET_IRR, /* split: set the IRR bit in the GA root page */
	IOMMU_ACT,     /* IsRun -> doorbell to Destination; else GALogIntr -> GA log entry */
};

struct model_iommu {
	uint8_t pc;
	uint8_t irqs_left;
	bool ga_log_pending; /* a GA log entry the handler has not taken */
	bool handler_active; /* the handler's kick in d is in progress */
	struct irte seen;    /* the IRTE as read */
	struct delivery d;
};

/* The sender's ICR write, as the AVIC hardware and then the hypervisor carry it out. */
enum model_sender_pc {
	SENDER_GUEST,         /* about to write the ICR, or done */
	SENDER_HW_SET_IRR,    /* AVIC: IRR of target `target` */
	SENDER_HW_IS_RUNNING, /* AVIC: its IsRunning: doorbell, or remember "not running" */
	SENDER_EXIT,          /* #VMEXIT 401h: decode and choose the action */
	SENDER_DELIVERY,      /* hypervisor: delivery steps (kick targets, or soft post) */
};

struct model_sender {
	uint8_t pc;
	uint8_t ipis_left;
	uint8_t target;          /* current target vCPU index */
	bool target_not_running; /* some target had IsRunning clear */
	uint8_t first_not_running;
	struct delivery d;
};

struct model_state {
	struct model_vcpu v[MODEL_MAX_VCPUS];
	struct model_sender s;
	struct model_iommu io;
	uint8_t doorbells; /* bit i: a doorbell or host IPI in flight to host CPU i */
};

#define MODEL_MAX_TRANSITIONS 16
#define MODEL_TEXT            160

enum model_transition_kind {
	T_SENDER,   /* choice: the IsRunning value read (0 current, 1 pre-clear) */
	T_VCPU,     /* index: the vCPU; choice: 0 HLT, 1 preempt when in guest mode */
	T_DOORBELL, /* index: the host CPU */
	T_FLUSH,    /* index: the vCPU whose buffered running_on store becomes visible */
	T_IOMMU,    /* the IOMMU's next step */
	T_GA_LOG,   /* the GA log handler takes an entry, or its next delivery step */
	T_TICK,     /* index: the vCPU its home CPU's scheduler tick wakes (vcpu_poll_posted()) */
};

struct model_transition {
	uint8_t kind, index, choice;
};

/* system.c: the modelled machine. */
void system_init(struct model_state *s, const struct model_config *c);
unsigned system_transitions(const struct model_state *s, struct model_transition *out);
/* Applies t to s, describing what happened in text (MODEL_TEXT bytes). */
void system_apply(struct model_state *s, const struct model_transition *t, char *text);
/* The bytes that identify a state, into buf (returns the length). */
size_t system_key(const struct model_state *s, uint8_t *buf, size_t size);
enum model_failure {
	MODEL_FINE,
	MODEL_LOST_WAKEUP, /* a target blocked with an interrupt pending, nobody left to wake it */
	MODEL_STRANDED,    /* a target left in guest mode with an interrupt it was never told of */
	/* A vCPU put in its run queue while already in it. The queue is a singly linked list
	 * (struct vcpu.runq_next): the second sched_enqueue() cuts off every vCPU queued after the
	 * first entry, and those stay RUNNABLE on no queue, never to run again. */
	MODEL_QUEUED_TWICE,
	MODEL_UNQUEUED, /* a vCPU runnable, not loaded, in no run queue: it never runs again */
};
/* How often the explored transitions took the paths a proof relies on: a run that never
 * exercised a wake-up would prove nothing about them. Counted over all transitions taken. */
struct model_coverage {
	uint64_t sender_woke; /* a sender's wake() found the target BLOCKED */
	uint64_t self_woke;   /* a blocker's re-check woke itself */
	uint64_t
	    doorbell_taken;   /* a doorbell/IPI reached a vCPU in guest mode with an IRR vector */
	uint64_t stale_reads; /* the AVIC acted on a pre-clear IsRunning (erratum) */
	uint64_t ga_log_woke; /* the GA log handler's kick found vCPU1 BLOCKED */
	uint64_t iommu_doorbell; /* the IOMMU rang a doorbell (IsRun=1) */
	/* a sender's wake() found the target BLOCKED but still loaded, between its state =
	 * BLOCKED and the end of its put: the case MODEL_REREAD_STATE queues twice */
	uint64_t woke_loaded;
};
const struct model_coverage *system_coverage(void);

/* Judges a state with no transition left, describing a failure in text. */
enum model_failure system_failure(const struct model_state *s, char *text);

/* hardware.c: the AVIC's side of an ICR write (APM 15.29.6.1 steps 4-6). */
void hardware_set_irr(struct model_vcpu *target, uint8_t vector);
/* IsRunning of the target's physical table entry as the CPU reads it: the current entry, or
 * with the erratum (pre_clear) the one before its latest clear. */
bool hardware_is_running(const struct model_vcpu *target, bool pre_clear, uint32_t *host_apic_id);
/* With the erratum, whether a pre-clear read would differ from a current one. */
bool hardware_stale_read_possible(const struct model_vcpu *target, bool erratum);
/* Called after every write the hypervisor makes to the entry: remembers the pre-clear value. */
void hardware_entry_written(struct model_vcpu *target, uint64_t before);

/* explore.c: exhaustive DFS over all interleavings with a visited-state set. */
struct explore_result {
	uint64_t states;      /* distinct states visited */
	uint64_t transitions; /* transitions taken */
	unsigned max_depth;
	enum model_failure failure; /* the first one found (exploration stops there) */
	bool depth_exceeded;        /* a path longer than the explorer's limit: result not valid */
	struct model_coverage coverage;
};
void explore_run(const struct model_config *c, struct explore_result *r, bool print_trace);

#endif
