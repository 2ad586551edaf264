/* The guest's own PCI bus: configuration mechanism #1 (PCI 3.0 §3.2.2.3.2, ports 0CF8h and
 * 0CFCh-0CFFh) showing only the VM's assigned devices (svm/vm/passthrough.h), device i at 00:i.0;
 * every other address reads all-ones. Configuration space is virtualised: IDs, class and
 * capabilities are read from the device; BARs are emulated (sizing, placement) and accesses to a
 * BAR's guest range are forwarded to the device's MMIO; the command register's memory and
 * bus-master bits are forwarded; the MSI capability is trapped and bound through the IOMMU's
 * interrupt remapping (svm/vm/intremap.h); all other writes are dropped. */
#ifndef SVM_VPCI_H
#define SVM_VPCI_H

#include "kernel/types.h"

struct vcpu;

#define VPCI_PORT_ADDRESS 0xcf8
#define VPCI_PORT_DATA    0xcfc /* to 0xcff */

/* Port access to 0CF8h-0CFFh; *value in/out. */
void vpci_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value);
struct vm;
struct mmio_device;
/* A guest-physical address outside RAM: true, with the BAR's forwarding ops in *d, when it falls in
 * an assigned device's BAR (counted in the VM's pci.mmio_accesses). */
bool vpci_mmio_device(struct vm *vm, uint64_t gpa, struct mmio_device *d);

#endif
