/* The MSI capability of an assigned device as its guest sees it (PCI 3.0 §6.8.1), trapped: the
 * guest's address and data are kept here and never reach the device. The device's real MSI
 * carries the remappable address/data of its IRTE (svm/vm/intremap.h), bound to the vCPU and
 * vector the guest asked for when they are valid. One message per device (Multiple Message
 * Capable reads 0); per-vector masking is not shown. */
#ifndef SVM_VPCI_MSI_H
#define SVM_VPCI_MSI_H

#include "kernel/types.h"

struct passthrough;
struct passthrough_device;

/* Whether configuration register 'reg' (dword aligned) is in the device's MSI capability. */
bool vpci_msi_holds(const struct passthrough_device *d, unsigned reg);
uint32_t vpci_msi_read(const struct passthrough_device *d, unsigned reg);
/* A guest write of the whole dword 'reg'; (re)binds the interrupt when the guest's MSI is or was
 * enabled and something changed. */
void vpci_msi_write(struct passthrough *p, struct passthrough_device *d, unsigned reg,
		    uint32_t value);

#endif
