#include "guests/lib/tsc.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/printf.h"
#include "guests/lib/x86.h"

/* 8254 PIT (Intel 82C54 data sheet) and the PC's port 0x61 (gate and output of channel 2). */
#define PIT_HZ           1193182u
#define PIT_CH2_DATA     0x42
#define PIT_MODE         0x43
#define PIT_CH2_MODE0_LH 0xb0 /* channel 2, low then high byte, mode 0 (interrupt on count) */
#define PORT61           0x61
#define PORT61_GATE2     0x01
#define PORT61_SPEAKER   0x02
#define PORT61_OUT2      0x20
#define CALIBRATE_MS     50 /* 59659 PIT ticks: fits the 16-bit counter */
#define CALIBRATE_ROUNDS 3
#define PIT_MAX_POLLS    5000000 /* a platform without a PIT must not hang the guest */
#define FALLBACK_HZ      1000000000ull

static uint64_t hz;

/* One measurement: TSC ticks while channel 2 counts down CALIBRATE_MS in mode 0, where OUT2 goes
 * high at terminal count; 0 when OUT2 never rises. */
static uint64_t pit_measure(void)
{
	uint16_t count = PIT_HZ / 1000 * CALIBRATE_MS;
	outb(PORT61, (uint8_t)((inb(PORT61) & ~PORT61_SPEAKER) | PORT61_GATE2));
	outb(PIT_MODE, PIT_CH2_MODE0_LH);
	outb(PIT_CH2_DATA, (uint8_t)count);
	uint64_t start = rdtsc();
	outb(PIT_CH2_DATA, (uint8_t)(count >> 8)); /* counting starts with the high byte */
	for (uint32_t polls = 0; !(inb(PORT61) & PORT61_OUT2); polls++)
		if (polls == PIT_MAX_POLLS)
			return 0;
	return rdtsc() - start;
}

uint64_t tsc_hz(void)
{
	if (hz)
		return hz;
	uint64_t measured = 0;
	if (doorbell_present()) {
		/* A 32-bit guest sees only EAX of the result: frequencies up to 4.29 GHz, with the
		 * small negative error codes at the top of the range. */
		uint32_t r = (uint32_t)doorbell_hypercall(HC_TSC_HZ, 0, 0, 0);
		if (r != 0 && r < (uint32_t)HC_E_PERM)
			measured = r;
	}
	if (!measured) {
		/* The shortest of a few rounds: a round can only be lengthened (by the emulator
		 * descheduling this vCPU), never shortened. */
		for (int i = 0; i < CALIBRATE_ROUNDS; i++) {
			uint64_t t = pit_measure();
			if (t && (!measured || t < measured))
				measured = t;
		}
		measured = measured * 1000 / CALIBRATE_MS;
	}
	if (!measured) {
		printf("info: tsc: no PIT channel 2 and no HC_TSC_HZ: assuming 1 GHz\n");
		measured = FALLBACK_HZ;
	}
	hz = measured;
	return hz;
}

uint64_t tsc_from_us(uint64_t us)
{
	return us * (tsc_hz() / 1000) / 1000;
}

uint64_t tsc_to_us(uint64_t ticks)
{
	return ticks * 1000 / (tsc_hz() / 1000);
}

void tsc_delay_us(uint64_t us)
{
	uint64_t end = tsc_deadline(us);
	while (!tsc_expired(end))
		pause();
}

uint64_t tsc_deadline(uint64_t us)
{
	return rdtsc() + tsc_from_us(us);
}

bool tsc_expired(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}
