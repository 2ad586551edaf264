#include "avic/avic.h"
#include "avic/vlapic/apic_regs.h"
#include "avic/vlapic/apic_route.h"
#include "avic/avic_table.h"
#include "avic/vlapic/vapic.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "svm/cpu/cpuid.h"
#include "svm/svm.h"
#include "svm/npt.h"
#include "svm/vmcb.h"

enum avic_policy avic_policy = AVIC_POLICY_SOFT;

bool avic_choose_policy(const char *requested)
{
	enum avic_policy_request req = AVIC_POLICY_REQUEST_AUTO;
	if (requested[0] && !avic_policy_parse(requested, &req)) {
		pr_err("avic: policy=%s: expected auto, errata, standard or soft\n", requested);
		return false;
	}
	struct cpuid_regs r = cpuid(1, 0);
	unsigned family = (r.eax >> 8) & 0xf, model = (r.eax >> 4) & 0xf;
	if (family == 0xf) {
		family += (r.eax >> 20) & 0xff;
		model |= ((r.eax >> 16) & 0xf) << 4;
	}
	const char *reason = NULL, *error = NULL;
	enum avic_policy p = avic_policy_choose(req, family, model, svm_features.avic, &reason,
						&error);
	uint32_t max_id = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (percpu_by_index[i] && percpu_by_index[i]->apic_id > max_id)
			max_id = percpu_by_index[i]->apic_id;
	}
	if (!error)
		p = avic_policy_for_apic_ids(p, req, max_id, &reason, &error);
	if (max_id > AVIC_MAX_HOST_APIC_ID)
		printk("avic: highest host APIC ID %u\n", max_id);
	if (error) {
		pr_err("avic: %s\n", error);
		return false;
	}
	avic_policy = p;
	printk("avic: policy %s (CPU family %xh model %xh, AVIC %s): %s\n", avic_policy_name(p),
	       family, model, svm_features.avic ? "present" : "absent", reason);
	return true;
}

static uint64_t *avic_physical_table(const struct avic_vm *a)
{
	return (uint64_t *)(uintptr_t)a->physical_table;
}

static uint32_t *avic_logical_table(const struct avic_vm *a)
{
	return (uint32_t *)(uintptr_t)a->logical_table;
}

bool avic_vm_init(struct avic_vm *a, struct npt *npt, unsigned max_vcpus)
{
	a->max_index = max_vcpus - 1;
	if (!avic_enabled())
		return true;
	a->physical_table = frame_alloc();
	a->logical_table = frame_alloc();
	a->apic_access_page = frame_alloc();
	if (!a->physical_table || !a->logical_table || !a->apic_access_page)
		return false;
	memset(avic_physical_table(a), 0, PAGE_SIZE);
	memset(avic_logical_table(a), 0, PAGE_SIZE);
	/* All ones: what a vCPU whose APIC is globally disabled (running without AVIC,
	 * avic_vcpu_apic_mode) reads there, as from a bus with no device (SDM vol. 3, 10.4.3) */
	memset((void *)(uintptr_t)a->apic_access_page, 0xff, PAGE_SIZE);
	/* The CPU checks guest accesses to the APIC page against the NPT but takes the data from
	 * the backing page, so the NPT must map something there (APM §15.29.2.1). */
	return npt_map(npt, AVIC_APIC_BAR, a->apic_access_page, PAGE_SIZE);
}

void avic_vm_destroy(struct avic_vm *a)
{
	uint64_t *pages[] = {&a->physical_table, &a->logical_table, &a->apic_access_page};
	for (unsigned i = 0; i < ARRAY_SIZE(pages); i++) {
		if (*pages[i])
			frame_free_pages(*pages[i], 1);
		*pages[i] = 0;
	}
}

void avic_vcpu_init(const struct avic_vm *a, struct vmcb *vmcb, unsigned index,
		    const void *backing_page)
{
	if (!avic_enabled())
		return;
	struct vmcb_control *c = &vmcb->control;
	/* Every entry Valid with its backing page from the start: broadcasts skip invalid entries
	 * without an exit (APM §15.29.6.1 step 4), so an AP not yet started must still be valid. */
	avic_physical_table(a)[index] = avic_table_physical_entry((uintptr_t)backing_page);
	uint64_t pointer = 0;
	avic_table_physical_pointer(a->physical_table, a->max_index, &pointer);
	c->int_ctl = int_ctl_set_avic_enable(c->int_ctl, 1);
	c->avic_vapic_bar = AVIC_APIC_BAR;
	c->avic_backing_page = (uintptr_t)backing_page;
	c->avic_logical_table = a->logical_table;
	c->avic_physical_table = pointer;
}

/* Where the V_APIC_BAR of a vCPU in x2APIC mode (or relocated) points: the highest page of the guest-physical
 * address space (below the MAXPHYADDR CPUID gives it, so VMRUN accepts it), where the NPT maps
 * nothing. AVIC redirects an access only after the NPT walk succeeded (APM 15.29.3.1), so an access
 * there is the nested page fault on unmapped memory it is everywhere else. */
static uint64_t avic_unmapped_bar(void)
{
	return (1ull << cpuid_maxphyaddr()) - PAGE_SIZE;
}

void avic_vcpu_apic_mode(struct vmcb *vmcb, bool apic_enabled, bool not_default)
{
	if (!avic_enabled())
		return;
	struct vmcb_control *c = &vmcb->control;
	uint64_t bar = not_default ? avic_unmapped_bar() : AVIC_APIC_BAR;
	c->int_ctl = int_ctl_set_avic_enable(c->int_ctl, apic_enabled);
	if (c->avic_vapic_bar != bar) {
		c->avic_vapic_bar = bar;
		/* a translation of the old BAR page may be cached as the APIC */
		c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	}
}

volatile uint64_t *avic_physical_entry(const struct avic_vm *a, unsigned index)
{
	return &avic_physical_table(a)[index];
}

int avic_logical_update(const struct avic_vm *a, unsigned index, const uint8_t *apic_page,
			int old)
{
	if (!avic_enabled())
		return -1;
	uint32_t *table = avic_logical_table(a);
	if (old >= 0 && avic_logical_entry_get_guest_physical_apic_id(table[old]) == index)
		__atomic_store_n(&table[old], 0, __ATOMIC_SEQ_CST);
	uint32_t ldr = apic_reg_read(apic_page, APIC_LDR);
	uint32_t dfr = apic_reg_read(apic_page, APIC_DFR);
	/* an x2APIC LDR (cluster in bits 31:16) has no xAPIC logical ID in bits 31:24 for the IDs a
	 * VM has (below 4096): x2APIC logical IDs stay out of the xAVIC logical table */
	int now = apic_route_avic_logical_index(ldr, dfr);
	if (now >= 0)
		__atomic_store_n(&table[now], avic_table_logical_entry((uint8_t)index),
				 __ATOMIC_SEQ_CST);
	return now;
}

void avic_ring_doorbell(uint32_t host_apic_id)
{
	wrmsr(MSR_AVIC_DOORBELL, host_apic_id);
}
