/* The vCPU scheduler: one run queue per CPU, each under its own lock (no global lock), FIFO
 * with time slices from the host LAPIC timer. A vCPU stays on its home CPU: pinned with the VM's
 * cpus= option, else placed round robin at creation. More vCPUs than CPUs simply share. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "kernel/spinlock.h"
#include "kernel/types.h"

#define SCHED_SLICE_US 4000

struct vcpu;

struct sched_cpu {
	struct spinlock lock;
	struct vcpu *head, *tail;    /* runnable vCPUs waiting for this CPU */
	volatile bool need_resched;  /* the slice ended: put the current vCPU back in line */
	volatile bool idle;          /* halted in the idle loop */
	struct vcpu *homed[64];      /* every vCPU whose home is this CPU (timers) */
	unsigned homed_count;
	uint64_t slice_start_tsc;
};

void sched_init_cpu(void);
/* Queues a runnable vCPU on its home CPU and makes that CPU look at its queue. */
void sched_enqueue(struct vcpu *v);
void sched_add_home(struct vcpu *v);
/* Runs vCPUs forever (the APs). */
NORETURN void sched_loop(void);
/* CPU 0: runs vCPUs until no VM is left alive or the TSC passes deadline. */
void sched_loop_until(uint64_t deadline_tsc);
/* Prints each CPU's run queue, current vCPU and flags (HC_DEBUG_VCPU, svm/vm/vcpu_dump.c). */
void sched_print_queues(void);
/* Programs this CPU's LAPIC timer for the end of the slice or the next guest timer. */
void sched_arm_timer(void);

#endif
