/* The remaining legacy PC devices a test kernel touches: the 8259 PIC pair (initialisation
 * sequence, mask register, OCW3 reads; no interrupt is ever routed through it — guests use the
 * IOAPIC) and the CMOS/RTC (index 0x70, data 0x71: a clock that runs from the VM's start, status
 * registers A-D, 128 bytes of CMOS memory). */
#ifndef SVM_LEGACY_H
#define SVM_LEGACY_H

#include "kernel/types.h"

struct pic8259 {
	uint8_t imr;
	uint8_t icw_step; /* 0: ready; 1..3: expecting ICW2..ICW4 */
	bool icw4;
	uint8_t vector_base;
	uint8_t read_isr; /* OCW3: the next command-port read returns ISR (1) or IRR (0) */
};

struct cmos {
	uint8_t index;
	uint8_t ram[128];
	uint64_t start_tsc, tsc_hz;
};

void pic_init(struct pic8259 *pic);
uint8_t pic_read(struct pic8259 *pic, bool data_port);
void pic_write(struct pic8259 *pic, bool data_port, uint8_t value);

void cmos_init(struct cmos *c, uint64_t start_tsc, uint64_t tsc_hz, uint64_t mem_size);
uint8_t cmos_read(struct cmos *c, uint64_t now_tsc);
void cmos_write_index(struct cmos *c, uint8_t value);
void cmos_write_data(struct cmos *c, uint8_t value);

#endif
