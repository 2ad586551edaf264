/* Interrupt remapping tables of assigned devices, bindings of their entries to vCPUs, the GA log
 * wake-up and the host vectors of the GA-off path (svm/vm/intremap.h). */
#include "svm/vm/intremap.h"
#include "avic/vlapic/vapic.h"
#include "iommu/dte.h"
#include "iommu/iommu.h"
#include "iommu/irte.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/trap.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"

#define MSI_ADDRESS_BASE 0xfee00000u
/* Host vectors for remapped (GA off) device interrupts: below the hypervisor's own (0xec+). */
#define HOST_VECTOR_FIRST 0x40
#define HOST_VECTOR_END   0xe0
#define TAG_VMS           0x10000 /* the VM id field of a GA tag */

struct intremap_entry {
	struct vcpu *target; /* NULL: unbound (the IRTE is invalid) */
	uint8_t guest_vector;
	uint8_t host_vector; /* GA off: the host vector the IRTE sends, 0 if none */
};

struct intremap_table {
	struct vm *vm;
	struct intremap_table *next; /* the VM's tables */
	uint16_t device_id;
	uint64_t irt; /* one page: struct irte[256] with GA on, uint32_t[256] with GA off */
	struct intremap_entry entry[INTREMAP_ENTRIES];
};

#define TABLE_PAGES (ALIGN_UP(sizeof(struct intremap_table), PAGE_SIZE) / PAGE_SIZE)

static struct spinlock lock; /* tables, bindings, host vectors; never taken by load/put */
/* Read by interrupt handlers without the lock; cleared (then handlers_active waited for) before
 * anything they point to is freed. */
static struct intremap_entry *volatile host_vector_entry[256];
static struct vm *volatile tag_vm[TAG_VMS];
static volatile uint32_t handlers_active;
static volatile uint32_t bogus_tags;

struct intremap_msi intremap_msi(unsigned index)
{
	struct intremap_msi m = {MSI_ADDRESS_BASE, index & (INTREMAP_ENTRIES - 1)};
	return m;
}

static struct irte *irte_at(struct intremap_table *t, unsigned index)
{
	return (struct irte *)(uintptr_t)t->irt + index;
}

static volatile uint32_t *irte32_at(struct intremap_table *t, unsigned index)
{
	return (volatile uint32_t *)(uintptr_t)t->irt + index;
}

struct intremap_table *intremap_table_create(struct vm *vm, uint16_t device_id)
{
	if (!iommu_present()) {
		pr_err("intremap: device %04x: no IOMMU, its interrupts cannot be remapped\n",
		       device_id);
		return NULL;
	}
	if (vm->id >= TAG_VMS)
		return NULL;
	struct intremap_table *t =
	    (struct intremap_table *)(uintptr_t)frame_alloc_pages(TABLE_PAGES, 0, 0);
	uint64_t irt = frame_alloc();
	if (!t || !irt) {
		pr_err("intremap: device %04x: out of memory for its interrupt table\n", device_id);
		if (t)
			frame_free_pages((uintptr_t)t, TABLE_PAGES);
		if (irt)
			frame_free_pages(irt, 1);
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	memset((void *)(uintptr_t)irt, 0, PAGE_SIZE); /* RemapEn = 0: target abort */
	t->vm = vm;
	t->device_id = device_id;
	t->irt = irt;
	struct dte d = dte_with_interrupt_table(iommu_dte(device_id), irt, INTREMAP_LEN_LOG2);
	if (!iommu_set_dte(device_id, d)) {
		pr_err("intremap: device %04x: the IOMMU did not take its interrupt table\n",
		       device_id);
		frame_free_pages(irt, 1);
		frame_free_pages((uintptr_t)t, TABLE_PAGES);
		return NULL;
	}
	spin_lock(&lock);
	t->next = vm->intremap;
	vm->intremap = t;
	__atomic_store_n(&tag_vm[vm->id], vm, __ATOMIC_SEQ_CST);
	spin_unlock(&lock);
	return t;
}

/* Takes entry 'index' out of service: out of its vCPU's slots, its host vector released, the
 * IRTE invalid. The caller invalidates. Lock held. */
static void unbind_locked(struct intremap_table *t, unsigned index)
{
	struct intremap_entry *e = &t->entry[index];
	if (!e->target)
		return;
	if (iommu_ga_enabled()) {
		intremap_vcpu_remove(&e->target->intremap, irte_at(t, index));
		irte_store(irte_at(t, index), (struct irte){0, 0});
	} else {
		__atomic_store_n(irte32_at(t, index), 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&host_vector_entry[e->host_vector], NULL, __ATOMIC_SEQ_CST);
		e->host_vector = 0;
	}
	e->target = NULL;
}

static uint8_t host_vector_alloc(struct intremap_entry *e)
{
	for (unsigned v = HOST_VECTOR_FIRST; v < HOST_VECTOR_END; v++) {
		if (!host_vector_entry[v]) {
			__atomic_store_n(&host_vector_entry[v], e, __ATOMIC_SEQ_CST);
			return (uint8_t)v;
		}
	}
	return 0;
}

/* GA on: a guest-mode entry, not running (IsRun=0, GALogIntr=1) until the target's next
 * vcpu_load() sets Destination and IsRun: until then a posted interrupt is logged and the GA
 * log handler kicks the target, which reaches it wherever it runs. A target loaded on this very
 * CPU (binding from its own exit) is marked running here at once: only its own CPU writes those
 * fields, and its vcpu_put() will clear them. */
static bool bind_guest_locked(struct intremap_table *t, unsigned index, struct vcpu *target)
{
	struct intremap_entry *e = &t->entry[index];
	target->intremap.tag = intremap_tag(t->vm->id, target->index);
	if (!intremap_vcpu_add(&target->intremap, irte_at(t, index))) {
		pr_err("intremap: vm %s vcpu %u: more than %u device interrupts\n", t->vm->name,
		       target->index, INTREMAP_VCPU_SLOTS);
		return false;
	}
	irte_store(irte_at(t, index), irte_guest(e->guest_vector, (uintptr_t)target->vapic.page,
	                                         target->intremap.tag));
	if (this_cpu()->current == target)
		target->stats.event[EVENT_IRTE_SCHED_IN] += irte_update_vcpu_tagged(
		    irte_at(t, index), target->intremap.tag, this_cpu()->apic_id, false);
	return true;
}

/* GA off: a remapped entry to a host vector on the target's home CPU. */
static bool bind_remapped_locked(struct intremap_table *t, unsigned index, struct vcpu *target)
{
	struct intremap_entry *e = &t->entry[index];
	e->host_vector = host_vector_alloc(e);
	if (!e->host_vector) {
		pr_err("intremap: no free host vector for device %04x entry %u\n", t->device_id,
		       index);
		return false;
	}
	uint32_t dest = percpu_by_index[target->sched.home_cpu]->apic_id, irte;
	if (!irte32_remapped_to(e->host_vector, dest, &irte)) {
		pr_err("intremap: device %04x entry %u: host APIC ID %u does not fit the IRTE's 8-bit "
		       "destination (IOMMU XT mode is not implemented): not bound\n",
		       t->device_id, index, dest);
		__atomic_store_n(&host_vector_entry[e->host_vector], NULL, __ATOMIC_SEQ_CST);
		e->host_vector = 0;
		return false;
	}
	__atomic_store_n(irte32_at(t, index), irte, __ATOMIC_SEQ_CST);
	return true;
}

bool intremap_bind(struct intremap_table *t, unsigned index, struct vcpu *target,
                   uint8_t guest_vector)
{
	if (index >= INTREMAP_ENTRIES || guest_vector < 16 || !target || target->vm != t->vm) {
		pr_err("intremap: device %04x: refusing entry %u, vector %u, target of another "
		       "VM or none\n",
		       t->device_id, index, guest_vector);
		return false;
	}
	spin_lock(&lock);
	unbind_locked(t, index);
	struct intremap_entry *e = &t->entry[index];
	e->guest_vector = guest_vector;
	e->target = target;
	bool ok = iommu_ga_enabled() ? bind_guest_locked(t, index, target)
	                             : bind_remapped_locked(t, index, target);
	if (!ok)
		e->target = NULL;
	spin_unlock(&lock);
	/* mode, vector and root are cached by the IOMMU: the new entry counts only after this */
	return iommu_invalidate_interrupt_table(t->device_id) && ok;
}

void intremap_unbind(struct intremap_table *t, unsigned index)
{
	if (index >= INTREMAP_ENTRIES)
		return;
	spin_lock(&lock);
	unbind_locked(t, index);
	spin_unlock(&lock);
	iommu_invalidate_interrupt_table(t->device_id);
}

void intremap_vm_destroy(struct vm *vm)
{
	spin_lock(&lock);
	struct intremap_table *tables = vm->intremap;
	vm->intremap = NULL;
	if (vm->id < TAG_VMS)
		__atomic_store_n(&tag_vm[vm->id], NULL, __ATOMIC_SEQ_CST);
	for (struct intremap_table *t = tables; t; t = t->next) {
		for (unsigned i = 0; i < INTREMAP_ENTRIES; i++)
			unbind_locked(t, i);
	}
	spin_unlock(&lock);
	while (tables) {
		struct intremap_table *t = tables;
		tables = t->next;
		struct dte d = iommu_dte(t->device_id);
		d.q[2] = dte_blocked().q[2]; /* interrupts aborted again */
		iommu_set_dte(t->device_id, d);
		frame_free_pages(t->irt, 1);
		frame_free_pages((uintptr_t)t, TABLE_PAGES);
	}
	/* a handler that found this VM's entry or tag before they were cleared is done with it
	 * once the count drops (each side stores, then loads the other's word: seq_cst) */
	while (__atomic_load_n(&handlers_active, __ATOMIC_SEQ_CST))
		cpu_relax();
}

/* ---- interrupts ------------------------------------------------------------------------------ */

/* A device interrupt remapped to a host vector (GA off): post the guest vector into the target
 * with the normal delivery protocol (IRR, then reach it wherever it runs or wake it). */
static void remapped_irq(struct trap_frame *f)
{
	__atomic_add_fetch(&handlers_active, 1, __ATOMIC_SEQ_CST);
	struct intremap_entry *e =
	    __atomic_load_n(&host_vector_entry[f->vector & 0xff], __ATOMIC_SEQ_CST);
	struct vcpu *v = e ? e->target : NULL;
	if (v) {
		__atomic_add_fetch(&v->stats.event[EVENT_IRQ_REMAPPED], 1, __ATOMIC_RELAXED);
		if (vapic_deliver_fixed(&v->vapic, e->guest_vector, false))
			vcpu_kick(v);
	}
	__atomic_sub_fetch(&handlers_active, 1, __ATOMIC_SEQ_CST);
}

/* A GA log entry: an interrupt was posted into the IRR of a vCPU whose IRTE said not running
 * with GALogIntr. vcpu_kick() is the second half of a post (the IRR is already set): it wakes the
 * vCPU if it is blocked, rings the CPU it runs on if it was loaded meanwhile. */
void intremap_ga_log_entry(uint32_t tag, uint16_t device_id)
{
	__atomic_add_fetch(&handlers_active, 1, __ATOMIC_SEQ_CST);
	unsigned vm_id, index;
	struct vm *vm = NULL;
	if (intremap_tag_decode(tag, &vm_id, &index) && vm_id < TAG_VMS)
		vm = __atomic_load_n(&tag_vm[vm_id], __ATOMIC_SEQ_CST);
	struct vcpu *v = vm && index < vm->vcpu_count ? vm->vcpu[index] : NULL;
	if (v) {
		__atomic_add_fetch(&v->stats.event[EVENT_GA_LOG_WAKE], 1, __ATOMIC_RELAXED);
		trace_record(v->trace, TRACE_GA_LOG, device_id, tag, 0);
		vcpu_kick(v);
	} else {
		__atomic_add_fetch(&bogus_tags, 1, __ATOMIC_RELAXED);
	}
	__atomic_sub_fetch(&handlers_active, 1, __ATOMIC_SEQ_CST);
}

unsigned intremap_bogus_tags(void)
{
	return __atomic_load_n(&bogus_tags, __ATOMIC_RELAXED);
}

void intremap_init(void)
{
	iommu_set_ga_log_handler(intremap_ga_log_entry);
	for (unsigned v = HOST_VECTOR_FIRST; v < HOST_VECTOR_END; v++)
		trap_set_handler((uint8_t)v, remapped_irq);
}
