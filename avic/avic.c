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
#include "svm/svm.h"
#include "svm/vm/vm.h"

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

static uint64_t *avic_physical_table(struct vm *vm)
{
	return (uint64_t *)(uintptr_t)vm->avic_physical_table;
}

static uint32_t *avic_logical_table(struct vm *vm)
{
	return (uint32_t *)(uintptr_t)vm->avic_logical_table;
}

bool avic_vm_init(struct vm *vm)
{
	if (!avic_enabled())
		return true;
	vm->avic_physical_table = frame_alloc();
	vm->avic_logical_table = frame_alloc();
	vm->avic_apic_access_page = frame_alloc();
	if (!vm->avic_physical_table || !vm->avic_logical_table || !vm->avic_apic_access_page)
		return false;
	memset(avic_physical_table(vm), 0, PAGE_SIZE);
	memset(avic_logical_table(vm), 0, PAGE_SIZE);
	/* All ones: what a vCPU whose APIC is globally disabled (running without AVIC,
	 * avic_vcpu_apic_mode) reads there, as from a bus with no device (SDM vol. 3, 10.4.3) */
	memset((void *)(uintptr_t)vm->avic_apic_access_page, 0xff, PAGE_SIZE);
	/* The CPU checks guest accesses to the APIC page against the NPT but takes the data from
	 * the backing page, so the NPT must map something there (APM §15.29.2.1). */
	return npt_map(&vm->npt, AVIC_APIC_BAR, vm->avic_apic_access_page, PAGE_SIZE);
}

void avic_vm_destroy(struct vm *vm)
{
	uint64_t *pages[] = {&vm->avic_physical_table, &vm->avic_logical_table,
			     &vm->avic_apic_access_page};
	for (unsigned i = 0; i < ARRAY_SIZE(pages); i++) {
		if (*pages[i])
			frame_free_pages(*pages[i], 1);
		*pages[i] = 0;
	}
}

void avic_vcpu_init(struct vcpu *v)
{
	if (!avic_enabled())
		return;
	struct vm *vm = v->vm;
	struct vmcb_control *c = &v->vmcb->control;
	/* Every entry Valid with its backing page from the start: broadcasts skip invalid entries
	 * without an exit (APM §15.29.6.1 step 4), so an AP not yet started must still be valid. */
	avic_physical_table(vm)[v->index] = avic_table_physical_entry((uintptr_t)v->vapic.page);
	uint64_t pointer = 0;
	avic_table_physical_pointer(vm->avic_physical_table, VM_MAX_VCPUS - 1, &pointer);
	c->int_ctl = int_ctl_set_avic_enable(c->int_ctl, 1);
	c->avic_vapic_bar = AVIC_APIC_BAR;
	c->avic_backing_page = (uintptr_t)v->vapic.page;
	c->avic_logical_table = vm->avic_logical_table;
	c->avic_physical_table = pointer;
}

void avic_vcpu_apic_mode(struct vcpu *v)
{
	if (!avic_enabled())
		return;
	if (v->vapic.enabled_hw)
		v->vmcb->control.int_ctl = int_ctl_set_avic_enable(v->vmcb->control.int_ctl, 1);
	else
		v->vmcb->control.int_ctl = int_ctl_set_avic_enable(v->vmcb->control.int_ctl, 0);
}

volatile uint64_t *avic_physical_entry(struct vcpu *v)
{
	return &avic_physical_table(v->vm)[v->index];
}

void avic_logical_update(struct vcpu *v, uint32_t old_ldr, uint32_t old_dfr)
{
	if (!avic_enabled())
		return;
	uint32_t *table = avic_logical_table(v->vm);
	int old = apic_route_avic_logical_index(old_ldr, old_dfr);
	if (old >= 0 && avic_logical_entry_get_guest_physical_apic_id(table[old]) == v->index)
		__atomic_store_n(&table[old], 0, __ATOMIC_SEQ_CST);
	uint32_t ldr = apic_reg_read(v->vapic.page, APIC_LDR);
	uint32_t dfr = apic_reg_read(v->vapic.page, APIC_DFR);
	int now = apic_route_avic_logical_index(ldr, dfr);
	if (now >= 0)
		__atomic_store_n(&table[now], avic_table_logical_entry((uint8_t)v->index),
				 __ATOMIC_SEQ_CST);
}

void avic_ring_doorbell(uint32_t host_apic_id)
{
	wrmsr(MSR_AVIC_DOORBELL, host_apic_id);
}
