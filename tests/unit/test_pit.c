// sources: svm/platform/pit.c
#include "tests/unit/check.h"
#include "svm/platform/pit.h"

/* A 1.193182 GHz TSC makes one PIT tick exactly 1000 TSC ticks. */
#define HZ (PIT_HZ * 1000ull)
#define TICKS(n) ((uint64_t)(n) * 1000)

int main(void)
{
	struct pit p;
	pit_init(&p, HZ);
	/* The classic calibration: gate 2 on, mode 0 one-shot of 11932 ticks (10 ms), poll bit 5. */
	pit_write(&p, 0x61, 0x01, 0);
	pit_write(&p, 0x43, 0xb0, 0); /* ch2, lo/hi, mode 0 */
	pit_write(&p, 0x42, 11932 & 0xff, 100);
	pit_write(&p, 0x42, 11932 >> 8, 100);
	CHECK(!(pit_read(&p, 0x61, 100 + TICKS(11931)) & 0x20));
	CHECK(pit_read(&p, 0x61, 100 + TICKS(11932)) & 0x20);
	/* bit 4 toggles on every read (refresh), so a loop waiting for it terminates */
	uint8_t a = pit_read(&p, 0x61, 0), b = pit_read(&p, 0x61, 0);
	CHECK((a ^ b) & 0x10);
	/* the count reads back lo then hi, decreasing */
	pit_write(&p, 0x43, 0x34, 0); /* ch0, lo/hi, mode 2 */
	pit_write(&p, 0x40, 0x00, 0);
	pit_write(&p, 0x40, 0x10, 0); /* reload 0x1000 */
	uint8_t lo = pit_read(&p, 0x40, TICKS(0x10)), hi = pit_read(&p, 0x40, TICKS(0x10));
	CHECK_EQ((hi << 8) | lo, 0x1000 - 0x10);
	/* mode 2 reloads: after one period plus 3 ticks the count is period - 3 */
	lo = pit_read(&p, 0x40, TICKS(0x1003));
	hi = pit_read(&p, 0x40, TICKS(0x1003));
	CHECK_EQ((hi << 8) | lo, 0x1000 - 3);
	/* latch freezes the value until both bytes are read */
	pit_write(&p, 0x43, 0x00, TICKS(0x20));
	lo = pit_read(&p, 0x40, TICKS(0x800));
	hi = pit_read(&p, 0x40, TICKS(0x900));
	CHECK_EQ((hi << 8) | lo, 0x1000 - 0x20);
	/* channel 2 does not count with its gate low */
	pit_write(&p, 0x61, 0x00, 0);
	pit_write(&p, 0x43, 0xb0, 0);
	pit_write(&p, 0x42, 0x10, 0);
	pit_write(&p, 0x42, 0x00, 0);
	CHECK(!(pit_read(&p, 0x61, TICKS(0x100)) & 0x20));
	/* lo-only access mode */
	pit_write(&p, 0x43, 0x50, 0); /* ch1, lo only, mode 0 */
	pit_write(&p, 0x41, 0x80, 0);
	CHECK_EQ(pit_read(&p, 0x41, TICKS(0x10)), 0x70);

	/* IRQ0: channel 0 in mode 2 (Linux's periodic tick) rises once per period */
	pit_init(&p, HZ);
	CHECK_EQ(pit_irq_deadline(&p), PIT_IRQ_NONE); /* not counting: no interrupt */
	CHECK(!pit_irq_poll(&p, TICKS(0x100000)));
	pit_write(&p, 0x43, 0x34, 500);
	pit_write(&p, 0x40, 0x00, 500);
	CHECK_EQ(pit_irq_deadline(&p), PIT_IRQ_NONE); /* only the low byte so far */
	pit_write(&p, 0x40, 0x10, 500);               /* period 0x1000, counting from 500 */
	CHECK_EQ(pit_irq_deadline(&p), 500 + TICKS(0x1000));
	CHECK(!pit_irq_poll(&p, 500 + TICKS(0x1000) - 1));
	CHECK(pit_irq_poll(&p, 500 + TICKS(0x1000)));
	CHECK(!pit_irq_poll(&p, 500 + TICKS(0x1000) + 1)); /* that edge is reported once */
	CHECK_EQ(pit_irq_deadline(&p), 500 + TICKS(0x2000));
	/* three periods missed: one interrupt (an edge input latches one), the next on time */
	CHECK(pit_irq_poll(&p, 500 + TICKS(0x4800)));
	CHECK(!pit_irq_poll(&p, 500 + TICKS(0x4fff)));
	CHECK_EQ(pit_irq_deadline(&p), 500 + TICKS(0x5000));
	/* a deadline in TSC ticks is the first at which the edge has passed, also when a PIT tick
	 * is not a whole number of TSC ticks */
	struct pit q;
	pit_init(&q, 2300000000ull);
	pit_write(&q, 0x43, 0x34, 0);
	pit_write(&q, 0x40, 0x9c, 0);
	pit_write(&q, 0x40, 0x2e, 0); /* 11932: Linux's HZ=100 latch */
	uint64_t d = pit_irq_deadline(&q);
	CHECK(!pit_irq_poll(&q, d - 1));
	CHECK(pit_irq_poll(&q, d));
	/* mode 0 (Linux's PIT shutdown writes mode 0 and a count): one edge at terminal count */
	pit_write(&p, 0x43, 0x30, TICKS(0x10000));
	CHECK_EQ(pit_irq_deadline(&p), PIT_IRQ_NONE);
	pit_write(&p, 0x40, 0x00, TICKS(0x10000));
	pit_write(&p, 0x40, 0x01, TICKS(0x10000)); /* count 0x100 */
	CHECK_EQ(pit_irq_deadline(&p), TICKS(0x10100));
	CHECK(pit_irq_poll(&p, TICKS(0x10100)));
	CHECK_EQ(pit_irq_deadline(&p), PIT_IRQ_NONE);
	CHECK(!pit_irq_poll(&p, TICKS(0x20000)));
	return check_summary("pit");
}
