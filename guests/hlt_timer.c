/* The local APIC timer wakes a halted CPU: one-shot (HLT returns only through the timer interrupt,
 * not earlier than programmed), periodic (N ticks in N periods), masked (no interrupt), and the
 * divide configuration. Durations are measured with the TSC and accepted within the tolerances
 * below: generous upward, as an emulator or a host may deschedule the vCPU, strict downward, as a
 * timer must never fire early. */
#include "guests/lib/apic.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "hlt_timer";

#define TIMER_VECTOR     0x40
#define TIMER_DIVIDE     16
#define ONESHOT_US       10000
#define PERIOD_US        5000
#define PERIODIC_TICKS   20
#define EARLY_PERCENT    90    /* a wait shorter than 90 % of the programmed time fails */
#define LATE_SLACK_US    50000 /* and one longer than the programmed time + 50 ms */
#define DIVIDE_TOLERANCE 10    /* percent */
#define DIVIDE_SAMPLE_US 20000

static volatile uint32_t ticks;
static volatile uint64_t last_tick_tsc;

static void timer_interrupt(struct trap_frame *f)
{
	(void)f;
	last_tick_tsc = rdtsc();
	ticks++;
	apic_eoi();
}

static uint32_t count_for(uint64_t us, unsigned divide)
{
	return (uint32_t)(apic_timer_hz() * us / 1000000 / divide);
}

static bool within(uint64_t measured_us, uint64_t nominal_us)
{
	return measured_us * 100 >= nominal_us * EARLY_PERCENT &&
	       measured_us <= nominal_us + LATE_SLACK_US;
}

static void oneshot(void)
{
	ticks = 0;
	uint64_t start = rdtsc();
	apic_timer_oneshot(TIMER_VECTOR, count_for(ONESHOT_US, TIMER_DIVIDE), TIMER_DIVIDE);
	sti_hlt(); /* a single HLT: only the timer can end it */
	cli();
	uint64_t us = tsc_to_us(last_tick_tsc - start);
	test_check(ticks == 1, "one-shot: HLT ended by the timer interrupt");
	printf("info: one-shot %u us: interrupt after %u us\n", ONESHOT_US, (uint32_t)us);
	test_check(within(us, ONESHOT_US), "one-shot %u us: fired within -%u%%/+%u us", ONESHOT_US,
	           100 - EARLY_PERCENT, LATE_SLACK_US);
	test_check(apic_read(APIC_TIMER_CCR) == 0, "one-shot: current count 0 after expiry");
	tsc_delay_us(2 * ONESHOT_US);
	test_check(ticks == 1, "one-shot: fires only once");
}

static void periodic(void)
{
	ticks = 0;
	uint64_t start = rdtsc();
	apic_timer_periodic(TIMER_VECTOR, count_for(PERIOD_US, TIMER_DIVIDE), TIMER_DIVIDE);
	while (ticks < PERIODIC_TICKS)
		sti_hlt();
	cli();
	apic_timer_stop();
	uint64_t us = tsc_to_us(last_tick_tsc - start);
	uint64_t nominal = (uint64_t)PERIOD_US * PERIODIC_TICKS;
	printf("info: periodic %u x %u us: %u us\n", PERIODIC_TICKS, PERIOD_US, (uint32_t)us);
	test_check(within(us, nominal), "periodic: %u ticks of %u us within -%u%%/+%u us",
	           PERIODIC_TICKS, PERIOD_US, 100 - EARLY_PERCENT, LATE_SLACK_US);
	uint32_t after_stop = ticks;
	sti();
	tsc_delay_us(3 * PERIOD_US);
	cli();
	test_check(ticks == after_stop, "periodic: no tick after the timer is stopped");
}

static void masked(void)
{
	ticks = 0;
	apic_write(APIC_TIMER_DCR, 0xb); /* divide by 1 */
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR | APIC_LVT_MASKED);
	apic_write(APIC_TIMER_ICR, count_for(ONESHOT_US, 1));
	sti();
	tsc_delay_us(2 * ONESHOT_US);
	cli();
	test_check(apic_read(APIC_TIMER_CCR) == 0, "masked: the count still runs down to 0");
	test_check(ticks == 0, "masked: no interrupt");
	test_check(!apic_irr_test(TIMER_VECTOR), "masked: nothing pending in the IRR");
	apic_timer_stop();
}

/* Counts per second at a divide, over a sample bracketed by the TSC reads next to the two count
 * reads, so a vCPU descheduled during the sample changes both measures alike. */
static uint64_t count_rate(unsigned divide, uint64_t us)
{
	apic_timer_oneshot(TIMER_VECTOR | APIC_LVT_MASKED, 0xffffffffu, divide);
	uint64_t t0 = rdtsc();
	uint32_t c0 = apic_read(APIC_TIMER_CCR);
	tsc_delay_us(us);
	uint32_t c1 = apic_read(APIC_TIMER_CCR);
	uint64_t t1 = rdtsc();
	apic_timer_stop();
	return (uint64_t)(c0 - c1) * tsc_hz() / (t1 - t0);
}

static void divide(void)
{
	static const unsigned divides[] = {2, 4, 16, 128};
	uint64_t base = count_rate(1, DIVIDE_SAMPLE_US);
	for (unsigned i = 0; i < ARRAY_SIZE(divides); i++) {
		uint64_t d = count_rate(divides[i], DIVIDE_SAMPLE_US) * divides[i];
		test_check(d * 100 >= base * (100 - DIVIDE_TOLERANCE) &&
		               d * 100 <= base * (100 + DIVIDE_TOLERANCE),
		           "divide by %u: count rate 1/%u of divide by 1, within %u%%", divides[i],
		           divides[i], DIVIDE_TOLERANCE);
	}
}

void guest_main(const struct multiboot_info *mbi)
{
	(void)mbi;
	idt_set_handler(TIMER_VECTOR, timer_interrupt);
	printf("info: TSC %u Hz, APIC timer %u Hz\n", (uint32_t)tsc_hz(),
	       (uint32_t)apic_timer_hz());
	test_check(apic_timer_hz() > 0, "APIC timer counts down");
	oneshot();
	periodic();
	masked();
	divide();
}
