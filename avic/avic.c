#include "avic/avic.h"
#include "svm/vm/apic_emulate.h"
#include "avic/vlapic/apic_regs.h"
#include "avic/vlapic/apic_route.h"
#include "avic/avic_table.h"
#include "avic/vlapic/vapic.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/percpu.h"
#include "kernel/qemu.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "svm/emul/effective_addr.h"
#include "svm/emul/guest_insn.h"
#include "svm/svm.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"

#define AVIC_APIC_BAR APIC_BASE_DEFAULT_ADDR

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

/* Target not running: the CPU has set the IRR bit of every target already (APM §15.29.6.1
 * step 6); each target that is not in guest mode must be reached by software. */
static void avic_kick_targets(struct vcpu *v, uint64_t icr)
{
	struct vm *vm = v->vm;
	struct apic_route_vcpu r[VM_MAX_VCPUS];
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		vapic_route_info(&vm->vcpu[i]->vapic, &r[i]);
	struct apic_icr m = apic_icr_decode(icr, false);
	uint64_t targets = apic_route_message(r, vm->vcpu_count, v->index, &m, false);
	for (uint64_t t = targets; t; t &= t - 1) {
		v->stats.event[EVENT_IPI_SENT]++;
		trace_record(v->trace, TRACE_IPI_SENT, (unsigned)__builtin_ctzll(t), icr, 0);
	}
	vcpu_kick_targets(vm->vcpu, targets);
}

/* Re-runs the guest's ICR write through the software APIC: sends the IPI the hardware did not
 * (or records the illegal vector in ESR). */
static void avic_emulate_icr_write(struct vcpu *v, uint64_t icr)
{
	struct vapic_effects fx;
	apic_reg_write(v->vapic.page, APIC_ICR_HI, (uint32_t)(icr >> 32));
	vapic_write(&v->vapic, APIC_ICR_LO, (uint32_t)icr, rdtsc(), &fx);
	apic_apply_effects(v, &fx);
}

void avic_exit_incomplete_ipi(struct vcpu *v)
{
	struct avic_incomplete_ipi e;
	avic_table_incomplete_ipi_decode(v->vmcb->control.exit_info1, v->vmcb->control.exit_info2,
					 &e);
	v->stats.avic_ipi[e.id < AVIC_IPI_IDS ? e.id : AVIC_IPI_IDS - 1]++;
	switch (avic_policy_incomplete_ipi_action(e.id)) {
	case AVIC_IPI_ACTION_KICK_TARGETS:
		avic_kick_targets(v, e.icr);
		break;
	case AVIC_IPI_ACTION_EMULATE_IPI:
	case AVIC_IPI_ACTION_SEND_ILLEGAL_VECTOR:
		avic_emulate_icr_write(v, e.icr);
		break;
	case AVIC_IPI_ACTION_STOP_VM:
		vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
			"vCPU %u: AVIC_INCOMPLETE_IPI cause %u (index %u): doorbell's AVIC tables are "
			"inconsistent",
			v->index, e.id, e.index);
		break;
	}
}

/* Writes that complete before the exit (APM Table 15-22 "trap"): the register already holds the
 * value in the backing page; the software APIC applies its side effects. */
static bool avic_noaccel_is_trap(unsigned offset)
{
	switch (offset) {
	case APIC_ID:
	case APIC_EOI:
	case APIC_RRD:
	case APIC_LDR:
	case APIC_DFR:
	case APIC_SVR:
	case APIC_ESR:
	case APIC_ICR_LO:
	case APIC_LVT_TIMER:
	case APIC_LVT_THERMAL:
	case APIC_LVT_PMC:
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
	case APIC_LVT_ERROR:
	case APIC_TMICT:
	case APIC_TDCR:
		return true;
	default:
		return false;
	}
}

/* The offset in the APIC page of the memory operand of the instruction at RIP (the page offset of
 * the linear address equals that of the guest-physical one). */
static unsigned avic_insn_page_offset(struct vcpu *v, const struct insn *insn)
{
	const struct vmcb_save *s = &v->vmcb->save;
	const struct vmcb_seg *segs[] = {&s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs};
	enum insn_seg seg;
	uint64_t ea = insn_write_address(insn, &v->regs, s->rip + insn->len, &seg);
	uint64_t base = 0;
	/* in 64-bit mode only FS and GS have a base (APM vol. 2, 4.12.2) */
	if (seg <= INSN_SEG_GS && (insn->mode != CPU_MODE_LONG64 || seg >= INSN_SEG_FS))
		base = segs[seg]->base;
	return (unsigned)((base + ea) & (PAGE_SIZE - 1));
}

/* A write to a trap-type register (APM Table 15-22) traps only as an aligned 32-bit store: the
 * register holds the value and RIP is past the instruction. Any other write to it (a byte or word,
 * a misaligned dword, an element of MOVS/STOS that is not one) is not accelerated and faults
 * before the access, RIP on the instruction (APM 15.29.3.1). EXITINFO1 names the register either
 * way, so the instruction at RIP decides: a write into this register that could not have trapped
 * means the fault. Re-entering a faulted instruction without emulating it repeats the exit forever
 * (issue 18 finding 3). When a trapped write is followed by such a write to the same register,
 * the second is emulated and the trap's own side effects are superseded by it. */
static bool avic_noaccel_write_faulted(struct vcpu *v, unsigned reg, unsigned *offset)
{
	struct insn insn;
	if (guest_insn_peek(v, &insn) || insn.op == INSN_OP_OTHER || !insn_writes_memory(&insn))
		return false;
	unsigned off = avic_insn_page_offset(v, &insn);
	if ((off & ~0xfu) != reg || (insn.mem_size == 4 && !(off & 0xf)))
		return false;
	*offset = off;
	return true;
}

void avic_exit_noaccel(struct vcpu *v)
{
	struct avic_noaccel n;
	avic_table_noaccel_decode(v->vmcb->control.exit_info1, v->vmcb->control.exit_info2, &n);
	v->stats.avic_noaccel[(n.offset >> 4) & 0xff]++;
	unsigned offset = n.offset;
	if (n.write && avic_noaccel_is_trap(n.offset) &&
	    !avic_noaccel_write_faulted(v, n.offset, &offset)) {
		struct vapic_effects fx;
		uint32_t value = apic_reg_read(v->vapic.page, n.offset);
		vapic_write(&v->vapic, n.offset, value, rdtsc(), &fx);
		apic_apply_effects(v, &fx);
		return;
	}
	/* Fault: nothing happened yet; emulate the instruction on the same page (it advances RIP,
	 * or one REP iteration, or stops the VM with the reason). */
	apic_emulate_mmio(v, AVIC_APIC_BAR + offset);
}
