/* The local APIC timer wakes a halted CPU: one-shot (HLT returns only through the timer interrupt,
 * not earlier than programmed), periodic (N ticks in N periods), masked (no interrupt), and the
 * divide configuration. Durations are measured with the TSC and accepted within the tolerances of
 * guests/lib/timer_check.h. */
#include "guests/lib/apic.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/timer_check.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "hlt_timer";

#define ONESHOT_US       10000
#define PERIOD_US        5000
#define PERIODIC_TICKS   20
#define DIVIDE_TOLERANCE 10 /* percent */
#define DIVIDE_SAMPLE_US                                                                           \
	100000 /* long enough that exit latency on a loaded TCG host stays under the tolerance */
#define TIMER_VECTOR TIMER_CHECK_VECTOR

static volatile uint32_t ticks;

/* counts the interrupts that must not come */
static void unexpected_tick(struct trap_frame *f)
{
	(void)f;
	ticks++;
	apic_eoi();
}

static void masked(void)
{
	ticks = 0;
	apic_timer_oneshot(TIMER_VECTOR | APIC_LVT_MASKED,
	                   (uint32_t)(apic_timer_hz() * ONESHOT_US / 1000000), 1);
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
	timer_check_init();
	printf("info: TSC %u Hz, APIC timer %u Hz\n", (uint32_t)tsc_hz(),
	       (uint32_t)apic_timer_hz());
	test_check(apic_timer_hz() > 0, "APIC timer counts down");
	timer_check_oneshot("", ONESHOT_US);
	timer_check_periodic("", PERIOD_US, PERIODIC_TICKS);
	idt_set_handler(TIMER_VECTOR, unexpected_tick);
	masked();
	divide();
}
