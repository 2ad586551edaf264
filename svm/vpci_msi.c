/* The trapped MSI capability of assigned devices (svm/vpci_msi.h). Called with the VM's pci.lock
 * held; binding waits for the IOMMU (iommu/intremap.h), which only this VM's configuration
 * accesses wait behind. */
#include "svm/vpci_msi.h"
#include "kernel/pci.h"
#include "kernel/string.h"
#include "svm/vm.h"

#define MSI_CONTROL_64BIT   BIT(7)

static unsigned msi_data_offset(const struct passthrough_device *d)
{
	return d->msi.control & MSI_CONTROL_64BIT ? 0x0c : 0x08;
}

bool vpci_msi_holds(const struct passthrough_device *d, unsigned reg)
{
	return d->msi_cap && reg >= d->msi_cap && reg <= d->msi_cap + msi_data_offset(d);
}

uint32_t vpci_msi_read(const struct passthrough_device *d, unsigned reg)
{
	unsigned off = reg - d->msi_cap;
	if (off == 0)
		return (pci_read32(d->bdf, d->msi_cap) & 0xffff) | (uint32_t)d->msi.control << 16;
	if (off == PCI_MSI_ADDRESS_LO)
		return d->msi.address_lo;
	if (off == msi_data_offset(d))
		return d->msi.data;
	return d->msi.address_hi; /* 64-bit capable only */
}

/* Interrupt remapping (iommu/intremap.h) is not wired yet: the device's real MSI stays
 * disabled, whatever the guest writes. */
static void msi_update(struct vm *vm, struct passthrough_device *d)
{
	vm->pci.msi_updates++;
	pci_write32(d->bdf, d->msi_cap,
		    pci_read32(d->bdf, d->msi_cap) & ~(uint32_t)PCI_MSI_CONTROL_ENABLE);
}

void vpci_msi_write(struct vm *vm, struct passthrough_device *d, unsigned reg, uint32_t value)
{
	unsigned off = reg - d->msi_cap;
	struct passthrough_msi old = d->msi;
	if (off == 0)
		d->msi.control = (uint16_t)((d->msi.control & MSI_CONTROL_64BIT) | ((value >> 16) & 1));
	else if (off == PCI_MSI_ADDRESS_LO)
		d->msi.address_lo = value & ~3u;
	else if (off == msi_data_offset(d))
		d->msi.data = (uint16_t)value;
	else
		d->msi.address_hi = value;
	if ((old.control | d->msi.control) & 1 && memcmp(&old, &d->msi, sizeof(old)))
		msi_update(vm, d);
}

