#include "svm/platform/pit.h"

#define PIT_PORT_CH0 0x40
#define PIT_PORT_MODE 0x43
#define PIT_PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_REFRESH 0x10
#define PORT_B_OUT2 0x20

void pit_init(struct pit *p, uint64_t tsc_hz)
{
	*p = (struct pit){.tsc_hz = tsc_hz};
	for (unsigned i = 0; i < 3; i++)
		p->ch[i].access = 3;
}

static uint64_t pit_elapsed(const struct pit *p, const struct pit_channel *c, uint64_t now)
{
	if (!c->counting || now < c->start_tsc)
		return 0;
	/* whole seconds and the rest apart, so that the product cannot overflow 64 bits */
	uint64_t d = now - c->start_tsc;
	return d / p->tsc_hz * PIT_HZ + d % p->tsc_hz * PIT_HZ / p->tsc_hz;
}

static uint32_t pit_period(const struct pit_channel *c)
{
	return c->reload ? c->reload : 0x10000u;
}

static uint16_t pit_count(const struct pit *p, const struct pit_channel *c, uint64_t now)
{
	uint64_t e = pit_elapsed(p, c, now);
	uint32_t period = pit_period(c);
	if (!c->counting)
		return (uint16_t)c->reload;
	if (c->mode == 2 || c->mode == 3)
		return (uint16_t)(period - e % period);
	/* mode 0/1/4/5: counts down once, then wraps through 0xffff */
	return (uint16_t)(period - e);
}

static bool pit_out(const struct pit *p, const struct pit_channel *c, uint64_t now)
{
	uint64_t e = pit_elapsed(p, c, now);
	uint32_t period = pit_period(c);
	switch (c->mode) {
	case 0:
		return c->counting && e >= period; /* high at terminal count */
	case 2:
		return !c->counting || e % period != period - 1;
	case 3:
		return !c->counting || e % period < period / 2;
	default:
		return true;
	}
}

static void pit_start(struct pit *p, unsigned ch, uint64_t now)
{
	struct pit_channel *c = &p->ch[ch];
	/* channel 2 counts only while its gate (port 0x61 bit 0) is high */
	c->counting = ch != 2 || (p->port61 & PORT_B_GATE2);
	c->start_tsc = now;
	c->irq_edges = 0;
}

static bool pit_periodic(const struct pit_channel *c)
{
	return c->mode == 2 || c->mode == 3;
}

/* Rising edges of OUT from the start to `now` (mode 2: back high at each reload; mode 3: each
 * period's first half; modes 0, 1, 4, 5: once, at terminal count). */
static uint64_t pit_edges(const struct pit *p, const struct pit_channel *c, uint64_t now)
{
	if (!c->counting)
		return 0;
	uint64_t e = pit_elapsed(p, c, now);
	return pit_periodic(c) ? e / pit_period(c) : e >= pit_period(c);
}

/* The first TSC value at which pit_elapsed() reaches `ticks`. */
static uint64_t pit_ticks_to_tsc(const struct pit *p, const struct pit_channel *c, uint64_t ticks)
{
	return c->start_tsc + ticks / PIT_HZ * p->tsc_hz +
	       (ticks % PIT_HZ * p->tsc_hz + PIT_HZ - 1) / PIT_HZ;
}

uint64_t pit_irq_deadline(const struct pit *p)
{
	const struct pit_channel *c = &p->ch[0];
	if (!c->counting || (!pit_periodic(c) && c->irq_edges))
		return PIT_IRQ_NONE;
	return pit_ticks_to_tsc(p, c, (c->irq_edges + 1) * pit_period(c));
}

bool pit_irq_poll(struct pit *p, uint64_t now)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t edges = pit_edges(p, c, now);
	if (edges <= c->irq_edges)
		return false;
	c->irq_edges = edges;
	return true;
}

uint8_t pit_read(struct pit *p, unsigned port, uint64_t now)
{
	if (port == PIT_PORT_B) {
		p->refresh ^= PORT_B_REFRESH;
		return (uint8_t)(p->port61 | p->refresh | (pit_out(p, &p->ch[2], now) ? PORT_B_OUT2 : 0));
	}
	if (port == PIT_PORT_MODE)
		return 0xff;
	struct pit_channel *c = &p->ch[port - PIT_PORT_CH0];
	uint16_t v = c->latched ? c->latch : pit_count(p, c, now);
	uint8_t b;
	if (c->access == 1) {
		b = (uint8_t)v;
	} else if (c->access == 2) {
		b = (uint8_t)(v >> 8);
	} else {
		b = c->read_hi ? (uint8_t)(v >> 8) : (uint8_t)v;
		c->read_hi = !c->read_hi;
	}
	if (c->latched && (c->access != 3 || !c->read_hi))
		c->latched = false;
	return b;
}

void pit_write(struct pit *p, unsigned port, uint8_t value, uint64_t now)
{
	if (port == PIT_PORT_B) {
		bool was = p->port61 & PORT_B_GATE2;
		p->port61 = value & (PORT_B_GATE2 | PORT_B_SPEAKER);
		if (!was && (value & PORT_B_GATE2))
			pit_start(p, 2, now); /* a rising gate (re)starts channel 2 */
		else if (!(value & PORT_B_GATE2))
			p->ch[2].counting = false;
		return;
	}
	if (port == PIT_PORT_MODE) {
		unsigned ch = value >> 6;
		if (ch == 3)
			return; /* read-back command: not emulated */
		struct pit_channel *c = &p->ch[ch];
		unsigned access = (value >> 4) & 3;
		if (access == 0) { /* counter latch */
			c->latch = pit_count(p, c, now);
			c->latched = true;
			return;
		}
		c->access = (uint8_t)access;
		c->mode = (value >> 1) & 7;
		if (c->mode > 5)
			c->mode -= 4; /* 6 and 7 alias 2 and 3 */
		c->write_hi = c->read_hi = false;
		c->counting = false;
		return;
	}
	struct pit_channel *c = &p->ch[port - PIT_PORT_CH0];
	if (c->access == 1) {
		c->reload = (uint16_t)((c->reload & 0xff00) | value);
	} else if (c->access == 2) {
		c->reload = (uint16_t)((c->reload & 0x00ff) | (value << 8));
	} else if (!c->write_hi) {
		c->reload = (uint16_t)((c->reload & 0xff00) | value);
		c->write_hi = true;
		return; /* counting starts once the high byte is in */
	} else {
		c->reload = (uint16_t)((c->reload & 0x00ff) | (value << 8));
		c->write_hi = false;
	}
	pit_start(p, port - PIT_PORT_CH0, now);
}
