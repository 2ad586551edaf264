/* The trapped MSI capability of assigned devices (svm/platform/vpci_msi.h). Called with the VM's
 * pci.lock held; binding (the VM floor's, through struct vpci_msi_ops) waits for the IOMMU, which
 * only this VM's configuration accesses wait behind. */
#include "svm/platform/vpci_msi.h"
#include "kernel/pci.h"
#include "kernel/string.h"
#include "svm/platform/vpci.h"

#define MSI_CONTROL_64BIT   BIT(7)
#define MSI_ADDRESS_WINDOW  0xfee00000u /* x86 MSI address: 0FEEh in bits 31:20 */
#define MSI_ADDRESS_DEST(a) (((a) >> 12) & 0xff)
#define MSI_ADDRESS_LOGICAL BIT(2)
#define MSI_DATA_VECTOR(d)  ((d)&0xff)
#define MSI_DATA_MODE(d)    (((d) >> 8) & 7) /* 0 fixed, 1 lowest priority */
#define MSI_INDEX           0 /* one vector per device: IRTE 0 */

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

/* The guest's MSI as a destination and vector: fixed or lowest-priority delivery to one vCPU
 * named by its physical APIC ID, vector 16-255. Anything else is refused (false). */
static bool msi_target(const struct passthrough_msi *m, uint32_t *dest, uint8_t *vector)
{
	if ((m->address_lo & 0xfff00000u) != MSI_ADDRESS_WINDOW || m->address_hi ||
	    (m->address_lo & MSI_ADDRESS_LOGICAL) || MSI_DATA_MODE(m->data) > 1 ||
	    MSI_DATA_VECTOR(m->data) < 16)
		return false;
	*vector = (uint8_t)MSI_DATA_VECTOR(m->data);
	*dest = MSI_ADDRESS_DEST(m->address_lo);
	return true;
}

/* The device's real MSI follows the guest's enable bit. While enabled it carries the remappable
 * address/data of IRTE MSI_INDEX, which is bound to the guest's target and vector when those are
 * valid and invalid otherwise (the IOMMU then drops the interrupt): the guest's values never reach
 * the device, so its interrupts can reach no other VM. */
static void msi_update(struct passthrough *p, struct passthrough_device *d)
{
	uint16_t control = (uint16_t)(pci_read32(d->bdf, d->msi_cap) >> 16);
	uint16_t off = (uint16_t)(d->msi_cap + (control & MSI_CONTROL_64BIT ? 0x0c : 0x08));
	bool enable = d->msi.control & 1;
	p->msi_updates++;
	if (!enable || !d->intremap) {
		pci_write32(d->bdf, d->msi_cap,
			    pci_read32(d->bdf, d->msi_cap) & ~(uint32_t)PCI_MSI_CONTROL_ENABLE);
		if (d->intremap)
			p->msi_ops->unbind(d, MSI_INDEX);
		return;
	}
	uint8_t vector = 0;
	uint32_t dest = 0;
	if (!msi_target(&d->msi, &dest, &vector) ||
	    !p->msi_ops->bind(p->owner, d, MSI_INDEX, dest, vector)) {
		p->msi_refused++;
		p->msi_ops->unbind(d, MSI_INDEX);
	}
	uint64_t address;
	uint32_t data;
	p->msi_ops->message(MSI_INDEX, &address, &data);
	pci_write32(d->bdf, d->msi_cap + PCI_MSI_ADDRESS_LO, (uint32_t)address);
	if (control & MSI_CONTROL_64BIT)
		pci_write32(d->bdf, d->msi_cap + PCI_MSI_ADDRESS_HI, (uint32_t)(address >> 32));
	pci_write32(d->bdf, off, (pci_read32(d->bdf, off) & 0xffff0000u) | data);
	/* one message (Multiple Message Enable 000b), enabled */
	uint32_t header = pci_read32(d->bdf, d->msi_cap) & ~(0x70u << 16);
	pci_write32(d->bdf, d->msi_cap, header | PCI_MSI_CONTROL_ENABLE);
}

void vpci_msi_write(struct passthrough *p, struct passthrough_device *d, unsigned reg,
		    uint32_t value)
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
		msi_update(p, d);
}

