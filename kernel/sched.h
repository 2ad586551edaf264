/* The scheduler: one run queue per CPU, each under its own lock (no global lock), FIFO with time
 * slices from the host LAPIC timer. It schedules sched_entity objects and knows nothing of what
 * they are: an entity (a vCPU, svm/vm/vcpu.c) registers its callbacks and is run, switched in and
 * out, and queued again when its run ends in preemption. An entity stays on its home CPU.
 * Timers are sched_timer objects that their owners register on a CPU and re-arm; housekeeping
 * (CPU 0's console flush) is a hook the layer above installs. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "kernel/spinlock.h"
#include "kernel/types.h"

#define SCHED_SLICE_US 4000
#define SCHED_MAX_TIMERS 64 /* timer objects per CPU */
#define SCHED_TIMER_NONE UINT64_MAX

/* How an entity's run ended: who queues it next. */
enum sched_outcome {
	SCHED_PREEMPTED, /* still runnable, its slice is over: the scheduler queues it again */
	SCHED_WAITING,   /* it waits for an event: whoever ends the wait queues it (sched_enqueue) */
	SCHED_RETIRED,   /* it is done: never queued again */
};

struct sched_entity;

struct sched_entity_ops {
	/* Before run() on this CPU, and after it with the outcome: load and put its context. */
	void (*switch_in)(struct sched_entity *e);
	enum sched_outcome (*run)(struct sched_entity *e);
	void (*switch_out)(struct sched_entity *e, enum sched_outcome outcome);
	/* A short name for the run-queue dump ("vm/3"). */
	void (*describe)(struct sched_entity *e, char *buf, size_t size);
};

struct sched_entity {
	const struct sched_entity_ops *ops;
	struct sched_entity *runq_next; /* under the home CPU's queue lock */
	unsigned home_cpu;              /* index of the CPU whose queue it uses */
	bool queued;                    /* queueing it twice is a bug (sched_enqueue panics) */
};

/* A timer object: its owner registers it on one CPU (sched_timer_add, on that CPU's behalf) and
 * the scheduler's timer interrupt on that CPU calls fire() once deadline() has passed. The owner
 * changes its deadline and calls sched_timer_rearm() on that CPU to have the hardware timer
 * follow. */
struct sched_timer {
	uint64_t (*deadline)(struct sched_timer *t); /* TSC value, or SCHED_TIMER_NONE */
	void (*fire)(struct sched_timer *t, uint64_t now_tsc);
};

struct sched_cpu {
	struct spinlock lock;
	struct sched_entity *head, *tail; /* runnable entities waiting for this CPU */
	struct sched_entity *current;     /* the entity running here, or NULL */
	volatile bool need_resched;       /* the slice ended: put the current entity back in line */
	volatile bool idle;               /* halted in the idle loop */
	struct sched_timer *timer[SCHED_MAX_TIMERS];
	unsigned timer_count;
	uint64_t slice_start_tsc;
};

void sched_init_cpu(void);
void sched_entity_init(struct sched_entity *e, const struct sched_entity_ops *ops,
		       unsigned home_cpu);
/* Queues a runnable entity on its home CPU and makes that CPU look at its queue. */
void sched_enqueue(struct sched_entity *e);
/* The running entity asks, at a point where it can stop: is its time slice over and is somebody
 * waiting for the CPU? A slice that ends with nobody waiting starts a new one (except on CPU 0,
 * whose loop runs the housekeeping hook and watches the deadline). */
bool sched_should_yield(void);
/* Registers t on CPU cpu (false: that CPU's timer table is full). */
bool sched_timer_add(unsigned cpu, struct sched_timer *t);
/* Takes t off CPU cpu's timer table, where sched_timer_add() put it; nothing if it is not there.
 * Before the owner's memory goes away; a tick of that CPU that was already under way may still
 * call t once, so the owner frees it only later (VMs: at vm_destroy(), after every VM ended). */
void sched_timer_remove(unsigned cpu, struct sched_timer *t);
/* Reprograms this CPU's LAPIC timer for the end of the slice or its next timer object. */
void sched_timer_rearm(void);
/* CPU 0's housekeeping between runs (e.g. draining guest output), and the loop's condition. */
void sched_set_housekeeping(void (*fn)(void));
/* Runs entities forever (the APs). */
NORETURN void sched_loop(void);
/* CPU 0: runs entities while keep_going() says so and the TSC has not passed deadline. */
void sched_loop_until(uint64_t deadline_tsc, bool (*keep_going)(void));
/* Prints each CPU's run queue, current entity and flags. */
void sched_print_queues(void);

#endif
