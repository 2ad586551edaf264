#include "kernel/timer.h"
#include "kernel/console.h"
#include "kernel/lapic.h"
#include "kernel/x86.h"

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42
#define PIT_MODE 0x43
#define PORT_B 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define CALIBRATION_MS 20
#define CALIBRATION_ROUNDS 5
#define CALIBRATION_MAX_POLLS 100000000

uint64_t tsc_hz;
uint64_t lapic_timer_hz;

struct calibration_round {
	uint64_t tsc;   /* TSC ticks while PIT channel 2 counted CALIBRATION_MS */
	uint32_t lapic; /* LAPIC timer ticks over exactly the same TSC interval */
};

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
	for (uint64_t polls = 0; !(inb(PORT_B) & 0x20); polls++)
		if (polls == CALIBRATION_MAX_POLLS)
			return false;
	uint64_t tsc_end = rdtsc();
	uint32_t lapic_end = lapic_timer_current();
	lapic_timer_stop();
	r->tsc = tsc_end - tsc_start;
	r->lapic = lapic_start - lapic_end;
	return r->tsc != 0;
}

/* TSC and LAPIC timer rates against the PIT. A round can only come out long, never short: the
 * PIT counts on while this CPU is held up (an SMI, or QEMU's thread descheduled on a loaded host,
 * once by 50 times the round), so the shortest of a few rounds is taken. The LAPIC rate comes
 * from the same round as a ratio to the TSC, read back to back, which a delay does not skew. */
void timer_calibrate(void)
{
	struct calibration_round best = {0, 0}, r;
	for (unsigned i = 0; i < CALIBRATION_ROUNDS; i++) {
		if (!calibration_round(&r))
			break; /* no PIT: one wait for it is enough */
		if (!best.tsc || r.tsc < best.tsc)
			best = r;
	}
	tsc_hz = best.tsc * 1000 / CALIBRATION_MS;
	lapic_timer_hz = best.tsc ? (uint64_t)best.lapic * tsc_hz / best.tsc : 0;
	if (!tsc_hz || !lapic_timer_hz) {
		pr_warn("timer: PIT calibration failed, assuming 1 GHz TSC and 62.5 MHz LAPIC timer\n");
		tsc_hz = 1000000000ull;
		lapic_timer_hz = 62500000ull;
	}
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
