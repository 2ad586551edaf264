/* The fake machine (tests/fake/machine.h): the hardware and kernel services under the scheduler
 * and the vCPU run loop, as host code that records what it was asked to do. */
#include "tests/fake/machine.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/lapic.h"
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include <asm/prctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* what the kernel's own files define, and the fake arch's state (tests/fake/kernel/x86.h) */
uint64_t fake_tsc = 1000000;
bool fake_irq_on;
uint64_t tsc_hz = 1000 * 1000 * FAKE_US;
struct percpu *percpu_by_index[MAX_CPUS];
unsigned cpu_count = FAKE_CPUS;
enum log_level console_level = LOG_INFO;

struct percpu fake_cpus[FAKE_CPUS];
irq_handler_fn fake_handlers[256];
unsigned fake_kicks[FAKE_CPUS];
uint64_t fake_armed_ticks = ~0ull;
unsigned fake_idles;
uint64_t fake_frames_live;
char fake_printed[4096];
char fake_panic_message[256];
jmp_buf fake_panic_jump;

void fake_become_cpu(unsigned i)
{
	syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&fake_cpus[i]);
}

void fake_machine_start(void)
{
	for (unsigned i = 0; i < FAKE_CPUS; i++) {
		fake_cpus[i].self = &fake_cpus[i];
		fake_cpus[i].index = i;
		fake_cpus[i].apic_id = i;
		percpu_by_index[i] = &fake_cpus[i];
		fake_become_cpu(i);
		sched_init_cpu();
	}
	fake_become_cpu(0);
}

void fake_timer_interrupt(void)
{
	fake_handlers[VECTOR_TIMER](NULL);
}

unsigned fake_run_queue(unsigned cpu, unsigned max)
{
	fake_become_cpu(cpu);
	struct sched_cpu *s = fake_cpus[cpu].sched;
	unsigned ran = 0;
	while (s->head && ran < max) {
		struct sched_entity *e = s->head;
		s->head = e->runq_next;
		if (!s->head)
			s->tail = NULL;
		e->queued = false;
		e->ops->switch_in(e);
		enum sched_outcome o = e->ops->run(e);
		e->ops->switch_out(e, o);
		if (o == SCHED_PREEMPTED)
			sched_enqueue(e);
		ran++;
	}
	fake_become_cpu(0);
	return ran;
}

void trap_set_handler(uint8_t vector, irq_handler_fn fn)
{
	fake_handlers[vector] = fn;
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	if (vector == VECTOR_KICK && apic_id < FAKE_CPUS)
		fake_kicks[apic_id]++;
}

void lapic_timer_oneshot(uint32_t ticks, uint8_t vector)
{
	(void)vector;
	fake_armed_ticks = ticks;
}

uint32_t timer_us_to_lapic_ticks(uint64_t us)
{
	return (uint32_t)us;
}

/* Frames are heap blocks, so that ASan reports a use after frame_free_pages(). */
uint64_t frame_alloc(void)
{
	return frame_alloc_pages(1, 0, 0);
}

uint64_t frame_alloc_pages(uint64_t npages, uint64_t align, uint64_t below)
{
	(void)below;
	size_t size = npages * 4096;
	void *p = aligned_alloc(align > 4096 ? align : 4096, size);
	if (!p)
		abort();
	memset(p, 0, size);
	fake_frames_live += npages;
	return (uint64_t)(uintptr_t)p;
}

int frame_free_pages(uint64_t base, uint64_t npages)
{
	free((void *)(uintptr_t)base);
	fake_frames_live -= npages;
	return FRAME_OK;
}

/* HLT: the CPU sleeps 10 µs until an interrupt. */
void fake_idle(void)
{
	fake_idles++;
	fake_tsc += 10 * FAKE_US;
}

/* The run loop's window after a guest's INTR exit: the slice's end arrives as the host timer
 * interrupt, when it is due. */
void fake_interrupt_window(void)
{
	struct sched_cpu *s = this_cpu()->sched;
	if (fake_tsc >= s->slice_start_tsc + SCHED_SLICE_US * FAKE_US)
		fake_timer_interrupt();
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = strlen(fake_printed);
	vsnprintf(fake_printed + n, sizeof(fake_printed) - n, fmt, ap);
	va_end(ap);
}

void log_at(enum log_level level, const char *fmt, ...)
{
	(void)level;
	va_list ap;
	va_start(ap, fmt);
	size_t n = strlen(fake_printed);
	vsnprintf(fake_printed + n, sizeof(fake_printed) - n, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fake_panic_message, sizeof(fake_panic_message), fmt, ap);
	va_end(ap);
	longjmp(fake_panic_jump, 1);
}
