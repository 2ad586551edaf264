/* PCI configuration space (PCI Local Bus 3.0 §6; PCI Express 5.0 §7.2.2 for ECAM) and a bus scan
 * that lists the functions present. ECAM through the ACPI MCFG table when there is one, else
 * configuration mechanism #1 (ports 0CF8h/0CFCh, first 256 bytes of segment 0 only). */
#ifndef KERNEL_PCI_H
#define KERNEL_PCI_H

#include "kernel/types.h"

struct acpi_info;

/* A function's address as the IOMMU sees it (its requester / device ID): bus 15:8, device 7:3,
 * function 2:0. Printed as bus:device.function. */
#define PCI_BDF(bus, dev, fn) ((uint16_t)(((bus) << 8) | ((dev) << 3) | (fn)))
#define PCI_BDF_BUS(bdf)      (((bdf) >> 8) & 0xff)
#define PCI_BDF_DEV(bdf)      (((bdf) >> 3) & 0x1f)
#define PCI_BDF_FN(bdf)       ((bdf)&7)
#define PCI_BDF_FMT           "%02x:%02x.%x"
#define PCI_BDF_ARGS(bdf)     PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf)

/* Configuration header registers (type 0 and 1). */
#define PCI_VENDOR_ID             0x00
#define PCI_DEVICE_ID             0x02
#define PCI_COMMAND               0x04
#define PCI_STATUS                0x06
#define PCI_CLASS_REVISION        0x08 /* class code 31:8, revision 7:0 */
#define PCI_HEADER_TYPE           0x0e
#define PCI_BAR0                  0x10
#define PCI_CAPABILITY_LIST       0x34
#define PCI_COMMAND_MEMORY        BIT(1)
#define PCI_COMMAND_MASTER        BIT(2)
#define PCI_STATUS_CAP_LIST       BIT(4)
#define PCI_HEADER_MULTI_FUNCTION 0x80
#define PCI_VENDOR_NONE           0xffff
#define PCI_CAP_ID_MSI            0x05

/* MSI capability (PCI 3.0 §6.8.1): control in the upper half of the first dword. */
#define PCI_MSI_CONTROL_ENABLE BIT(16)
#define PCI_MSI_CONTROL_64BIT  BIT(23)
#define PCI_MSI_ADDRESS_LO     0x04
#define PCI_MSI_ADDRESS_HI     0x08

#define PCI_MAX_FUNCTIONS 64

struct pci_function {
	uint16_t bdf;
	uint16_t vendor, device;
	uint32_t class_code; /* base class 23:16, subclass 15:8, programming interface 7:0 */
};

/* Chooses ECAM (segment 0 entry of the MCFG) or ports; call once before the others. */
void pci_init(const struct acpi_info *acpi);

uint32_t pci_read32(uint16_t bdf, uint16_t offset);
void pci_write32(uint16_t bdf, uint16_t offset, uint32_t value);
uint16_t pci_read16(uint16_t bdf, uint16_t offset);

/* The offset of the first capability with ID 'id', or 0. */
uint8_t pci_find_capability(uint16_t bdf, uint8_t id);

/* Programs the function's MSI capability with one message (address, data; single vector) and
 * enables it. False if the function has no MSI capability. */
bool pci_msi_enable(uint16_t bdf, uint64_t address, uint32_t data);

/* Walks every bus of segment 0 (by brute force over buses 0-255, as bridges may be unconfigured)
 * and records up to PCI_MAX_FUNCTIONS functions; prints one line each when 'print'. */
void pci_scan(bool print);
extern struct pci_function pci_functions[PCI_MAX_FUNCTIONS];
extern unsigned pci_function_count;

/* The first scanned function with this vendor and device ID, or NULL. */
const struct pci_function *pci_find(uint16_t vendor, uint16_t device);

#endif
