#include "svm/vm/apic_emulate.h"
#include "avic/vlapic/apic_regs.h"
#include "avic/vlapic/apic_route.h"
#include "avic/avic.h"
#include "avic/vlapic/vapic.h"
#include "kernel/qemu.h"
#include "kernel/sched.h"
#include "kernel/x86.h"
#include "svm/cpu/cpuid.h"
#include "svm/emul/emulate.h"
#include "svm/emul/decode.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"


static void apic_deliver_one(struct vcpu *t, const struct apic_icr *m)
{
	switch (m->delivery_mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (vapic_deliver_fixed(&t->vapic, m->vector, m->level_trigger))
			vcpu_kick(t);
		break;
	case APIC_DM_NMI:
		vcpu_inject_nmi(t);
		break;
	case APIC_DM_INIT:
		__atomic_store_n(&t->init_pending, true, __ATOMIC_SEQ_CST);
		vcpu_kick_exit(t);
		break;
	case APIC_DM_STARTUP: {
		/* Accepted only by an AP waiting for one, or about to (an INIT it has not yet
		 * acted on), and only once: a second SIPI is ignored (SDM vol. 3, 8.4.4.1). */
		bool accepted = false;
		spin_lock(&t->start_lock);
		if ((t->wait_for_sipi || t->init_pending) && !t->sipi_pending) {
			t->sipi_vector = m->vector;
			__atomic_store_n(&t->sipi_pending, true, __ATOMIC_SEQ_CST);
			accepted = true;
		}
		spin_unlock(&t->start_lock);
		/* If it is already in WAIT_SIPI this queues it; if it is still on its way
		 * there, its own re-check after publishing WAIT_SIPI finds sipi_pending. */
		if (accepted)
			vcpu_wake(t);
		break;
	}
	default:
		break; /* SMI, ExtINT and reserved modes are not delivered */
	}
}

static void apic_deliver_targets(struct vm *vm, uint64_t targets, const struct apic_icr *m,
				 struct vcpu *src)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (targets & BIT(i)) {
			apic_deliver_one(vm->vcpu[i], m);
			if (src) {
				src->stats.event[EVENT_IPI_SENT]++;
				trace_record(src->trace, TRACE_IPI_SENT, i, m->vector,
					     m->delivery_mode);
			}
		}
	}
}

static unsigned apic_route_table(struct vm *vm, struct apic_route_vcpu *r)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		vapic_route_info(&vm->vcpu[i]->vapic, &r[i]);
	return vm->vcpu_count;
}

void apic_send_ipi(struct vcpu *src, uint64_t icr)
{
	struct vm *vm = src->vm;
	struct apic_route_vcpu r[VM_MAX_VCPUS];
	unsigned n = apic_route_table(vm, r);
	struct apic_icr m = apic_icr_decode(icr, src->vapic.x2apic);
	uint64_t targets = apic_route_message(r, n, src->index, &m, src->vapic.x2apic);
	apic_deliver_targets(vm, targets, &m, src);
}

void apic_deliver_message(struct vm *vm, uint32_t dest, bool logical, uint8_t vector,
			  unsigned delivery_mode, bool level)
{
	struct apic_route_vcpu r[VM_MAX_VCPUS];
	unsigned n = apic_route_table(vm, r);
	struct apic_icr m = {.vector = vector, .delivery_mode = (uint8_t)delivery_mode,
			     .logical = logical, .level_assert = true, .level_trigger = level,
			     .shorthand = APIC_SHORTHAND_NONE, .dest = dest};
	uint64_t targets = apic_route_message(r, n, APIC_ROUTE_NO_SELF, &m, false);
	apic_deliver_targets(vm, targets, &m, NULL);
}

void apic_logical_update(struct vcpu *v)
{
	v->avic_logical_index = avic_logical_update(&v->vm->avic, v->index, v->vapic.page,
						    v->avic_logical_index);
}

void apic_apply_effects(struct vcpu *v, const struct vapic_effects *fx)
{
	if (fx->send_ipi)
		apic_send_ipi(v, fx->icr);
	if (fx->eoi_vector >= 0 && fx->eoi_level)
		platform_eoi(v->vm, (uint8_t)fx->eoi_vector);
	if (fx->timer_changed)
		vcpu_timer_changed(v);
	if (fx->ldr_changed)
		apic_logical_update(v);
	/* the CPU accelerates the APIC page only while it is at 0xFEE00000 in xAPIC mode */
	if (fx->mode_changed || fx->base_changed)
		avic_vcpu_apic_mode(v->vmcb, v->vapic.enabled_hw,
				    v->vapic.x2apic || v->vapic.base_addr != APIC_BASE_DEFAULT_ADDR);
}

struct apic_mmio_ctx {
	struct vcpu *v;
	uint64_t base;
};

static bool apic_mmio_read(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
	struct apic_mmio_ctx *c = ctx;
	unsigned offset = (unsigned)(gpa - c->base);
	uint32_t reg = vapic_read(&c->v->vapic, offset & ~0xfu, rdtsc());
	*val = (reg >> (8 * (offset & 3))) & (size >= 4 ? 0xffffffffull : (1ull << (8 * size)) - 1);
	return true;
}

static bool apic_mmio_write(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
	struct apic_mmio_ctx *c = ctx;
	unsigned offset = (unsigned)(gpa - c->base);
	(void)size; /* registers are 32-bit; narrower writes behave as 32-bit ones (SDM 11.4.1) */
	struct vapic_effects fx;
	vapic_write(&c->v->vapic, offset & ~0xfu, (uint32_t)val, rdtsc(), &fx);
	apic_apply_effects(c->v, &fx);
	return true;
}

bool apic_emulate_mmio(struct vcpu *v, uint64_t gpa)
{
	struct insn insn;
	if (vcpu_fetch_insn(v, &insn))
		return false;
	struct apic_mmio_ctx ctx = {v, v->vapic.base_addr};
	static const struct emulate_ops ops = {apic_mmio_read, apic_mmio_write, NULL};
	int r = emulate_mmio(&insn, &v->regs, &v->vmcb->save.rflags, gpa, &ops, &ctx);
	if (r < 0) {
		vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
			"vCPU %u: unsupported instruction (%s) on the local APIC page at RIP 0x%lx",
			v->index, decode_op_name(insn.op), v->vmcb->save.rip);
		return false;
	}
	if (r == EMULATE_DONE)
		vcpu_advance_rip(v, insn.len);
	return true;
}

bool apic_emulate_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *value)
{
	struct vapic_effects fx;
	enum vapic_status st;
	if (msr == MSR_APIC_BASE) {
		if (!write) {
			*value = vapic_base_read(&v->vapic);
			return true;
		}
		st = vapic_base_write(&v->vapic, *value, cpuid_maxphyaddr(), &fx);
	} else if (!write) {
		return vapic_msr_read(&v->vapic, msr, rdtsc(), value) == VAPIC_OK;
	} else {
		st = vapic_msr_write(&v->vapic, msr, *value, rdtsc(), &fx);
	}
	if (st != VAPIC_OK)
		return false;
	apic_apply_effects(v, &fx);
	return true;
}

bool apic_process_init_sipi(struct vcpu *v)
{
	if (!__atomic_load_n(&v->init_pending, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&v->sipi_pending, __ATOMIC_ACQUIRE) && !v->wait_for_sipi)
		return false;
	spin_lock(&v->start_lock);
	if (__atomic_load_n(&v->init_pending, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&v->init_pending, false, __ATOMIC_SEQ_CST);
		/* INIT: the BSP keeps running (an INIT IPI to the BSP resets it like any CPU in
		 * real hardware; test kernels do not do that); an AP waits for SIPI. */
		vapic_init_signal(&v->vapic);
		apic_logical_update(v); /* INIT clears the LDR */
		if (v->index != 0) {
			v->halted = false;
			v->wait_for_sipi = true;
		}
	}
	if (v->wait_for_sipi && v->sipi_pending) {
		__atomic_store_n(&v->sipi_pending, false, __ATOMIC_SEQ_CST);
		v->wait_for_sipi = false;
		vm_vcpu_start_at_sipi(v, v->sipi_vector);
	}
	bool wait = v->wait_for_sipi;
	spin_unlock(&v->start_lock);
	return wait;
}
