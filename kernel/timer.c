#include "kernel/timer.h"
#include "kernel/console.h"
#include "kernel/lapic.h"
#include "kernel/x86.h"

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42
#define PIT_MODE 0x43
#define PORT_B 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define CALIBRATION_MS 20

uint64_t tsc_hz;
uint64_t lapic_timer_hz;

/* Counts TSC and LAPIC-timer ticks across CALIBRATION_MS of PIT channel 2 in one-shot mode
 * (mode 0): the channel's output goes high when the count reaches zero, visible in port 0x61. */
void timer_calibrate(void)
{
	uint16_t count = PIT_HZ * CALIBRATION_MS / 1000;
	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
	outb(PIT_MODE, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2_DATA, count & 0xff);
	outb(PIT_CH2_DATA, count >> 8);
	lapic_timer_oneshot(0xffffffff, 0xff);
	__asm__ volatile("" ::: "memory");
	uint32_t lapic_start = lapic_timer_current();
	uint64_t tsc_start = rdtsc();
	uint64_t spins = 0;
	while (!(inb(PORT_B) & 0x20) && ++spins < 100000000)
		;
	uint64_t tsc_end = rdtsc();
	uint32_t lapic_end = lapic_timer_current();
	lapic_timer_stop();
	tsc_hz = (tsc_end - tsc_start) * 1000 / CALIBRATION_MS;
	lapic_timer_hz = (uint64_t)(lapic_start - lapic_end) * 1000 / CALIBRATION_MS;
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
