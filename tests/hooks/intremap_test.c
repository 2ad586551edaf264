/* Test only: a guest counts edu interrupts remapped to one of its vCPUs (tests/hooks/intremap_test.h). */
#include "tests/hooks/intremap_test.h"
#include "tests/hooks/edu.h"
#include "svm/vm/intremap.h"
#include "iommu/iommu.h"
#include "iommu/irte.h"
#include "kernel/config.h"
#include "kernel/console.h"
#include "kernel/pci.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "svm/cpu/hypercall.h"
#include "svm/vm/vm.h"

#define EDU_IRQ_STATUS_BIT 1u
#define EDU_MSI_INDEX      0 /* edu has one MSI: entry 0 of its table */

static struct vm *bound_vm; /* the VM whose table 'table' is (one VM per test run) */
static struct intremap_table *table;
static struct vcpu *target;
static uint64_t edu_bar;

static long bind(struct vcpu *v, uint64_t index, uint64_t vector)
{
	const struct pci_function *edu = pci_find(EDU_VENDOR, EDU_DEVICE);
	if (!edu || index >= v->vm->vcpu_count || vector > 0xff)
		return HC_E_INVAL;
	if (bound_vm != v->vm) {
		table = intremap_table_create(v->vm, edu->bdf);
		if (!table)
			return HC_E_INVAL;
		bound_vm = v->vm;
	}
	/* GA log entries that name no vCPU of a live VM: no magic, a VM without tables, a vCPU
	 * index past this VM's: each must be counted and ignored (HC_DEVICE_IRQ_BOGUS_TAGS) */
	intremap_ga_log_entry(0x00000001u, edu->bdf);
	intremap_ga_log_entry(intremap_tag(0xfff0, 0), edu->bdf);
	intremap_ga_log_entry(intremap_tag(v->vm->id, VM_MAX_VCPUS - 1), edu->bdf);
	struct vcpu *t = v->vm->vcpu[index];
	if (!intremap_bind(table, EDU_MSI_INDEX, t, (uint8_t)vector))
		return HC_E_INVAL;
	struct intremap_msi m = intremap_msi(EDU_MSI_INDEX);
	if (!pci_msi_enable(edu->bdf, m.address, m.data))
		return HC_E_INVAL;
	pci_write32(edu->bdf, PCI_COMMAND,
	            pci_read32(edu->bdf, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	edu_bar = pci_read32(edu->bdf, PCI_BAR0) & ~0xfull;
	target = t;
	return HC_OK;
}

void intremap_test_bench(void)
{
	if (strcmp(kernel_config.iommu_test, "irte-bench"))
		return;
	static struct irte entry;
	uint32_t tag = intremap_tag(0, 0);
	entry = irte_guest(0x61, PAGE_SIZE, tag);
	unsigned ok = 0;
	uint64_t start = rdtsc();
	for (unsigned i = 0; i < INTREMAP_BENCH_UPDATES; i += 2) {
		ok += irte_update_vcpu_tagged(&entry, tag, 1, false);
		ok += irte_update_vcpu_tagged(&entry, tag, -1, true);
	}
	uint64_t cycles = rdtsc() - start;
	if (ok != INTREMAP_BENCH_UPDATES) {
		pr_err("intremap-test: %u of %u IRTE updates done\n", ok, INTREMAP_BENCH_UPDATES);
		return;
	}
	printk("bench: irte_update %lu cycles\n", cycles / INTREMAP_BENCH_UPDATES);
}

static void edu_write32(unsigned reg, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(edu_bar + reg) = value;
}

long intremap_test_hypercall(struct vcpu *v, uint64_t op, uint64_t a, uint64_t b)
{
	if (strcmp(kernel_config.iommu_test, "edu-irq"))
		return HC_E_NOSYS;
	if (op == HC_DEVICE_IRQ_BIND)
		return bind(v, a, b);
	if (!target || bound_vm != v->vm)
		return HC_E_INVAL;
	switch (op) {
	case HC_DEVICE_IRQ_RAISE:
		/* edu sends one MSI per raise; the status bit is only cleared again */
		edu_write32(EDU_IRQ_RAISE, EDU_IRQ_STATUS_BIT);
		edu_write32(EDU_IRQ_ACK, EDU_IRQ_STATUS_BIT);
		return HC_OK;
	case HC_DEVICE_IRQ_COUNTER: {
		static const enum exit_event events[HC_DEVICE_IRQ_COUNTERS] = {
		    [HC_DEVICE_IRQ_IRTE_SCHED_IN] = EVENT_IRTE_SCHED_IN,
		    [HC_DEVICE_IRQ_IRTE_SCHED_OUT] = EVENT_IRTE_SCHED_OUT,
		    [HC_DEVICE_IRQ_GA_LOG_WAKE] = EVENT_GA_LOG_WAKE,
		    [HC_DEVICE_IRQ_IRQ_REMAPPED] = EVENT_IRQ_REMAPPED};
		if (a == HC_DEVICE_IRQ_GUEST_MODE)
			return iommu_ga_enabled();
		if (a == HC_DEVICE_IRQ_BOGUS_TAGS)
			return intremap_bogus_tags();
		if (a >= HC_DEVICE_IRQ_COUNTERS)
			return HC_E_INVAL;
		return (long)__atomic_load_n(&target->stats.event[events[a]], __ATOMIC_RELAXED);
	}
	default:
		return HC_E_NOSYS;
	}
}
