/* PCI configuration mechanism #1, bus 0 (guests/lib/pci.h). One CPU at a time: callers do not
 * touch configuration space from two CPUs at once. */
#include "guests/lib/pci.h"
#include "guests/lib/x86.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA    0xcfc
#define CONFIG_ENABLE  0x80000000u

uint32_t pci_config_read(unsigned devfn, unsigned reg)
{
	outl(CONFIG_ADDRESS, CONFIG_ENABLE | devfn << 8 | (reg & 0xfc));
	return inl(CONFIG_DATA);
}

void pci_config_write(unsigned devfn, unsigned reg, uint32_t value)
{
	outl(CONFIG_ADDRESS, CONFIG_ENABLE | devfn << 8 | (reg & 0xfc));
	outl(CONFIG_DATA, value);
}

int pci_find_device(uint16_t vendor, uint16_t device, unsigned *functions)
{
	int found = -1;
	*functions = 0;
	for (unsigned dev = 0; dev < 32; dev++) {
		uint32_t id = pci_config_read(PCI_ADDRESS(dev, 0), PCI_REG_ID);
		if (id == PCI_NONE)
			continue;
		(*functions)++;
		if (found < 0 && id == ((uint32_t)device << 16 | vendor))
			found = (int)PCI_ADDRESS(dev, 0);
	}
	return found;
}

unsigned pci_find_capability(unsigned devfn, uint8_t id)
{
	if (!(pci_config_read(devfn, PCI_REG_COMMAND) & (1u << 20))) /* status: capability list */
		return 0;
	unsigned at = pci_config_read(devfn, PCI_REG_CAPS) & 0xfc;
	for (unsigned n = 0; at && n < 48; n++) {
		uint32_t header = pci_config_read(devfn, at);
		if ((header & 0xff) == id)
			return at;
		at = (header >> 8) & 0xfc;
	}
	return 0;
}

uint32_t pci_bar_size(unsigned devfn, unsigned bar)
{
	unsigned reg = PCI_REG_BAR0 + 4 * bar;
	uint32_t old = pci_config_read(devfn, reg);
	pci_config_write(devfn, reg, 0xffffffffu);
	uint32_t mask = pci_config_read(devfn, reg) & ~0xfu;
	pci_config_write(devfn, reg, old);
	return mask ? ~mask + 1 : 0;
}

void pci_msi_set(unsigned devfn, uint32_t address, uint16_t data)
{
	unsigned cap = pci_find_capability(devfn, PCI_CAP_MSI);
	uint32_t header = pci_config_read(devfn, cap);
	pci_config_write(devfn, cap, header & ~PCI_MSI_ENABLE);
	pci_config_write(devfn, cap + 4, address);
	if (header & PCI_MSI_64BIT) {
		pci_config_write(devfn, cap + 8, 0);
		pci_config_write(devfn, cap + 12, data);
	} else {
		pci_config_write(devfn, cap + 8, data);
	}
	/* one message (Multiple Message Enable 0), enabled */
	pci_config_write(devfn, cap, (header & ~(0x70u << 16)) | PCI_MSI_ENABLE);
}

void pci_msi_disable(unsigned devfn)
{
	unsigned cap = pci_find_capability(devfn, PCI_CAP_MSI);
	pci_config_write(devfn, cap, pci_config_read(devfn, cap) & ~PCI_MSI_ENABLE);
}
