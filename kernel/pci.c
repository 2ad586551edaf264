/* PCI configuration space access and the boot-time bus scan. */
#include "kernel/pci.h"
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/paging.h"
#include "kernel/spinlock.h"
#include "kernel/x86.h"

/* Configuration mechanism #1 (PCI 3.0 §3.2.2.3.2): enable bit, bus 23:16, device 15:11,
 * function 10:8, dword-aligned register 7:2. The two port accesses must not interleave. */
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc
#define PCI_CONFIG_ENABLE  BIT(31)
/* ECAM (PCIe 5.0 §7.2.2): 4 KiB of configuration space per function, 1 MiB per bus. */
#define PCI_ECAM_BUS_SHIFT 20
#define PCI_ECAM_FN_SHIFT  12

struct pci_function pci_functions[PCI_MAX_FUNCTIONS];
unsigned pci_function_count;

static uint64_t ecam_base; /* address of bus 0's space in segment 0; 0 = use the ports */
static uint8_t ecam_bus_start, ecam_bus_end;
static struct spinlock pci_port_lock = SPINLOCK_INIT;

void pci_init(const struct acpi_info *acpi)
{
	for (unsigned i = 0; i < acpi->mcfg_count; i++) {
		if (acpi->mcfg_entry[i].segment != 0)
			continue;
		uint64_t first = acpi->mcfg_entry[i].base +
		                 ((uint64_t)acpi->mcfg_entry[i].bus_start << PCI_ECAM_BUS_SHIFT);
		uint64_t len =
		    (uint64_t)(acpi->mcfg_entry[i].bus_end - acpi->mcfg_entry[i].bus_start + 1)
		    << PCI_ECAM_BUS_SHIFT;
		/* below 4 GiB the boot map already covers it uncacheable; above, map it now */
		if (!paging_lookup(first) || !paging_lookup(first + len - 1))
			paging_map_mmio(first, len);
		ecam_base = acpi->mcfg_entry[i].base;
		ecam_bus_start = acpi->mcfg_entry[i].bus_start;
		ecam_bus_end = acpi->mcfg_entry[i].bus_end;
		printk("pci: configuration space through ECAM at 0x%lx (buses %u-%u)\n", ecam_base,
		       ecam_bus_start, ecam_bus_end);
		return;
	}
	printk("pci: configuration space through ports 0xcf8/0xcfc\n");
}

static volatile uint32_t *ecam_register(uint16_t bdf, uint16_t offset)
{
	uint8_t bus = PCI_BDF_BUS(bdf);
	if (!ecam_base || bus < ecam_bus_start || bus > ecam_bus_end || offset >= PAGE_SIZE)
		return NULL;
	return (volatile uint32_t *)(uintptr_t)(ecam_base + ((uint64_t)bdf << PCI_ECAM_FN_SHIFT) +
	                                        (offset & ~3u));
}

uint32_t pci_read32(uint16_t bdf, uint16_t offset)
{
	volatile uint32_t *r = ecam_register(bdf, offset);
	if (r)
		return *r;
	if (offset >= 256)
		return UINT32_MAX;
	uint64_t flags = irq_save();
	spin_lock(&pci_port_lock);
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | ((uint32_t)bdf << 8) | (offset & 0xfc));
	uint32_t v = inl(PCI_CONFIG_DATA);
	spin_unlock(&pci_port_lock);
	irq_restore(flags);
	return v;
}

void pci_write32(uint16_t bdf, uint16_t offset, uint32_t value)
{
	volatile uint32_t *r = ecam_register(bdf, offset);
	if (r) {
		*r = value;
		return;
	}
	if (offset >= 256)
		return;
	uint64_t flags = irq_save();
	spin_lock(&pci_port_lock);
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | ((uint32_t)bdf << 8) | (offset & 0xfc));
	outl(PCI_CONFIG_DATA, value);
	spin_unlock(&pci_port_lock);
	irq_restore(flags);
}

uint16_t pci_read16(uint16_t bdf, uint16_t offset)
{
	return (uint16_t)(pci_read32(bdf, offset) >> ((offset & 2) * 8));
}

uint8_t pci_find_capability(uint16_t bdf, uint8_t id)
{
	if (!(pci_read16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	uint8_t at = (uint8_t)pci_read32(bdf, PCI_CAPABILITY_LIST) & 0xfc;
	/* 48 capabilities fill the 192 bytes after the header: a longer chain is a loop */
	for (unsigned n = 0; at && n < 48; n++) {
		uint32_t header = pci_read32(bdf, at);
		if ((header & 0xff) == id)
			return at;
		at = (uint8_t)(header >> 8) & 0xfc;
	}
	return 0;
}

bool pci_msi_enable(uint16_t bdf, uint64_t address, uint32_t data)
{
	uint8_t msi = pci_find_capability(bdf, PCI_CAP_ID_MSI);
	if (!msi)
		return false;
	uint32_t control = pci_read32(bdf, msi);
	pci_write32(bdf, msi + PCI_MSI_ADDRESS_LO, (uint32_t)address);
	unsigned data_at = PCI_MSI_ADDRESS_LO + 4;
	if (control & PCI_MSI_CONTROL_64BIT) {
		pci_write32(bdf, msi + PCI_MSI_ADDRESS_HI, (uint32_t)(address >> 32));
		data_at += 4;
	}
	pci_write32(bdf, msi + data_at, data);
	/* one vector: Multiple Message Enable (bits 22:20) = 0 */
	pci_write32(bdf, msi, (control & ~(7u << 20)) | PCI_MSI_CONTROL_ENABLE);
	return true;
}

static void record(uint16_t bdf, uint32_t id, bool print)
{
	uint32_t class_code = pci_read32(bdf, PCI_CLASS_REVISION) >> 8;
	if (print)
		printk("pci: " PCI_BDF_FMT " %04x:%04x class %04x\n", PCI_BDF_ARGS(bdf),
		       id & 0xffff, id >> 16, class_code >> 8);
	if (pci_function_count < PCI_MAX_FUNCTIONS)
		pci_functions[pci_function_count++] =
		    (struct pci_function){bdf, (uint16_t)id, (uint16_t)(id >> 16), class_code};
}

void pci_scan(bool print)
{
	unsigned found = 0;
	pci_function_count = 0;
	for (unsigned bus = 0; bus < 256; bus++) {
		for (unsigned dev = 0; dev < 32; dev++) {
			uint32_t id = pci_read32(PCI_BDF(bus, dev, 0), PCI_VENDOR_ID);
			if ((id & 0xffff) == PCI_VENDOR_NONE)
				continue;
			bool multi =
			    (pci_read32(PCI_BDF(bus, dev, 0), PCI_HEADER_TYPE & ~3u) >> 16) &
			    PCI_HEADER_MULTI_FUNCTION;
			for (unsigned fn = 0; fn < (multi ? 8u : 1u); fn++) {
				uint16_t bdf = PCI_BDF(bus, dev, fn);
				if (fn)
					id = pci_read32(bdf, PCI_VENDOR_ID);
				if ((id & 0xffff) == PCI_VENDOR_NONE)
					continue;
				record(bdf, id, print);
				found++;
			}
		}
	}
	if (found > PCI_MAX_FUNCTIONS)
		pr_warn("pci: %u functions, only the first %u recorded\n", found,
		        PCI_MAX_FUNCTIONS);
	if (print)
		printk("pci: %u function(s) found\n", found);
}

const struct pci_function *pci_find(uint16_t vendor, uint16_t device)
{
	for (unsigned i = 0; i < pci_function_count; i++) {
		if (pci_functions[i].vendor == vendor && pci_functions[i].device == device)
			return &pci_functions[i];
	}
	return NULL;
}
