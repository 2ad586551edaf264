/* PCI passthrough: host PCI functions assigned to a VM with the VM option pci=BB:DD.F. The
 * device's DMA is confined by the IOMMU to the VM's RAM (an I/O page table per VM mapping
 * guest-physical [0, mem_size) to the VM's host range, its own domain ID); the guest sees the
 * device on its own virtual PCI bus (svm/platform/vpci.h). Assignment happens before the VM starts and is
 * undone by vm_destroy(). */
#ifndef SVM_PASSTHROUGH_H
#define SVM_PASSTHROUGH_H

#include "kernel/types.h"
#include "svm/platform/vpci.h"

struct vm;

/* Assigns host function 'bdf' to 'vm' (not yet started): checks it may be assigned (an IOMMU is
 * present, the function exists, is no bridge and not the IOMMU, and no other VM has it), builds
 * the VM's I/O page table on the first assignment, points the device's table entry at it with
 * DMA read and write allowed (interrupts stay blocked until the guest enables MSI) and places its
 * memory BARs at guest addresses. False with the reason in 'why' (nothing assigned then). */
bool passthrough_assign(struct vm *vm, uint16_t bdf, char *why, size_t why_len);
/* Blocks every assigned device again (DMA and interrupts, bus mastering off), frees the I/O page
 * table. Called by vm_destroy() before the VM's RAM is freed. */
void passthrough_release(struct vm *vm);

#endif
