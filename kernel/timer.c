#include "kernel/timer.h"
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/lapic.h"
#include "kernel/x86.h"

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42
#define PIT_MODE 0x43
#define PORT_B 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define CALIBRATION_MS 20
#define CALIBRATION_ROUNDS 5
/* A reference that never reaches its count must not hold the boot for minutes: each round ends
 * after this many TSC ticks (50 ms at 10 GHz, 0.25 s at 2 GHz). A round shorter than
 * CALIBRATION_MIN_TSC (a TSC below 100 MHz) means the reference did not count either (no PIT:
 * port 61h reads all ones). */
#define CALIBRATION_MAX_TSC 500000000ull
#define CALIBRATION_MIN_TSC (100000000ull * CALIBRATION_MS / 1000)
#define PM_TIMER_HZ         3579545u

uint64_t tsc_hz;
uint64_t lapic_timer_hz;

struct calibration_round {
	uint64_t tsc;   /* TSC ticks while PIT channel 2 counted CALIBRATION_MS */
	uint32_t lapic; /* LAPIC timer ticks over exactly the same TSC interval */
};

/* The bound on a round's wait; stops the LAPIC timer when it is reached. */
static bool round_timed_out(uint64_t tsc_start)
{
	if (rdtsc() - tsc_start <= CALIBRATION_MAX_TSC)
		return false;
	lapic_timer_stop();
	return true;
}

/* The reference reached its count: TSC and LAPIC timer ticks since the start, read back to
 * back. False for an implausibly short round. */
static bool round_end(struct calibration_round *r, uint64_t tsc_start, uint32_t lapic_start)
{
	uint64_t tsc_end = rdtsc();
	uint32_t lapic_end = lapic_timer_current();
	lapic_timer_stop();
	r->tsc = tsc_end - tsc_start;
	r->lapic = lapic_start - lapic_end;
	return r->tsc >= CALIBRATION_MIN_TSC;
}

/* One round: PIT channel 2 in one-shot mode (mode 0) counts CALIBRATION_MS; its output goes high
 * at terminal count, visible in port 0x61. False if it never does. */
static bool calibration_round(struct calibration_round *r)
{
	uint16_t count = PIT_HZ * CALIBRATION_MS / 1000;
	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
	outb(PIT_MODE, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2_DATA, count & 0xff);
	lapic_timer_oneshot(0xffffffff, 0xff);
	__asm__ volatile("" ::: "memory");
	uint32_t lapic_start = lapic_timer_current();
	uint64_t tsc_start = rdtsc();
	outb(PIT_CH2_DATA, count >> 8); /* counting starts with the high byte */
	while (!(inb(PORT_B) & 0x20)) {
		if (round_timed_out(tsc_start))
			return false;
	}
	return round_end(r, tsc_start, lapic_start);
}

/* One round against the ACPI PM timer: CALIBRATION_MS worth of its ticks (24-bit counter unless
 * 'wide'; wrap-around handled by masking). */
static bool pm_timer_round(uint16_t port, bool wide, struct calibration_round *r)
{
	uint32_t mask = wide ? 0xffffffffu : 0xffffffu;
	uint32_t want = PM_TIMER_HZ / 1000 * CALIBRATION_MS;
	lapic_timer_oneshot(0xffffffff, 0xff);
	uint32_t start = inl(port) & mask;
	uint32_t lapic_start = lapic_timer_current();
	uint64_t tsc_start = rdtsc();
	while (((inl(port) - start) & mask) < want) {
		if (round_timed_out(tsc_start))
			return false;
	}
	return round_end(r, tsc_start, lapic_start);
}

/* TSC and LAPIC timer rates against the PIT, or the ACPI PM timer when there is no PIT. A round
 * can only come out long, never short: the reference counts on while this CPU is held up (an SMI,
 * or QEMU's thread descheduled on a loaded host, once by 50 times the round), so the shortest of
 * a few rounds is taken. The LAPIC rate comes from the same round as a ratio to the TSC, read
 * back to back, which a delay does not skew. */
const char *timer_calibrate(const struct acpi_info *acpi)
{
	struct calibration_round best = {0, 0}, r;
	const char *source = "PIT";
	for (unsigned i = 0; i < CALIBRATION_ROUNDS; i++) {
		if (!calibration_round(&r))
			break; /* no PIT: one bounded wait for it is enough */
		if (!best.tsc || r.tsc < best.tsc)
			best = r;
	}
	if (!best.tsc && acpi->pm_timer_port) {
		printk("timer: no PIT: calibrating against the ACPI PM timer at port 0x%x (%u-bit)\n",
		       acpi->pm_timer_port, acpi->pm_timer_32bit ? 32 : 24);
		source = "ACPI PM timer";
		for (unsigned i = 0; i < CALIBRATION_ROUNDS; i++) {
			if (!pm_timer_round(acpi->pm_timer_port, acpi->pm_timer_32bit, &r))
				break;
			if (!best.tsc || r.tsc < best.tsc)
				best = r;
		}
	}
	tsc_hz = best.tsc * 1000 / CALIBRATION_MS;
	lapic_timer_hz = best.tsc ? (uint64_t)best.lapic * tsc_hz / best.tsc : 0;
	if (!tsc_hz || !lapic_timer_hz)
		return NULL;
	return source;
}

uint64_t timer_now_us(void)
{
	return rdtsc() / (tsc_hz / 1000000);
}

void timer_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * (tsc_hz / 1000000);
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

uint32_t timer_us_to_lapic_ticks(uint64_t us)
{
	uint64_t t = us * lapic_timer_hz / 1000000;
	return t > 0xffffffffull ? 0xffffffffu : (uint32_t)(t ? t : 1);
}
