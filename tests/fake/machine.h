/* The fake machine of the host tests on the fake arch (tests/fake/README.md): two CPUs (GS points
 * at the one a test acts as), their LAPICs, trap handlers, frames, the console and panic, all
 * recorded for the checks. The scheduler (kernel/sched.c) runs on it unchanged; a test links
 * tests/fake/machine.c and names it in its `// sources:` line. */
#ifndef TESTS_FAKE_MACHINE_H
#define TESTS_FAKE_MACHINE_H

#include "kernel/percpu.h"
#include "kernel/trap.h"
#include "kernel/types.h"
#include <setjmp.h>

#define FAKE_CPUS 2
#define FAKE_US   1000ull /* the fake TSC runs at 1 GHz: one microsecond is 1000 ticks */

extern struct percpu fake_cpus[FAKE_CPUS];
extern irq_handler_fn fake_handlers[256]; /* what trap_set_handler() installed */
extern unsigned fake_kicks[FAKE_CPUS];    /* VECTOR_KICK IPIs each CPU received */
extern uint64_t fake_armed_ticks;         /* the last one-shot LAPIC timer programmed */
extern unsigned fake_idles;               /* HLTs: the CPU slept until an interrupt */
extern uint64_t fake_frames_live;         /* frames allocated and not yet freed */
extern char fake_printed[4096];           /* what printk() printed (as much as fits) */
/* panic() records its message and jumps here: a test sets it with setjmp() first. */
extern char fake_panic_message[256];
extern jmp_buf fake_panic_jump;

/* Both CPUs online with their scheduler (sched_init_cpu()); the test then acts as CPU 0. */
void fake_machine_start(void);
/* From now on the test acts as CPU i (this_cpu() reads GS). */
void fake_become_cpu(unsigned i);
/* The host LAPIC timer interrupt on the current CPU. */
void fake_timer_interrupt(void);
/* Plays CPU cpu's scheduler loop by hand: takes at most max entities off its run queue in order,
 * switches each in, runs it, switches it out with the outcome and queues it again when it was
 * preempted; the test then acts as CPU 0 again. Returns how many ran. */
unsigned fake_run_queue(unsigned cpu, unsigned max);

#endif
