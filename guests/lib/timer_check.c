#include "guests/lib/timer_check.h"
#include "guests/lib/apic.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/smp.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

#define US_PER_SECOND 1000000u

struct timer_ticks {
	volatile uint32_t count;
	volatile uint64_t last_tsc;
};

static struct timer_ticks ticks[SMP_MAX_CPUS];

static void timer_interrupt(struct trap_frame *f)
{
	(void)f;
	struct timer_ticks *t = &ticks[smp_cpu_index()];
	t->last_tsc = rdtsc();
	t->count++;
	apic_eoi();
}

void timer_check_init(void)
{
	idt_set_handler(TIMER_CHECK_VECTOR, timer_interrupt);
	apic_timer_hz();
}

static uint32_t count_for(uint64_t us)
{
	return (uint32_t)(apic_timer_hz() * us / US_PER_SECOND / TIMER_CHECK_DIVIDE);
}

static bool within(uint64_t measured_us, uint64_t nominal_us)
{
	return measured_us * 100 >= nominal_us * TIMER_CHECK_EARLY_PERCENT &&
	       measured_us * 100 <=
	           nominal_us * TIMER_CHECK_LATE_PERCENT + TIMER_CHECK_LATE_US * 100;
}

void timer_check_oneshot(const char *who, uint32_t us)
{
	struct timer_ticks *t = &ticks[smp_cpu_index()];
	t->count = 0;
	uint64_t start = rdtsc();
	apic_timer_oneshot(TIMER_CHECK_VECTOR, count_for(us), TIMER_CHECK_DIVIDE);
	sti_hlt(); /* a single HLT: only the timer can end it */
	cli();
	uint32_t measured = (uint32_t)tsc_to_us(t->last_tsc - start);
	test_check(t->count == 1, "%sone-shot: HLT ended by the timer interrupt", who);
	printf("info: %sone-shot %u us: interrupt after %u us\n", who, us, measured);
	test_check(within(measured, us), "%sone-shot %u us: fired within %u%%..%u%% + %u us", who,
	           us, TIMER_CHECK_EARLY_PERCENT, TIMER_CHECK_LATE_PERCENT, TIMER_CHECK_LATE_US);
	test_check(apic_read(APIC_TIMER_CCR) == 0, "%sone-shot: current count 0 after expiry", who);
	sti();
	tsc_delay_us(2 * (uint64_t)us);
	cli();
	test_check(t->count == 1, "%sone-shot: fires only once", who);
}

void timer_check_periodic(const char *who, uint32_t period_us, uint32_t count)
{
	struct timer_ticks *t = &ticks[smp_cpu_index()];
	t->count = 0;
	uint64_t start = rdtsc();
	apic_timer_periodic(TIMER_CHECK_VECTOR, count_for(period_us), TIMER_CHECK_DIVIDE);
	while (t->count < count)
		sti_hlt();
	cli();
	apic_timer_stop();
	uint32_t measured = (uint32_t)tsc_to_us(t->last_tsc - start);
	uint64_t nominal = (uint64_t)period_us * count;
	printf("info: %speriodic %u x %u us: %u us\n", who, count, period_us, measured);
	test_check(within(measured, nominal),
	           "%speriodic: %u ticks of %u us within %u%%..%u%% + %u us", who, count, period_us,
	           TIMER_CHECK_EARLY_PERCENT, TIMER_CHECK_LATE_PERCENT, TIMER_CHECK_LATE_US);
	uint32_t after_stop = t->count;
	sti();
	tsc_delay_us(3 * (uint64_t)period_us);
	cli();
	test_check(t->count == after_stop, "%speriodic: no tick after the timer is stopped", who);
}
