/* The AVIC exits (APM vol. 2 §15.29.6.1, 15.29.3.1): what the hardware left to software, done by the
 * software APIC and the delivery protocol on the VM floor. */
#include "svm/vm/avic_exit.h"
#include "avic/avic.h"
#include "avic/avic_table.h"
#include "avic/vlapic/apic_regs.h"
#include "avic/vlapic/apic_route.h"
#include "avic/vlapic/vapic.h"
#include "kernel/qemu.h"
#include "kernel/x86.h"
#include "svm/emul/effective_addr.h"
#include "svm/emul/decode.h"
#include "svm/vm/apic_emulate.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"

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
	if (vcpu_peek_insn(v, &insn) || insn.op == INSN_OP_OTHER || !insn_writes_memory(&insn))
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
		/* the write is already in the page, so vapic_write() saw no change of LDR or DFR:
		 * without this, logical IPIs would all exit as invalid targets (docs/avic.md) */
		if (n.offset == APIC_LDR || n.offset == APIC_DFR)
			apic_logical_update(v);
		return;
	}
	/* Fault: nothing happened yet; emulate the instruction on the same page (it advances RIP,
	 * or one REP iteration, or stops the VM with the reason). */
	apic_emulate_mmio(v, AVIC_APIC_BAR + offset);
}
