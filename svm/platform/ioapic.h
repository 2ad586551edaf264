/* The virtual IOAPIC a guest sees at 0xFEC00000: an Intel 82093AA-compatible I/O APIC of version
 * 0x20 (the version with the EOI register, as on ICH chipsets), 24 input pins.
 *
 * Sources: Intel 82093AA I/O Advanced Programmable Interrupt Controller datasheet (290566), 3.0
 * "Register Description"; the EOI register at +0x40 from the ICH/PCH I/O APIC chapters (e.g. Intel
 * ICH9 datasheet 13.5).
 *
 * The model is pure: no locking, no knowledge of vCPUs. The caller serializes all calls on one
 * ioapic (one lock per IOAPIC) and gets each interrupt message through the `deliver` callback,
 * called synchronously from inside ioapic_set_irq(), ioapic_eoi() or an MMIO write; the callback
 * routes it (avic/vlapic/apic_route.h) and must not call back into the same ioapic. An input level is
 * the logical assertion: polarity (bit 13) is stored for the guest but not applied. */
#ifndef SVM_IOAPIC_H
#define SVM_IOAPIC_H

#include "kernel/types.h"

#define IOAPIC_DEFAULT_BASE 0xFEC00000ull
#define IOAPIC_PINS         24

/* MMIO window offsets. */
#define IOAPIC_IOREGSEL  0x00 /* register index */
#define IOAPIC_IOWIN     0x10 /* data of the selected register */
#define IOAPIC_EOIR      0x40 /* version 0x20: write a vector to EOI it */
#define IOAPIC_MMIO_SIZE 0x100

/* Indirect registers (selected through IOREGSEL). */
#define IOAPIC_REG_ID     0x00
#define IOAPIC_REG_VER    0x01
#define IOAPIC_REG_ARB    0x02
#define IOAPIC_REG_REDTBL 0x10 /* pin n: low word at 0x10 + 2n, high word at 0x11 + 2n */

#define IOAPIC_ID_MASK             0x0F000000u /* ID and arbitration ID live in bits 27:24 */
#define IOAPIC_VERSION             0x20
#define IOAPIC_VER_MAX_REDIR_SHIFT 16
#define IOAPIC_VER_VALUE           (IOAPIC_VERSION | ((IOAPIC_PINS - 1) << IOAPIC_VER_MAX_REDIR_SHIFT))
_Static_assert(IOAPIC_VER_VALUE == 0x00170020, "24 entries, version 0x20");

/* A redirection entry's low word shares its field layout with the local APIC's ICR and LVT
 * entries (avic/vlapic/apic_regs.h): vector 7:0, delivery mode 10:8, destination mode 11, delivery
 * status 12, polarity 13, remote IRR 14, trigger mode 15, mask 16. The destination is bits 63:56.
 */
#define IOAPIC_REDIR_DEST_SHIFT 56

typedef void (*ioapic_deliver_fn)(void *ctx, uint32_t dest, bool logical, uint8_t vector,
                                  unsigned delivery_mode, bool level_trigger);

struct ioapic {
	uint32_t id;                 /* IOAPICID register */
	uint32_t regsel;             /* IOREGSEL */
	uint32_t pin_level;          /* input pins currently asserted, bit n = pin n */
	uint64_t redir[IOAPIC_PINS]; /* redirection table */
	ioapic_deliver_fn deliver;
	void *ctx;
};

/* Reset state: ID 0, every redirection entry masked, every pin de-asserted. */
void ioapic_init(struct ioapic *io, ioapic_deliver_fn deliver, void *ctx);

/* Guest accesses to the MMIO window, `offset` from its base, `size` 1, 2 or 4 bytes. IOREGSEL
 * takes any size; IOWIN reads of part of the register return those bytes; IOWIN writes must be
 * 4 bytes at +0x10 (others are dropped); the EOI register takes the vector in bits 7:0. Anything
 * else reads as 0 and ignores writes. */
uint32_t ioapic_mmio_read(struct ioapic *io, unsigned offset, unsigned size);
void ioapic_mmio_write(struct ioapic *io, unsigned offset, unsigned size, uint32_t value);

/* Input pin `pin` asserted (true) or de-asserted. Edge entries deliver on the rising edge if
 * unmasked at that moment; level entries deliver while asserted, unmasked and remote IRR clear. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);

/* End of interrupt for `vector` (a local APIC EOI of a level-triggered vector, or a write to the
 * EOI register): clears remote IRR of the level entries with that vector, and re-delivers those
 * whose pin is still asserted. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

#endif
