/* The fake arch for host unit tests (tests/fake/README.md): the few x86 instructions the
 * scheduler and the run loop use, as functions a test drives. A unit test that names
 * "// cflags: -Itests/fake" compiles the project's files against this header instead of
 * kernel/x86.h. Time is the test's fake TSC; interrupts are a flag; sleeping calls the test. */
#ifndef KERNEL_X86_H
#define KERNEL_X86_H

#include "kernel/types.h"
#include "kernel/x86_defs.h"

/* The fake CPU state, owned by the test. */
extern uint64_t fake_tsc;
extern bool fake_irq_on;
/* Called where the CPU would sleep until an interrupt (HLT); the test advances time or delivers
 * the interrupt it wants. */
void fake_idle(void);
/* Called where the CPU opens a window for pending host interrupts; the test delivers them. */
void fake_interrupt_window(void);

static inline uint64_t rdtsc(void)
{
	return fake_tsc;
}

static inline void irq_enable(void)
{
	fake_irq_on = true;
}

static inline void irq_disable(void)
{
	fake_irq_on = false;
}

static inline uint64_t irq_save(void)
{
	uint64_t flags = fake_irq_on ? RFLAGS_IF : 0;
	fake_irq_on = false;
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	if (flags & RFLAGS_IF)
		fake_irq_on = true;
}

static inline void halt(void)
{
	fake_idle();
}

static inline void idle_until_interrupt(void)
{
	fake_idle();
}

static inline void take_pending_interrupts(void)
{
	fake_interrupt_window();
}

#endif
