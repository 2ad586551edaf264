/* A driver for QEMU's edu test device (1234:11e8; QEMU docs/specs/edu.rst): registers in BAR0,
 * a 4 KiB DMA buffer at device address 40000h, one MSI raised on demand. */
#ifndef GUESTS_LIB_EDU_H
#define GUESTS_LIB_EDU_H

#include "kernel/types.h"

#define EDU_VENDOR      0x1234
#define EDU_DEVICE      0x11e8
#define EDU_ID_VALUE    0x010000ed /* register 0: major 1, minor 0, 0xed */
#define EDU_BUFFER      0x40000u
#define EDU_BUFFER_SIZE 4096u
#define EDU_DMA_LIMIT   (1u << 28) /* edu's default DMA mask: 28 bits */

struct edu {
	unsigned devfn;
	uintptr_t bar; /* BAR0, 1 MiB */
};

/* Finds edu on bus 0, enables memory decoding and bus mastering; false if absent. */
bool edu_open(struct edu *e, unsigned *functions_on_bus);
uint32_t edu_read(const struct edu *e, unsigned reg);
void edu_write(const struct edu *e, unsigned reg, uint32_t value);
#define EDU_REG_ID       0x00
#define EDU_REG_LIVENESS 0x04 /* reads the inverse of what was written */
#define EDU_REG_RAISE    0x60
#define EDU_REG_ACK      0x64
#define EDU_REG_IRQ      0x24

/* One DMA between guest-physical 'ram' and edu's buffer at EDU_BUFFER + offset; to_ram chooses
 * the direction. Waits for the device (it starts 100 ms after the command); false if it did not
 * finish within 'timeout_us'. */
bool edu_dma(const struct edu *e, uint32_t ram, uint32_t offset, uint32_t bytes, bool to_ram,
	     uint64_t timeout_us);

#endif
