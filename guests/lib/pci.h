/* PCI configuration space through configuration mechanism #1 (PCI 3.0 §3.2.2.3.2: address to
 * port 0CF8h, data at 0CFCh), bus 0 only, and the MSI capability (§6.8.1). */
#ifndef GUESTS_LIB_PCI_H
#define GUESTS_LIB_PCI_H

#include "kernel/types.h"

#define PCI_ADDRESS(dev, fn) (((dev) << 3) | (fn)) /* bus 0 */
#define PCI_NONE             0xffffffffu

#define PCI_REG_ID       0x00
#define PCI_REG_COMMAND  0x04
#define PCI_REG_BAR0     0x10
#define PCI_REG_CAPS     0x34
#define PCI_CMD_MEMORY   0x2
#define PCI_CMD_MASTER   0x4
#define PCI_CAP_MSI      0x05
#define PCI_MSI_ENABLE   (1u << 16)
#define PCI_MSI_64BIT    (1u << 23)

uint32_t pci_config_read(unsigned devfn, unsigned reg);
void pci_config_write(unsigned devfn, unsigned reg, uint32_t value);
/* Finds vendor:device on bus 0 (function 0 of each slot): its devfn, or -1. 'functions' gets
 * how many slots answered at all. */
int pci_find_device(uint16_t vendor, uint16_t device, unsigned *functions);
/* Offset of capability 'id', 0 if absent. */
unsigned pci_find_capability(unsigned devfn, uint8_t id);
/* Size of memory BAR 'bar' by writing all ones and reading back (restores the value). */
uint32_t pci_bar_size(unsigned devfn, unsigned bar);
/* Programs and enables MSI: physical destination APIC ID 'dest', fixed, edge, 'vector'; or, raw,
 * any address/data (for bogus values). */
void pci_msi_set(unsigned devfn, uint32_t address, uint16_t data);
void pci_msi_disable(unsigned devfn);
#define PCI_MSI_ADDRESS(dest) (0xfee00000u | ((uint32_t)(dest) << 12))

#endif
