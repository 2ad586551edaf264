/* A virtual 8254 PIT (Intel 82C54 data sheet): channels 0-2 count down at 1.193182 MHz derived
 * from the TSC, with latch, the lo/hi byte access modes and modes 0, 2 and 3 — enough for the
 * calibration loops test kernels run (channel 2 gated through port 0x61, its output read back in
 * bit 5) and for reading channel 0. Channel 0's output is IRQ0: pit_irq_deadline() says when it
 * next rises (the rising edge is the interrupt, ISA IRQ 0 = IOAPIC pin 2 by the MADT's override)
 * and pit_irq_poll() reports an edge once it has passed (docs/linux.md "Timers"). */
#ifndef SVM_PIT_H
#define SVM_PIT_H

#include "kernel/types.h"

#define PIT_HZ 1193182u

struct pit_channel {
	uint16_t reload;     /* count written by the guest (0 means 0x10000) */
	uint8_t mode;        /* 0..5 */
	uint8_t access;      /* 1 lo, 2 hi, 3 lo then hi */
	bool write_hi;       /* next write is the high byte */
	bool read_hi;        /* next read is the high byte */
	bool latched;
	uint16_t latch;
	bool counting;
	uint64_t start_tsc;
	uint64_t irq_edges; /* rising edges of OUT reported by pit_irq_poll() since the start */
};

struct pit {
	struct pit_channel ch[3];
	uint8_t port61;      /* bit 0 gate 2, bit 1 speaker data */
	uint8_t refresh;     /* toggled bit 4 of port 0x61 */
	uint64_t tsc_hz;
};

void pit_init(struct pit *p, uint64_t tsc_hz);
uint8_t pit_read(struct pit *p, unsigned port, uint64_t now_tsc);
void pit_write(struct pit *p, unsigned port, uint8_t value, uint64_t now_tsc);
#define PIT_IRQ_NONE UINT64_MAX
/* TSC at which channel 0's output next rises: every period in modes 2 and 3, once at terminal
 * count in the others; PIT_IRQ_NONE while it does not count. */
uint64_t pit_irq_deadline(const struct pit *p);
/* True if channel 0's output rose since the last call; edges missed meanwhile count as one, as an
 * edge-triggered input latches only one. */
bool pit_irq_poll(struct pit *p, uint64_t now_tsc);

#endif
