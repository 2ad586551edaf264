/* PCI passthrough: host PCI functions assigned to a VM with the VM option pci=BB:DD.F. The
 * device's DMA is confined by the IOMMU to the VM's RAM (an I/O page table per VM mapping
 * guest-physical [0, mem_size) to the VM's host range, its own domain ID); the guest sees the
 * device on its own virtual PCI bus (svm/platform/vpci.h). Assignment happens before the VM starts and is
 * undone by vm_destroy(). */
#ifndef SVM_PASSTHROUGH_H
#define SVM_PASSTHROUGH_H

#include "iommu/io_pgtable.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

#define PASSTHROUGH_MAX_DEVICES 4
#define PASSTHROUGH_BARS        6

struct vm;
struct intremap_table;

struct passthrough_bar {
	uint64_t hpa;  /* host address of a memory BAR; 0: absent, or an I/O BAR (hidden) */
	uint64_t size; /* bytes, a power of two */
	uint64_t gpa;  /* where the guest sees it; accesses there are forwarded to hpa */
	uint32_t flags; /* the BAR's low bits: type (64-bit) and prefetchable */
	bool upper;     /* the high half of the 64-bit BAR before it */
};

/* The guest's MSI capability (PCI 3.0 §6.8.1), as the guest wrote it. */
struct passthrough_msi {
	uint16_t control; /* Message Control: enable bit 0, 64-bit capable bit 7 */
	uint32_t address_lo, address_hi;
	uint16_t data;
};

struct passthrough_device {
	uint16_t bdf;    /* host requester ID */
	uint8_t msi_cap; /* offset of the MSI capability, 0 = none */
	uint16_t command; /* the guest's command register */
	uint8_t interrupt_line;
	struct passthrough_bar bar[PASSTHROUGH_BARS];
	struct passthrough_msi msi;
	struct intremap_table *intremap; /* its interrupt remapping table, NULL without MSI */
};

struct passthrough {
	struct spinlock lock; /* configuration accesses of the guest */
	unsigned count;
	struct passthrough_device dev[PASSTHROUGH_MAX_DEVICES]; /* dev[i] is guest 00:i.0 */
	struct io_pgtable dma; /* shared by the VM's devices; root 0 until the first assignment */
	uint16_t domain_id;
	uint32_t config_address; /* the guest's last write to port 0CF8h */
	/* counters: guest configuration and BAR accesses, MSI (re)programmings, and those with a
	 * target or vector refused (bound to nothing: the IOMMU drops them) */
	uint64_t config_accesses, mmio_accesses, msi_updates, msi_refused;
};

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
