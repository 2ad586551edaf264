/* The edu driver (guests/lib/edu.h). */
#include "guests/lib/edu.h"
#include "guests/lib/pci.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

#define EDU_REG_DMA_SOURCE      0x80
#define EDU_REG_DMA_DESTINATION 0x88
#define EDU_REG_DMA_COUNT       0x90
#define EDU_REG_DMA_COMMAND     0x98
#define EDU_DMA_RUN             1u
#define EDU_DMA_TO_RAM          2u

bool edu_open(struct edu *e, unsigned *functions_on_bus)
{
	int devfn = pci_find_device(EDU_VENDOR, EDU_DEVICE, functions_on_bus);
	if (devfn < 0)
		return false;
	e->devfn = (unsigned)devfn;
	e->bar = pci_config_read(e->devfn, PCI_REG_BAR0) & ~0xfu;
	uint32_t cmd = pci_config_read(e->devfn, PCI_REG_COMMAND);
	pci_config_write(e->devfn, PCI_REG_COMMAND,
			 (cmd & 0xffff) | PCI_CMD_MEMORY | PCI_CMD_MASTER);
	return true;
}

uint32_t edu_read(const struct edu *e, unsigned reg)
{
	return mmio_read32(e->bar + reg);
}

void edu_write(const struct edu *e, unsigned reg, uint32_t value)
{
	mmio_write32(e->bar + reg, value);
}

bool edu_dma(const struct edu *e, uint32_t ram, uint32_t offset, uint32_t bytes, bool to_ram,
	     uint64_t timeout_us)
{
	uint32_t dev = EDU_BUFFER + offset;
	/* 4-byte writes set the whole 64-bit register (the upper half becomes 0) */
	edu_write(e, EDU_REG_DMA_SOURCE, to_ram ? dev : ram);
	edu_write(e, EDU_REG_DMA_DESTINATION, to_ram ? ram : dev);
	edu_write(e, EDU_REG_DMA_COUNT, bytes);
	edu_write(e, EDU_REG_DMA_COMMAND, EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
	uint64_t deadline = tsc_deadline(timeout_us);
	while (edu_read(e, EDU_REG_DMA_COMMAND) & EDU_DMA_RUN) {
		if (tsc_expired(deadline))
			return false;
		pause();
	}
	return true;
}
