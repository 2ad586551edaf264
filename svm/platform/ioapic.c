/* The virtual 82093AA-compatible IOAPIC; see ioapic.h. */
#include "svm/platform/ioapic.h"
#include "avic/vlapic/apic_regs.h"

/* Redirection entry bits software may write (82093AA 3.2.4); delivery status and remote IRR are
 * read-only, bits 55:17 reserved. */
#define REDIR_LOW_WRITABLE                                                                         \
	(APIC_VECTOR_MASK | APIC_DELIVERY_MODE_MASK | APIC_DEST_LOGICAL | APIC_LVT_POLARITY_LOW |  \
	 APIC_TRIGGER_LEVEL | APIC_LVT_MASKED)
#define REDIR_HIGH_WRITABLE 0xFF000000u
#define REDIR_REMOTE_IRR    APIC_LVT_REMOTE_IRR /* the same bit 14 as the LVT's */
#define IOREGSEL_MASK       0xFFu

void ioapic_init(struct ioapic *io, ioapic_deliver_fn deliver, void *ctx)
{
	*io = (struct ioapic){.deliver = deliver, .ctx = ctx};
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		io->redir[pin] = APIC_LVT_MASKED;
}

static void ioapic_send(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];
	bool level = e & APIC_TRIGGER_LEVEL;

	/* Remote IRR records that a level interrupt is in service until the EOI comes back
	 * (82093AA 3.2.4): it is set when the message goes out, before any EOI can arrive. */
	if (level)
		io->redir[pin] |= REDIR_REMOTE_IRR;
	io->deliver(io->ctx, (uint32_t)(e >> IOAPIC_REDIR_DEST_SHIFT), e & APIC_DEST_LOGICAL,
	            (uint8_t)(e & APIC_VECTOR_MASK),
	            (unsigned)((e & APIC_DELIVERY_MODE_MASK) >> APIC_DELIVERY_MODE_SHIFT), level);
}

/* A level entry sends while its pin is asserted, it is unmasked and no earlier message from it
 * awaits its EOI. */
static void ioapic_service_level(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];

	if (!(e & APIC_TRIGGER_LEVEL) || (e & APIC_LVT_MASKED) || (e & REDIR_REMOTE_IRR) ||
	    !(io->pin_level & BIT(pin)))
		return;
	ioapic_send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
	bool was;
	uint64_t e;

	if (pin >= IOAPIC_PINS)
		return;
	was = io->pin_level & BIT(pin);
	if (level)
		io->pin_level |= (uint32_t)BIT(pin);
	else
		io->pin_level &= ~(uint32_t)BIT(pin);
	e = io->redir[pin];
	if (e & APIC_TRIGGER_LEVEL)
		ioapic_service_level(io, pin);
	else if (level && !was && !(e & APIC_LVT_MASKED))
		ioapic_send(io, pin); /* an edge while masked is lost */
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t e = io->redir[pin];

		if (!(e & APIC_TRIGGER_LEVEL) || !(e & REDIR_REMOTE_IRR) ||
		    (e & APIC_VECTOR_MASK) != vector)
			continue;
		io->redir[pin] &= ~(uint64_t)REDIR_REMOTE_IRR;
		ioapic_service_level(io, pin);
	}
}

static uint32_t ioapic_read_reg(const struct ioapic *io, unsigned index)
{
	unsigned pin = (index - IOAPIC_REG_REDTBL) / 2;

	switch (index) {
	case IOAPIC_REG_ID:
		return io->id;
	case IOAPIC_REG_VER:
		return IOAPIC_VER_VALUE;
	case IOAPIC_REG_ARB:
		/* The arbitration ID is loaded from the ID (82093AA 3.2.3). */
		return io->id;
	default:
		if (index < IOAPIC_REG_REDTBL || pin >= IOAPIC_PINS)
			return 0;
		return (uint32_t)(index & 1 ? io->redir[pin] >> 32 : io->redir[pin]);
	}
}

static void ioapic_write_redir_low(struct ioapic *io, unsigned pin, uint32_t value)
{
	uint64_t e = io->redir[pin];
	uint64_t kept = e & ~(uint64_t)REDIR_LOW_WRITABLE;

	e = kept | (value & REDIR_LOW_WRITABLE);
	/* Remote IRR has no meaning for an edge entry; clear it so that a later switch back to
	 * level does not find a stale one and block the pin for good. */
	if (!(e & APIC_TRIGGER_LEVEL))
		e &= ~(uint64_t)REDIR_REMOTE_IRR;
	io->redir[pin] = e;
	/* Unmasking (or making level) an asserted level pin sends it now. */
	ioapic_service_level(io, pin);
}

static void ioapic_write_reg(struct ioapic *io, unsigned index, uint32_t value)
{
	unsigned pin = (index - IOAPIC_REG_REDTBL) / 2;

	if (index == IOAPIC_REG_ID) {
		io->id = value & IOAPIC_ID_MASK;
		return;
	}
	if (index < IOAPIC_REG_REDTBL || pin >= IOAPIC_PINS)
		return; /* version, arbitration and unimplemented registers are read-only */
	if (index & 1)
		io->redir[pin] = (io->redir[pin] & 0xFFFFFFFFull) |
		                 (uint64_t)(value & REDIR_HIGH_WRITABLE) << 32;
	else
		ioapic_write_redir_low(io, pin, value);
}

static uint32_t ioapic_size_mask(unsigned size)
{
	return size >= 4 ? 0xFFFFFFFFu : (uint32_t)BIT(size * 8) - 1;
}

uint32_t ioapic_mmio_read(struct ioapic *io, unsigned offset, unsigned size)
{
	uint32_t value;

	/* Unsigned differences: an offset below the register is out of range too. */
	if (offset - IOAPIC_IOREGSEL < 4)
		value = io->regsel >> ((offset - IOAPIC_IOREGSEL) * 8);
	else if (offset - IOAPIC_IOWIN < 4)
		value = ioapic_read_reg(io, io->regsel) >> ((offset - IOAPIC_IOWIN) * 8);
	else
		value = 0; /* the EOI register is write-only */
	return value & ioapic_size_mask(size);
}

void ioapic_mmio_write(struct ioapic *io, unsigned offset, unsigned size, uint32_t value)
{
	if (offset == IOAPIC_IOREGSEL)
		io->regsel = value & IOREGSEL_MASK;
	else if (offset == IOAPIC_IOWIN && size == 4)
		ioapic_write_reg(io, io->regsel, value);
	else if (offset == IOAPIC_EOIR)
		ioapic_eoi(io, (uint8_t)(value & APIC_VECTOR_MASK));
}
