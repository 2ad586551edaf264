/* Assigning host PCI functions to VMs: the checks, the DMA domain and the device table entry
 * (svm/vm/passthrough.h). Runs on the boot CPU before the VMs start and after they end. */
#include "svm/vm/passthrough.h"
#include "svm/vm/intremap.h"
#include "iommu/iommu.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/frame.h"
#include "kernel/paging.h"
#include "kernel/pci.h"
#include "kernel/string.h"
#include "svm/vm/vm.h"

#define PCI_HEADER_TYPE_MASK  0x7f
#define PCI_CLASS_BRIDGE      0x06   /* base class 06h: host, ISA, PCI-to-PCI, ... bridges */
#define PCI_CLASS_IOMMU       0x0806 /* base system peripheral, IOMMU */
#define PCI_COMMAND_IO        BIT(0)
#define PCI_COMMAND_INTX_OFF  BIT(10)
#define PCI_BAR_IO            BIT(0)
#define PCI_BAR_MEM_TYPE_64   (2u << 1)
#define PCI_BAR_MEM_FLAGS     0xfu
/* Guest addresses where doorbell, like firmware, places the BARs: above the largest RAM (mem=
 * allows 3 GiB) and below the IOAPIC. */
#define GUEST_BAR_WINDOW     0xe0000000ull
#define GUEST_BAR_WINDOW_END 0xfec00000ull

/* Which VM holds each assigned function; only touched on the boot CPU, before start and after
 * the end of every VM. */
static struct {
	uint16_t bdf;
	struct vm *vm;
} owners[PASSTHROUGH_MAX_DEVICES * 16];

static struct vm *owner_of(uint16_t bdf)
{
	for (unsigned i = 0; i < ARRAY_SIZE(owners); i++) {
		if (owners[i].vm && owners[i].bdf == bdf)
			return owners[i].vm;
	}
	return NULL;
}

static bool set_owner(uint16_t bdf, struct vm *vm)
{
	for (unsigned i = 0; i < ARRAY_SIZE(owners); i++) {
		if (vm ? !owners[i].vm : owners[i].bdf == bdf && owners[i].vm) {
			owners[i].bdf = bdf;
			owners[i].vm = vm;
			return true;
		}
	}
	return false;
}

static uint64_t dma_table_alloc(void)
{
	uint64_t pa = frame_alloc();
	if (pa)
		memset((void *)(uintptr_t)pa, 0, PAGE_SIZE);
	return pa;
}

static void dma_table_free(uint64_t pa)
{
	frame_free_pages(pa, 1);
}

static const struct pci_function *scanned(uint16_t bdf)
{
	for (unsigned i = 0; i < pci_function_count; i++) {
		if (pci_functions[i].bdf == bdf)
			return &pci_functions[i];
	}
	return NULL;
}

/* The size of a BAR by the standard probe (PCI 3.0 §6.2.5.1): write all ones, read back the
 * bits that stick, restore. Decoding is off while it runs. */
static uint64_t bar_probe(uint16_t bdf, unsigned i, uint32_t low, bool is64)
{
	uint16_t reg = (uint16_t)(PCI_BAR0 + 4 * i);
	pci_write32(bdf, reg, UINT32_MAX);
	uint64_t mask = pci_read32(bdf, reg) & ~(uint64_t)PCI_BAR_MEM_FLAGS;
	pci_write32(bdf, reg, low);
	if (is64) {
		uint32_t high = pci_read32(bdf, reg + 4);
		pci_write32(bdf, reg + 4, UINT32_MAX);
		mask |= (uint64_t)pci_read32(bdf, reg + 4) << 32;
		pci_write32(bdf, reg + 4, high);
	} else if (mask) {
		mask |= 0xffffffff00000000ull;
	}
	return mask ? ~mask + 1 : 0;
}

/* Reads the memory BARs (I/O BARs stay hidden from the guest: their ports are not forwarded) and
 * places them in the guest's BAR window. */
static bool bars_init(struct vm *vm, struct passthrough_device *d, char *why, size_t why_len)
{
	uint64_t next = GUEST_BAR_WINDOW;
	for (unsigned j = 0; j < vm->pci.count; j++) {
		for (unsigned i = 0; i < PASSTHROUGH_BARS; i++) {
			const struct passthrough_bar *b = &vm->pci.dev[j].bar[i];
			if (b->size && !b->upper && b->gpa + b->size > next)
				next = b->gpa + b->size;
		}
	}
	for (unsigned i = 0; i < PASSTHROUGH_BARS; i++) {
		uint32_t low = pci_read32(d->bdf, (uint16_t)(PCI_BAR0 + 4 * i));
		if (low & PCI_BAR_IO)
			continue;
		bool is64 = (low & 6) == PCI_BAR_MEM_TYPE_64 && i + 1 < PASSTHROUGH_BARS;
		uint64_t size = bar_probe(d->bdf, i, low, is64);
		struct passthrough_bar *b = &d->bar[i];
		if (size) {
			b->hpa = low & ~(uint64_t)PCI_BAR_MEM_FLAGS;
			if (is64)
				b->hpa |= (uint64_t)pci_read32(d->bdf, (uint16_t)(PCI_BAR0 + 4 * i + 4))
					  << 32;
			b->size = size;
			b->flags = low & PCI_BAR_MEM_FLAGS;
			b->gpa = ALIGN_UP(next, size);
			if (!b->hpa || b->gpa + size > GUEST_BAR_WINDOW_END) {
				format(why, why_len, "BAR %u (%lu bytes at 0x%lx) %s", i, size, b->hpa,
				       b->hpa ? "does not fit the guest's BAR window"
					      : "is not placed by the firmware");
				return false;
			}
			next = b->gpa + size;
			if (!paging_lookup(b->hpa) || !paging_lookup(b->hpa + size - 1))
				paging_map_mmio(b->hpa, size);
		}
		if (is64) {
			d->bar[i + 1].upper = true;
			i++;
		}
	}
	return true;
}

static bool check_assignable(struct vm *vm, uint16_t bdf, char *why, size_t why_len)
{
	if (!iommu_present()) {
		format(why, why_len,
		       "no AMD IOMMU, so the device's DMA could reach all memory; turn the IOMMU on "
		       "(firmware setup; QEMU: -machine q35 -device amd-iommu,intremap=on before the "
		       "device) or remove pci=");
		return false;
	}
	const struct pci_function *f = scanned(bdf);
	if (!f) {
		format(why, why_len, "no PCI function " PCI_BDF_FMT " (see the 'pci:' lines of the boot)",
		       PCI_BDF_ARGS(bdf));
		return false;
	}
	uint8_t header = (uint8_t)(pci_read32(bdf, PCI_HEADER_TYPE & ~3u) >> 16) & PCI_HEADER_TYPE_MASK;
	if (f->class_code >> 16 == PCI_CLASS_BRIDGE || header != 0) {
		format(why, why_len, PCI_BDF_FMT " is a bridge (class %04x): only endpoints can be assigned",
		       PCI_BDF_ARGS(bdf), f->class_code >> 8);
		return false;
	}
	if (f->class_code >> 8 == PCI_CLASS_IOMMU) {
		format(why, why_len, PCI_BDF_FMT " is the IOMMU", PCI_BDF_ARGS(bdf));
		return false;
	}
	/* an IOMMU that was not enabled, or a device firmware keeps DMA for (IVMD) */
	if (!iommu_device_isolated(bdf, why, why_len))
		return false;
	struct vm *owner = owner_of(bdf);
	if (owner) {
		format(why, why_len, PCI_BDF_FMT " is already assigned to VM %s", PCI_BDF_ARGS(bdf),
		       owner->name);
		return false;
	}
	if (vm->pci.count == PASSTHROUGH_MAX_DEVICES) {
		format(why, why_len, "at most %u devices per VM", PASSTHROUGH_MAX_DEVICES);
		return false;
	}
	return true;
}

/* The VM's DMA domain: an I/O page table mapping exactly its RAM at its guest-physical
 * addresses. */
static bool dma_domain_init(struct vm *vm, char *why, size_t why_len)
{
	struct passthrough *p = &vm->pci;
	if (p->dma.root)
		return true;
	p->dma.alloc = dma_table_alloc;
	p->dma.free = dma_table_free;
	p->domain_id = (uint16_t)(vm->id + 1); /* domain 0 is the blocked entries' */
	if (!io_pgtable_init(&p->dma) ||
	    !io_pgtable_map(&p->dma, 0, vm->ram_hpa, vm->mem_size, true, true)) {
		format(why, why_len, "out of memory for the I/O page table");
		return false;
	}
	return true;
}

/* The VM side of an assigned device's MSI (struct vpci_msi_ops): the IRTE binding to the vCPU the
 * guest named. */
static bool msi_bind(void *owner, struct passthrough_device *d, unsigned index, uint32_t dest,
		     uint8_t vector)
{
	struct vm *vm = owner;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (vapic_id(&vm->vcpu[i]->vapic) == dest)
			return intremap_bind(d->intremap, index, vm->vcpu[i], vector);
	}
	return false; /* no vCPU has that APIC ID */
}

static void msi_unbind(struct passthrough_device *d, unsigned index)
{
	intremap_unbind(d->intremap, index);
}

static void msi_message(unsigned index, uint64_t *address, uint32_t *data)
{
	struct intremap_msi m = intremap_msi(index);
	*address = m.address;
	*data = m.data;
}

static const struct vpci_msi_ops msi_ops = {msi_bind, msi_unbind, msi_message};

bool passthrough_assign(struct vm *vm, uint16_t bdf, char *why, size_t why_len)
{
	if (!check_assignable(vm, bdf, why, why_len) || !dma_domain_init(vm, why, why_len))
		return false;
	struct passthrough_device *d = &vm->pci.dev[vm->pci.count];
	memset(d, 0, sizeof(*d));
	d->bdf = bdf;
	/* quiet until the guest enables it: no decoding, no bus mastering, no INTx, no MSI */
	pci_write32(bdf, PCI_COMMAND, PCI_COMMAND_INTX_OFF);
	d->msi_cap = pci_find_capability(bdf, PCI_CAP_ID_MSI);
	if (d->msi_cap) {
		uint32_t header = pci_read32(bdf, d->msi_cap);
		pci_write32(bdf, d->msi_cap, header & ~(uint32_t)PCI_MSI_CONTROL_ENABLE);
		d->msi.control = (uint16_t)((header & PCI_MSI_CONTROL_64BIT) >> 16);
	}
	if (!bars_init(vm, d, why, why_len))
		return false;
	struct dte e = dte_with_domain(
	    dte_with_page_table(iommu_dte(bdf), vm->pci.dma.root, IO_PGTABLE_LEVELS, true, true),
	    vm->pci.domain_id);
	if (!iommu_set_dte(bdf, e)) {
		format(why, why_len, "the IOMMU did not take the device table entry");
		iommu_set_dte(bdf, dte_blocked());
		return false;
	}
	/* its interrupts go through a table of its own, every entry invalid until the guest
	 * enables MSI (svm/platform/vpci_msi.c) */
	if (d->msi_cap && !(d->intremap = intremap_table_create(vm, bdf))) {
		format(why, why_len, "no interrupt remapping table (see the message above)");
		iommu_set_dte(bdf, dte_blocked());
		return false;
	}
	if (!set_owner(bdf, vm)) {
		format(why, why_len, "too many devices assigned");
		iommu_set_dte(bdf, dte_blocked());
		return false;
	}
	vm->pci.msi_ops = &msi_ops;
	vm->pci.owner = vm;
	vm->pci.count++;
	printk("vm %s: " PCI_BDF_FMT " %04x:%04x assigned as guest 00:%02x.0: DMA to guest-physical "
	       "[0, 0x%lx) only (domain %u, %lu page table pages), interrupts blocked until the guest "
	       "enables MSI\n",
	       vm->name, PCI_BDF_ARGS(bdf), pci_read16(bdf, PCI_VENDOR_ID),
	       pci_read16(bdf, PCI_DEVICE_ID), vm->pci.count - 1, vm->mem_size, vm->pci.domain_id,
	       vm->pci.dma.pages);
	for (unsigned i = 0; i < PASSTHROUGH_BARS; i++) {
		const struct passthrough_bar *b = &d->bar[i];
		if (b->size && !b->upper)
			printk("vm %s: " PCI_BDF_FMT " BAR %u: host 0x%lx, guest 0x%lx, %lu KiB "
			       "(accesses forwarded)\n",
			       vm->name, PCI_BDF_ARGS(bdf), i, b->hpa, b->gpa, b->size >> 10);
	}
	return true;
}

void passthrough_release(struct vm *vm)
{
	struct passthrough *p = &vm->pci;
	for (unsigned i = 0; i < p->count; i++) {
		uint16_t bdf = p->dev[i].bdf;
		pci_write32(bdf, PCI_COMMAND, PCI_COMMAND_INTX_OFF);
		if (p->dev[i].msi_cap)
			pci_write32(bdf, p->dev[i].msi_cap,
				    pci_read32(bdf, p->dev[i].msi_cap) &
					~(uint32_t)PCI_MSI_CONTROL_ENABLE);
		struct dte e = dte_blocked();
		if (!iommu_set_dte(bdf, e) || !dte_dma_blocked(iommu_dte(bdf)))
			pr_err("vm %s: " PCI_BDF_FMT ": the IOMMU did not confirm the blocked entry\n",
			       vm->name, PCI_BDF_ARGS(bdf));
		else
			printk("vm %s: " PCI_BDF_FMT " released: DMA blocked, interrupts blocked\n",
			       vm->name, PCI_BDF_ARGS(bdf));
		set_owner(bdf, NULL);
	}
	if (p->count)
		printk("vm %s: passthrough: %lu configuration accesses, %lu BAR accesses forwarded, "
		       "%lu MSI programmings (%lu refused: bound to nothing)\n",
		       vm->name, p->config_accesses, p->mmio_accesses, p->msi_updates,
		       p->msi_refused);
	p->count = 0;
	if (p->dma.root)
		io_pgtable_destroy(&p->dma);
}
