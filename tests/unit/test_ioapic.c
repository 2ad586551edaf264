// sources: svm/platform/ioapic.c
/* The 82093AA-compatible IOAPIC model: registers, edge and level delivery, remote IRR, EOI,
 * masking. Expected values from the 82093AA datasheet (290566) section 3. */
#include "svm/platform/ioapic.h"
#include "avic/vlapic/apic_regs.h"
#include "tests/unit/check.h"

struct message {
	uint32_t dest;
	bool logical;
	uint8_t vector;
	unsigned delivery_mode;
	bool level_trigger;
};

static struct message sent[16];
static unsigned nsent;

static void record(void *ctx, uint32_t dest, bool logical, uint8_t vector, unsigned delivery_mode,
                   bool level_trigger)
{
	CHECK(ctx == sent);
	if (nsent < ARRAY_SIZE(sent))
		sent[nsent] = (struct message){dest, logical, vector, delivery_mode, level_trigger};
	nsent++;
}

static struct ioapic io;

static void fresh(void)
{
	ioapic_init(&io, record, sent);
	nsent = 0;
}

static uint32_t reg_read(unsigned index)
{
	ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, index);
	return ioapic_mmio_read(&io, IOAPIC_IOWIN, 4);
}

static void reg_write(unsigned index, uint32_t value)
{
	ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, index);
	ioapic_mmio_write(&io, IOAPIC_IOWIN, 4, value);
}

static void redir(unsigned pin, uint32_t low, uint32_t high)
{
	reg_write(IOAPIC_REG_REDTBL + 2 * pin + 1, high);
	reg_write(IOAPIC_REG_REDTBL + 2 * pin, low);
}

static uint32_t redir_low(unsigned pin)
{
	return reg_read(IOAPIC_REG_REDTBL + 2 * pin);
}

static void test_registers(void)
{
	fresh();
	/* VER: max redirection entry 23 in bits 23:16, version 0x20. */
	CHECK_EQ(reg_read(IOAPIC_REG_VER), 0x00170020);
	reg_write(IOAPIC_REG_VER, 0);
	CHECK_EQ(reg_read(IOAPIC_REG_VER), 0x00170020);
	/* ID: bits 27:24 only; ARB follows it. */
	CHECK_EQ(reg_read(IOAPIC_REG_ID), 0);
	reg_write(IOAPIC_REG_ID, 0xFFFFFFFF);
	CHECK_EQ(reg_read(IOAPIC_REG_ID), 0x0F000000);
	reg_write(IOAPIC_REG_ID, 0x02000000);
	CHECK_EQ(reg_read(IOAPIC_REG_ID), 0x02000000);
	CHECK_EQ(reg_read(IOAPIC_REG_ARB), 0x02000000);
	/* Reset: every entry masked (bit 16), destination 0. */
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		CHECK_EQ(redir_low(pin), 0x00010000);
		CHECK_EQ(reg_read(IOAPIC_REG_REDTBL + 2 * pin + 1), 0);
	}
	/* Writable: vector, delivery mode, dest mode, polarity, trigger, mask = 0x1AFFF; not
	 * delivery status (12) or remote IRR (14); high word bits 31:24 only. */
	redir(5, 0xFFFFFFFF, 0xFFFFFFFF);
	CHECK_EQ(redir_low(5), 0x0001AFFF);
	CHECK_EQ(reg_read(IOAPIC_REG_REDTBL + 11), 0xFF000000);
	/* Beyond pin 23 (index 0x40) and below the table: read as 0, writes dropped. */
	reg_write(0x40, 0x1234);
	CHECK_EQ(reg_read(0x40), 0);
	CHECK_EQ(reg_read(0x03), 0);
	/* IOREGSEL reads back; byte accesses work on IOREGSEL and on IOWIN reads. */
	ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 1, IOAPIC_REG_VER);
	CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOREGSEL, 4), IOAPIC_REG_VER);
	CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOWIN, 1), 0x20);
	CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOWIN + 2, 1), 0x17);
	CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOWIN, 2), 0x0020);
	/* A partial IOWIN write is dropped. */
	ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, IOAPIC_REG_ID);
	ioapic_mmio_write(&io, IOAPIC_IOWIN, 1, 0);
	CHECK_EQ(reg_read(IOAPIC_REG_ID), 0x02000000);
	/* The EOI register is write-only. */
	CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_EOIR, 4), 0);
	CHECK_EQ(nsent, 0);
}

static void test_edge(void)
{
	fresh();
	/* Pin 1: fixed, physical, edge, vector 0x31, destination APIC 2. */
	redir(1, 0x31, 0x02000000);
	ioapic_set_irq(&io, 1, true);
	CHECK_EQ(nsent, 1);
	CHECK_EQ(sent[0].dest, 2);
	CHECK(!sent[0].logical);
	CHECK_EQ(sent[0].vector, 0x31);
	CHECK_EQ(sent[0].delivery_mode, APIC_DM_FIXED);
	CHECK(!sent[0].level_trigger);
	/* No remote IRR for edge. */
	CHECK_EQ(redir_low(1), 0x31);
	/* Held high: no new edge. */
	ioapic_set_irq(&io, 1, true);
	CHECK_EQ(nsent, 1);
	ioapic_set_irq(&io, 1, false);
	ioapic_set_irq(&io, 1, true);
	CHECK_EQ(nsent, 2);
	/* An EOI does not re-deliver an edge pin. */
	ioapic_eoi(&io, 0x31);
	CHECK_EQ(nsent, 2);
	/* An edge while masked is lost; unmasking later with the pin high sends nothing. */
	ioapic_set_irq(&io, 1, false);
	redir(1, 0x10031, 0x02000000);
	ioapic_set_irq(&io, 1, true);
	CHECK_EQ(nsent, 2);
	redir(1, 0x31, 0x02000000);
	CHECK_EQ(nsent, 2);
	/* Pins beyond 23 are ignored. */
	ioapic_set_irq(&io, 24, true);
	ioapic_set_irq(&io, 200, true);
	CHECK_EQ(nsent, 2);
}

static void test_level_remote_irr(void)
{
	fresh();
	/* Pin 9: lowest priority (1), logical, level, vector 0x49, logical destination 0x03:
	 * low = 0x8000 | 0x800 | 0x100 | 0x49 = 0x8949. */
	redir(9, 0x8949, 0x03000000);
	ioapic_set_irq(&io, 9, true);
	CHECK_EQ(nsent, 1);
	CHECK_EQ(sent[0].dest, 3);
	CHECK(sent[0].logical);
	CHECK_EQ(sent[0].vector, 0x49);
	CHECK_EQ(sent[0].delivery_mode, APIC_DM_LOWEST);
	CHECK(sent[0].level_trigger);
	/* Remote IRR (bit 14) is set until the EOI. */
	CHECK_EQ(redir_low(9), 0xC949);
	/* Still asserted, remote IRR set: nothing more. */
	ioapic_set_irq(&io, 9, true);
	CHECK_EQ(nsent, 1);
	/* An EOI for another vector leaves it alone. */
	ioapic_eoi(&io, 0x48);
	CHECK_EQ(redir_low(9), 0xC949);
	CHECK_EQ(nsent, 1);
	/* EOI with the pin still high: remote IRR cleared and the interrupt sent again, which sets
	 * remote IRR again. */
	ioapic_eoi(&io, 0x49);
	CHECK_EQ(nsent, 2);
	CHECK_EQ(sent[1].vector, 0x49);
	CHECK_EQ(redir_low(9), 0xC949);
	/* De-asserted, then EOI: remote IRR clear, nothing sent. */
	ioapic_set_irq(&io, 9, false);
	ioapic_eoi(&io, 0x49);
	CHECK_EQ(nsent, 2);
	CHECK_EQ(redir_low(9), 0x8949);
	/* Remote IRR is read-only: writing it does not set it. */
	redir(9, 0xC949, 0x03000000);
	CHECK_EQ(redir_low(9), 0x8949);
	/* The EOI register at +0x40 works like an EOI broadcast. */
	ioapic_set_irq(&io, 9, true);
	CHECK_EQ(nsent, 3);
	ioapic_mmio_write(&io, IOAPIC_EOIR, 4, 0x49);
	CHECK_EQ(nsent, 4);
	ioapic_set_irq(&io, 9, false);
	ioapic_mmio_write(&io, IOAPIC_EOIR, 4, 0x49);
	CHECK_EQ(nsent, 4);
	CHECK_EQ(redir_low(9), 0x8949);
}

static void test_level_masking(void)
{
	fresh();
	/* Masked level pin asserted: nothing sent, no remote IRR. */
	redir(10, 0x1805A, 0x01000000); /* masked, level, vector 0x5A */
	ioapic_set_irq(&io, 10, true);
	CHECK_EQ(nsent, 0);
	CHECK_EQ(redir_low(10), 0x1805A);
	/* Unmasking while asserted sends at once. */
	redir(10, 0x805A, 0x01000000);
	CHECK_EQ(nsent, 1);
	CHECK_EQ(sent[0].dest, 1);
	CHECK_EQ(redir_low(10), 0xC05A);
	/* Masked while remote IRR set: the EOI clears it but sends nothing. */
	redir(10, 0x1805A, 0x01000000);
	ioapic_eoi(&io, 0x5A);
	CHECK_EQ(nsent, 1);
	CHECK_EQ(redir_low(10), 0x1805A);
	/* Unmasked again, pin still high: sent. */
	redir(10, 0x805A, 0x01000000);
	CHECK_EQ(nsent, 2);
	/* Switching the entry to edge drops remote IRR; back to level with the pin high sends. */
	redir(10, 0x005A, 0x01000000);
	CHECK_EQ(redir_low(10), 0x005A);
	CHECK_EQ(nsent, 2);
	redir(10, 0x805A, 0x01000000);
	CHECK_EQ(nsent, 3);
}

static void test_shared_vector(void)
{
	fresh();
	/* Two level pins on one vector: one EOI clears both; only the one still high resends. */
	redir(16, 0x8060, 0x00000000);
	redir(17, 0x8060, 0x01000000);
	ioapic_set_irq(&io, 16, true);
	ioapic_set_irq(&io, 17, true);
	CHECK_EQ(nsent, 2);
	ioapic_set_irq(&io, 16, false);
	ioapic_eoi(&io, 0x60);
	CHECK_EQ(nsent, 3);
	CHECK_EQ(sent[2].dest, 1);
	CHECK_EQ(redir_low(16), 0x8060);
	CHECK_EQ(redir_low(17), 0xC060);
	/* NMI and ExtINT delivery modes pass through unchanged. */
	redir(2, 0x400, 0x00000000);
	ioapic_set_irq(&io, 2, true);
	CHECK_EQ(sent[3].delivery_mode, APIC_DM_NMI);
	redir(0, 0x700, 0x00000000);
	ioapic_set_irq(&io, 0, true);
	CHECK_EQ(sent[4].delivery_mode, APIC_DM_EXTINT);
	CHECK_EQ(nsent, 5);
}

int main(void)
{
	test_registers();
	test_edge();
	test_level_remote_irr();
	test_level_masking();
	test_shared_vector();
	return check_summary("ioapic");
}
