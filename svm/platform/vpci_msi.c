/* The trapped MSI capability of assigned devices (svm/platform/vpci_msi.h). Called with the VM's pci.lock
 * held; binding waits for the IOMMU (svm/vm/intremap.h), which only this VM's configuration
 * accesses wait behind. */
#include "svm/platform/vpci_msi.h"
#include "avic/vlapic/vapic.h"
#include "svm/vm/intremap.h"
#include "kernel/pci.h"
#include "kernel/string.h"
#include "svm/vm/vm.h"

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

/* The vCPU whose local APIC ID is 'id', or NULL. */
static struct vcpu *vcpu_by_apic_id(struct vm *vm, uint32_t id)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (vapic_id(&vm->vcpu[i]->vapic) == id)
			return vm->vcpu[i];
	}
	return NULL;
}

/* The guest's MSI as a target and vector: fixed or lowest-priority delivery to one vCPU named
 * by its physical APIC ID, vector 16-255. Anything else is refused (NULL). */
static struct vcpu *msi_target(struct vm *vm, const struct passthrough_msi *m, uint8_t *vector)
{
	if ((m->address_lo & 0xfff00000u) != MSI_ADDRESS_WINDOW || m->address_hi ||
	    (m->address_lo & MSI_ADDRESS_LOGICAL) || MSI_DATA_MODE(m->data) > 1 ||
	    MSI_DATA_VECTOR(m->data) < 16)
		return NULL;
	*vector = (uint8_t)MSI_DATA_VECTOR(m->data);
	return vcpu_by_apic_id(vm, MSI_ADDRESS_DEST(m->address_lo));
}

/* The device's real MSI follows the guest's enable bit. While enabled it carries the remappable
 * address/data of IRTE MSI_INDEX, which is bound to the guest's target and vector when those are
 * valid and invalid otherwise (the IOMMU then drops the interrupt): the guest's values never reach
 * the device, so its interrupts can reach no other VM. */
static void msi_update(struct vm *vm, struct passthrough_device *d)
{
	uint16_t control = (uint16_t)(pci_read32(d->bdf, d->msi_cap) >> 16);
	uint16_t off = (uint16_t)(d->msi_cap + (control & MSI_CONTROL_64BIT ? 0x0c : 0x08));
	bool enable = d->msi.control & 1;
	vm->pci.msi_updates++;
	if (!enable || !d->intremap) {
		pci_write32(d->bdf, d->msi_cap,
			    pci_read32(d->bdf, d->msi_cap) & ~(uint32_t)PCI_MSI_CONTROL_ENABLE);
		if (d->intremap)
			intremap_unbind(d->intremap, MSI_INDEX);
		return;
	}
	uint8_t vector = 0;
	struct vcpu *target = msi_target(vm, &d->msi, &vector);
	if (!target || !intremap_bind(d->intremap, MSI_INDEX, target, vector)) {
		vm->pci.msi_refused++;
		intremap_unbind(d->intremap, MSI_INDEX);
	}
	struct intremap_msi m = intremap_msi(MSI_INDEX);
	pci_write32(d->bdf, d->msi_cap + PCI_MSI_ADDRESS_LO, (uint32_t)m.address);
	if (control & MSI_CONTROL_64BIT)
		pci_write32(d->bdf, d->msi_cap + PCI_MSI_ADDRESS_HI, (uint32_t)(m.address >> 32));
	pci_write32(d->bdf, off, (pci_read32(d->bdf, off) & 0xffff0000u) | m.data);
	/* one message (Multiple Message Enable 000b), enabled */
	uint32_t header = pci_read32(d->bdf, d->msi_cap) & ~(0x70u << 16);
	pci_write32(d->bdf, d->msi_cap, header | PCI_MSI_CONTROL_ENABLE);
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

