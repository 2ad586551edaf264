/* QEMU's edu test device (1234:11e8, QEMU docs/specs/edu.txt), as the hypervisor's own tests
 * drive it: BAR0 register offsets. */
#ifndef IOMMU_EDU_H
#define IOMMU_EDU_H

#include "kernel/types.h"

#define EDU_VENDOR          0x1234
#define EDU_DEVICE          0x11e8
#define EDU_IRQ_RAISE       0x60 /* 32-bit write: status |= value, and an interrupt (MSI) */
#define EDU_IRQ_ACK         0x64 /* 32-bit write: status &= ~value */
#define EDU_DMA_SOURCE      0x80
#define EDU_DMA_DESTINATION 0x88
#define EDU_DMA_COUNT       0x90
#define EDU_DMA_COMMAND     0x98
#define EDU_DMA_RUN         BIT(0)
#define EDU_DMA_TO_RAM      BIT(1) /* direction: from edu's buffer to the address */
#define EDU_BUFFER          0x40000ull

#endif
