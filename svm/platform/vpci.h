/* The guest's own PCI bus: configuration mechanism #1 (PCI 3.0 §3.2.2.3.2, ports 0CF8h and
 * 0CFCh-0CFFh) showing only the VM's assigned devices (svm/vm/passthrough.h), device i at 00:i.0;
 * every other address reads all-ones. Configuration space is virtualised: IDs, class and
 * capabilities are read from the device; BARs are emulated (sizing, placement) and accesses to a
 * BAR's guest range are forwarded to the device's MMIO; the command register's memory and
 * bus-master bits are forwarded; the MSI capability is trapped and bound through the IOMMU's
 * interrupt remapping (svm/vm/intremap.h); all other writes are dropped. */
#ifndef SVM_VPCI_H
#define SVM_VPCI_H

#include "iommu/io_pgtable.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

/* The assigned devices as the guest's bus shows them; svm/vm/passthrough.c assigns them. */
#define PASSTHROUGH_MAX_DEVICES 4
#define PASSTHROUGH_BARS        6

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

struct passthrough_device;

/* How an MSI reaches a vCPU: the VM floor binds the IRTE (svm/vm/intremap.h). */
struct vpci_msi_ops {
	/* IRTE index of d's table to the vCPU whose APIC ID is dest, with vector; false if the VM
	 * has no such vCPU or the binding was refused. */
	bool (*bind)(void *owner, struct passthrough_device *d, unsigned index, uint32_t dest,
		     uint8_t vector);
	void (*unbind)(struct passthrough_device *d, unsigned index);
	/* The remappable MSI address and data that send the device's interrupt through IRTE index. */
	void (*message)(unsigned index, uint64_t *address, uint32_t *data);
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
	/* The VM floor's side of the devices' MSIs (svm/vm/passthrough.c), set at assignment. */
	const struct vpci_msi_ops *msi_ops;
	void *owner; /* the VM, handed to msi_ops->bind */
};

#define VPCI_PORT_ADDRESS 0xcf8
#define VPCI_PORT_DATA    0xcfc /* to 0xcff */

/* Port access to 0CF8h-0CFFh of the VM whose devices p holds; *value in/out. */
void vpci_io(struct passthrough *p, uint16_t port, unsigned size, bool in, uint32_t *value);
struct mmio_device;
/* A guest-physical address outside RAM: true, with the BAR's forwarding ops in *d, when it falls in
 * an assigned device's BAR (counted in p->mmio_accesses). */
bool vpci_mmio_device(struct passthrough *p, uint64_t gpa, struct mmio_device *d);

#endif
