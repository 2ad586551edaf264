/* The exit dispatch table and the handlers for the intercepts doorbell sets (vmcb_init() in
 * svm/vm/vm.c): each reads like the APM section it implements. */
#include "svm/vm/exit.h"
#include "svm/vm/apic_emulate.h"
#include "avic/vlapic/apic_regs.h"
#include "avic/avic.h"
#include "svm/vm/avic_exit.h"
#include "svm/vm/mmio.h"
#include "kernel/qemu.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include "svm/cpu/cpuid.h"
#include "svm/vm/string_io.h"
#include "svm/cpu/guest_state.h"
#include "svm/emul/cr_insn.h"
#include "svm/emul/decode.h"
#include "svm/cpu/hypercall.h"
#include "svm/cpu/lazy_regs.h"
#include "svm/cpu/xcr0.h"
#include "svm/cpu/msr.h"
#include "svm/platform/platform.h"
#include "svm/svm.h"
#include "svm/vm/test_hooks.h"
#include "svm/vm/tpr_sync.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"

#define VECTOR_UD 6
#define CR4_OSXSAVE BIT(18)
#define VECTOR_GP 13
#define VECTOR_DB 1
#define VECTOR_AC 17
#define VECTOR_MC 18
#define INSN_LEN_CPUID 2
#define INSN_LEN_MSR 2
#define INSN_LEN_RDPMC 2
#define INSN_LEN_HLT 1
#define INSN_LEN_VMMCALL 3
#define CR_EXIT_MOV BIT(63)     /* EXITINFO1 of a CR access: MOV CRn (decode assists) */
#define CR_EXIT_GPR_MASK 0xfull /* its general register */
#define SEG_ATTR_L BIT(9)
#define INSN_LEN_XSETBV 3 /* 0F 01 D1 */
#define INSN_LEN_INVD 2   /* 0F 08 */

typedef enum exit_outcome (*exit_handler_fn)(struct vcpu *v);

/* RIP after a fixed-length instruction: nRIP where the CPU saves it, else the length. */
static void exit_skip(struct vcpu *v, unsigned len)
{
	uint64_t next = v->vmcb->control.next_rip;
	vcpu_complete_insn(v, svm_features.nrips && next ? next : v->vmcb->save.rip + len);
}

static enum exit_outcome exit_nothing(struct vcpu *v)
{
	(void)v; /* INTR, NMI, VINTR: the host interrupt was taken, the window re-evaluated */
	return EXIT_RESUME;
}

static enum exit_outcome exit_cpuid(struct vcpu *v)
{
	uint64_t *r = v->regs.gpr;
	lazy_regs_sync_xcr0(&v->lazy); /* leaf 0xD's EBX follows the XCR0 in force */
	struct cpuid_vcpu c = {v->index, v->vm->vcpu_count, v->vmcb->save.cr4, v->lazy.xcr0,
			       v->vapic.enabled_hw};
	struct cpuid_regs out = cpuid_guest(&c, (uint32_t)r[GPR_RAX], (uint32_t)r[GPR_RCX]);
	r[GPR_RAX] = out.eax;
	r[GPR_RBX] = out.ebx;
	r[GPR_RCX] = out.ecx;
	r[GPR_RDX] = out.edx;
	exit_skip(v, INSN_LEN_CPUID);
	return EXIT_RESUME;
}

static enum exit_outcome exit_msr(struct vcpu *v)
{
	uint64_t *r = v->regs.gpr;
	uint32_t msr = (uint32_t)r[GPR_RCX];
	bool write = v->vmcb->control.exit_info1 & 1;
	uint64_t value = (r[GPR_RDX] << 32) | (uint32_t)r[GPR_RAX];
	bool ok = msr_is_apic(msr) ? apic_emulate_msr(v, msr, write, &value)
				   : msr_guest_access(v->vmcb, &v->msrs, msr, write, &value);
	if (!ok) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return EXIT_RESUME;
	}
	if (!write) {
		r[GPR_RAX] = (uint32_t)value;
		r[GPR_RDX] = value >> 32;
	}
	exit_skip(v, INSN_LEN_MSR);
	return EXIT_RESUME;
}

/* RDPMC (CPL and CR4.PCE were checked by the CPU before the intercept): the emulated counter. */
static enum exit_outcome exit_rdpmc(struct vcpu *v)
{
	uint64_t *r = v->regs.gpr, value;
	if (!msr_pmu_rdpmc(&v->msrs, (uint32_t)r[GPR_RCX], &value)) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return EXIT_RESUME;
	}
	r[GPR_RAX] = (uint32_t)value;
	r[GPR_RDX] = value >> 32;
	exit_skip(v, INSN_LEN_RDPMC);
	return EXIT_RESUME;
}

static enum exit_outcome exit_ioio(struct vcpu *v)
{
	uint64_t info = v->vmcb->control.exit_info1;
	uint16_t port = (uint16_t)ioio_info_get_port(info);
	unsigned size = ioio_info_size(info);
	bool in = ioio_info_get_in(info);
	v->stats.ioio_dev[exit_stats_ioio_dev(port)]++;
	if (ioio_info_get_str(info)) {
		string_io(v, info);
		return EXIT_RESUME;
	}
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
	uint32_t value = (uint32_t)(v->regs.gpr[GPR_RAX] & mask);
	if (!platform_io(v, port, size, in, &value))
		return EXIT_RESUME;
	if (in)
		v->regs.gpr[GPR_RAX] = (v->regs.gpr[GPR_RAX] & ~mask) | (value & mask);
	/* EXITINFO2 holds the RIP of the next instruction for IOIO (APM §15.10.2) */
	vcpu_complete_insn(v, v->vmcb->control.exit_info2);
	return EXIT_RESUME;
}

/* MOV to CR0/CR4/CR8, CLTS, LMSW (APM vol. 2, 15.9): the write the guest's CPU would accept, else #GP.
 * With decode assists EXITINFO1 names the source register of a MOV; else the instruction is
 * fetched and decoded. */
static enum exit_outcome exit_cr_write(struct vcpu *v)
{
	unsigned cr = (unsigned)(v->vmcb->control.exit_code - VMEXIT_CR0_WRITE);
	uint64_t info = v->vmcb->control.exit_info1, value;
	struct insn insn;
	if (svm_features.decode_assists && (info & CR_EXIT_MOV) && svm_features.nrips) {
		value = v->regs.gpr[info & CR_EXIT_GPR_MASK];
		if (!(v->vmcb->save.efer & EFER_LMA) || !(v->vmcb->save.cs.attrib & SEG_ATTR_L))
			value = (uint32_t)value;
		insn.len = 0; /* nRIP below */
	} else {
		if (vcpu_fetch_insn(v, &insn))
			return EXIT_RESUME;
		struct cr_insn_vcpu c = {v->vmcb, v->regs.gpr, vm_read_gpa, v->vm};
		struct cr_insn_fault fault;
		enum cr_insn_result r = cr_insn_value(&c, &insn, cr, &value, &fault);
		if (r == CR_INSN_PAGE_FAULT) {
			v->vmcb->save.cr2 = fault.linear;
			vcpu_inject_exception(v, VECTOR_PF, true, fault.error);
			return EXIT_RESUME;
		}
		if (r == CR_INSN_FAULT) {
			vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
				"vCPU %u: LMSW at RIP 0x%lx: its memory operand is not in guest RAM",
				v->index, v->vmcb->save.rip);
			return EXIT_STOP;
		}
		if (r != CR_INSN_OK) {
			vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
				"vCPU %u: CR%u write exit at RIP 0x%lx, but the instruction there "
				"(opcode 0x%x) writes no CR%u",
				v->index, cr, v->vmcb->save.rip, insn.opcode, cr);
			return EXIT_STOP;
		}
	}
	bool ok = cr == 0   ? guest_cr0_write(v->vmcb, &v->msrs, value)
		  : cr == 4 ? guest_cr4_write(v->vmcb, value)
			    : tpr_cr8_write(v, value);
	if (!ok) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return EXIT_RESUME;
	}
	exit_skip(v, insn.len);
	return EXIT_RESUME;
}

static enum exit_outcome exit_hlt(struct vcpu *v)
{
	exit_skip(v, INSN_LEN_HLT);
	/* the run loop blocks it unless an event is deliverable; a single-step #DB after HLT is one */
	return event_get_valid(v->vmcb->control.event_inj) ? EXIT_RESUME : EXIT_HALT;
}

static enum exit_outcome exit_vmmcall(struct vcpu *v)
{
	uint64_t *r = v->regs.gpr;
	exit_skip(v, INSN_LEN_VMMCALL);
	if (v->vmcb->save.cpl != 0) {
		r[GPR_RAX] = (uint64_t)HC_E_PERM;
		return EXIT_RESUME;
	}
	switch (r[GPR_RAX]) {
	case HC_VERSION:
		r[GPR_RAX] = DOORBELL_ABI_VERSION;
		break;
	case HC_TEST_RESULT:
		v->vm->test_passed = (int64_t)r[GPR_RBX];
		v->vm->test_failed = (int64_t)r[GPR_RCX];
		r[GPR_RAX] = HC_OK;
		break;
	case HC_EXIT:
		vm_stop(v->vm, (int)r[GPR_RBX], true, "guest hypercall HC_EXIT(0x%lx)", r[GPR_RBX]);
		break;
	case HC_EXIT_COUNT:
		r[GPR_RAX] = v->stats.total;
		break;
	case HC_TSC_HZ:
		r[GPR_RAX] = tsc_hz;
		break;
	case HC_DEBUG_VCPU:
		/* printed later by CPU 0's loop (svm/vm/vcpu_dump.c), never here on the exit path */
		if (r[GPR_RBX] >= v->vm->vcpu_count) {
			r[GPR_RAX] = (uint64_t)HC_E_INVAL;
			break;
		}
		if (r[GPR_RCX] || r[GPR_RDX]) /* a moment to print the trace from (docs/trace.md) */
			__atomic_store_n(&v->vm->debug_trace_tsc,
					 r[GPR_RDX] << 32 | (uint32_t)r[GPR_RCX], __ATOMIC_RELAXED);
		__atomic_fetch_or(&v->vm->debug_requests, 1u << r[GPR_RBX], __ATOMIC_RELEASE);
		r[GPR_RAX] = HC_OK;
		break;
	case HC_TEST_DEVICE_IRQ:
		/* only the test image answers it (svm/vm/test_hooks.h) */
		r[GPR_RAX] = test_hooks() ? (uint64_t)test_hooks()->hypercall(v, r[GPR_RBX], r[GPR_RCX],
									     r[GPR_RDX])
					  : (uint64_t)HC_E_NOSYS;
		break;
	default:
		r[GPR_RAX] = (uint64_t)HC_E_NOSYS;
		break;
	}
	return EXIT_RESUME;
}

/* XSETBV (APM vol. 3; SDM vol. 2 "XSETBV"): #UD without CR4.OSXSAVE (the CPU checks that before
 * the intercept; repeated here for platforms that do not), #GP(0) for what xcr0_set_allowed()
 * refuses, else the vCPU's XCR0, live at once (svm/cpu/lazy_regs.c). */
static enum exit_outcome exit_xsetbv(struct vcpu *v)
{
	uint64_t *r = v->regs.gpr;
	uint64_t value = (r[GPR_RDX] << 32) | (uint32_t)r[GPR_RAX];
	if (!xsave_layout.present || !(v->vmcb->save.cr4 & CR4_OSXSAVE)) {
		vcpu_inject_exception(v, VECTOR_UD, false, 0);
		return EXIT_RESUME;
	}
	if (!xcr0_set_allowed(xsave_layout.guest, v->vmcb->save.cpl, (uint32_t)r[GPR_RCX],
			      value)) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return EXIT_RESUME;
	}
	lazy_regs_set_xcr0(&v->lazy, value);
	exit_skip(v, INSN_LEN_XSETBV);
	return EXIT_RESUME;
}

/* INVD discards modified cache lines without writing them back: the host's and other VMs' data
 * too. It never runs for a guest: a no-op, as KVM does (caches stay coherent, so the guest cannot
 * tell). CPL above 0 is #GP(0) (checked by the CPU before the intercept; repeated here). */
static enum exit_outcome exit_invd(struct vcpu *v)
{
	if (v->vmcb->save.cpl != 0) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return EXIT_RESUME;
	}
	exit_skip(v, INSN_LEN_INVD);
	return EXIT_RESUME;
}

static enum exit_outcome exit_shutdown(struct vcpu *v)
{
	vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
		"vCPU %u: triple fault (shutdown) at RIP 0x%lx", v->index, v->vmcb->save.rip);
	return EXIT_STOP;
}

/* The NMI handler's IRET (APM vol. 2, 15.21.4): NMIs stay masked until the IRET has completed,
 * and the exit comes before it runs. So the IRET is single-stepped: TF (and RF) set for it, #DB
 * intercepted, and the trap after it (exit_db) unmasks NMIs, at the instruction the IRET returned
 * to, where a pending NMI is then delivered. The trap condition is TF at the start of IRET; the
 * flags IRET pops are the guest's own. */
static enum exit_outcome exit_iret(struct vcpu *v)
{
	struct vmcb *vmcb = v->vmcb;
	vmcb->control.intercept_misc1 &= ~INTERCEPT_IRET;
	v->nmi_iret_step = true;
	v->nmi_step_guest_tf = vmcb->save.rflags & RFLAGS_TF;
	v->nmi_step_dr6 = vmcb->save.dr6;
	vmcb->save.rflags |= RFLAGS_TF | RFLAGS_RF; /* #DB is always intercepted (exit_db) */
	return EXIT_RESUME;
}

/* ICEBP (INT1, F1): a trap-class #DB after the instruction, with no DR6 bit of its own and not the
 * single-step one (its delivery clears TF). With #DB intercepted, an ICEBP that is not intercepted
 * itself exits as a #DB with RIP still on it (it is checked like an instruction intercept), and
 * reflecting that #DB would run it again forever; so ICEBP is intercepted and its #DB raised here,
 * after the instruction (prefixes included: nRIP, else its decoded length). QEMU 7.2's TCG
 * raises #UD for F1 instead, so only hardware reaches this. */
static enum exit_outcome exit_icebp(struct vcpu *v)
{
	struct vmcb *vmcb = v->vmcb;
	uint64_t next = vmcb->control.next_rip;
	if (!svm_features.nrips || !next) {
		struct insn insn;
		if (vcpu_fetch_insn(v, &insn))
			return EXIT_STOP;
		next = vmcb->save.rip + insn.len;
	}
	vmcb->save.rip = next;
	vmcb->control.int_state = int_state_set_shadow(vmcb->control.int_state, 0);
	vcpu_inject_exception(v, VECTOR_DB, false, 0);
	return EXIT_RESUME;
}

static enum exit_outcome exit_undefined(struct vcpu *v)
{
	/* SVM instructions, MONITOR/MWAIT (and MONITORX/MWAITX), RDPRU: not offered to guests
	 * (CPUID hides them). */
	vcpu_inject_exception(v, VECTOR_UD, false, 0);
	return EXIT_RESUME;
}

static enum exit_outcome exit_npf(struct vcpu *v)
{
	uint64_t gpa = v->vmcb->control.exit_info2;
	uint64_t err = v->vmcb->control.exit_info1;
	if (vcpu_mmio(v, gpa))
		return EXIT_RESUME;
	const char *access = npf_info_get_fetch(err)   ? "instruction fetch from"
			     : npf_info_get_write(err) ? "write to"
						       : "read from";
	vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
		"vCPU %u: %s unmapped guest-physical address 0x%lx at RIP 0x%lx (no RAM or device "
		"there)",
		v->index, access, gpa, v->vmcb->save.rip);
	return EXIT_STOP;
}

/* #AC and #DB are intercepted so that a guest whose delivery of one raises the same exception
 * again (an #AC on a misaligned stack at CPL 3, a #DB breakpoint on the IDT or the stack it
 * pushes to) cannot hold the CPU in microcode without an instruction boundary, where interrupts
 * would be taken (CVE-2015-5307, CVE-2015-8104; KVM intercepts both for this). Each delivery is
 * now an exit, and the exception is reflected: #AC with error code 0 (APM vol. 2, 8.2.18), #DB
 * with the DR6 the CPU stored in the VMCB (APM 15.12). An exception that interrupted the delivery
 * of another event is dropped: that event is delivered again (vcpu_inject), and the access that
 * raised the exception repeats with it. */
static enum exit_outcome exit_reflect(struct vcpu *v)
{
	unsigned vector = (unsigned)v->vmcb->control.exit_code - VMEXIT_EXCP_BASE;
	if (event_get_valid(v->vmcb->control.exit_int_info))
		return EXIT_RESUME;
	vcpu_inject_exception(v, (uint8_t)vector, vector == VECTOR_AC, 0);
	return EXIT_RESUME;
}

/* A host machine check in guest mode (APM 15.12, 9.3): the host's own #MC handler takes it, not
 * the guest's IDT. */
static enum exit_outcome exit_machine_check(struct vcpu *v)
{
	(void)v;
	__asm__ volatile("int $18");
	return EXIT_RESUME;
}

/* #DB: the trap after a single-stepped NMI handler's IRET (exit_iret) unmasks NMIs, and is the
 * guest's only if it had TF set itself; any other #DB is the guest's (exit_reflect). */
static enum exit_outcome exit_db(struct vcpu *v)
{
	if (!v->nmi_iret_step) {
		exit_reflect(v);
		return EXIT_RESUME;
	}
	v->nmi_iret_step = false;
	v->nmi_masked = false;
	if (v->nmi_step_guest_tf)
		exit_reflect(v); /* the guest stepped its IRET too */
	else
		v->vmcb->save.dr6 = v->nmi_step_dr6; /* the trap was doorbell's: DR6 as it was */
	return EXIT_RESUME;
}

static enum exit_outcome exit_unexpected(struct vcpu *v)
{
	uint32_t code = (uint32_t)v->vmcb->control.exit_code;
	if (code == VMEXIT_INVALID) {
		const char *why = guest_state_invalid_reason(v->vmcb);
		vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
			"vCPU %u: VMRUN failed with VMEXIT_INVALID (illegal guest state: %s) at RIP "
			"0x%lx",
			v->index, why ? why : "no consistency check of APM 15.5.1 names it",
			v->vmcb->save.rip);
	}
	else
		vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
			"vCPU %u: unexpected exit code 0x%x at RIP 0x%lx", v->index, code,
			v->vmcb->save.rip);
	return EXIT_STOP;
}

/* The AVIC exits (avic/avic.c) never halt the vCPU; one that stops the VM is seen by
 * exit_dispatch(). */
static enum exit_outcome exit_avic_incomplete_ipi(struct vcpu *v)
{
	avic_exit_incomplete_ipi(v);
	return EXIT_RESUME;
}

static enum exit_outcome exit_avic_noaccel(struct vcpu *v)
{
	avic_exit_noaccel(v);
	return EXIT_RESUME;
}

static const exit_handler_fn exit_table[EXIT_SLOTS] = {
	[VMEXIT_EXCP_BASE + VECTOR_DB] = exit_db,
	[VMEXIT_EXCP_BASE + VECTOR_AC] = exit_reflect,
	[VMEXIT_EXCP_BASE + VECTOR_MC] = exit_machine_check,
	[VMEXIT_INTR] = exit_nothing,
	[VMEXIT_NMI] = exit_nothing,
	[VMEXIT_SMI] = exit_nothing,
	[VMEXIT_VINTR] = exit_nothing,
	[VMEXIT_CR0_WRITE] = exit_cr_write,
	[VMEXIT_CR4_WRITE] = exit_cr_write,
	[VMEXIT_CR8_WRITE] = exit_cr_write,
	[VMEXIT_CPUID] = exit_cpuid,
	[VMEXIT_RDPMC] = exit_rdpmc,
	[VMEXIT_IRET] = exit_iret,
	[VMEXIT_HLT] = exit_hlt,
	[VMEXIT_IOIO] = exit_ioio,
	[VMEXIT_MSR] = exit_msr,
	[VMEXIT_SHUTDOWN] = exit_shutdown,
	[VMEXIT_VMRUN] = exit_undefined,
	[VMEXIT_VMMCALL] = exit_vmmcall,
	[VMEXIT_VMLOAD] = exit_undefined,
	[VMEXIT_VMSAVE] = exit_undefined,
	[VMEXIT_STGI] = exit_undefined,
	[VMEXIT_CLGI] = exit_undefined,
	[VMEXIT_SKINIT] = exit_undefined,
	[VMEXIT_INVLPGA] = exit_undefined,
	[VMEXIT_MONITOR] = exit_undefined,
	[VMEXIT_MWAIT] = exit_undefined,
	[VMEXIT_XSETBV] = exit_xsetbv,
	[VMEXIT_RDPRU] = exit_undefined,
	[VMEXIT_ICEBP] = exit_icebp,
	[VMEXIT_INVD] = exit_invd,
	[EXIT_SLOT_NPF_BASE] = exit_npf,
	[EXIT_SLOT_NPF_BASE + 1] = exit_avic_incomplete_ipi,
	[EXIT_SLOT_NPF_BASE + 2] = exit_avic_noaccel,
};

enum exit_outcome exit_dispatch(struct vcpu *v)
{
	uint64_t code = v->vmcb->control.exit_code;
	exit_stats_count(&v->stats, code);
	unsigned slot = exit_stats_slot(code);
	exit_handler_fn fn = exit_table[slot];
	if ((uint32_t)code == VMEXIT_INVALID || slot == EXIT_SLOT_OTHER || !fn)
		fn = exit_unexpected;
	enum exit_outcome outcome = fn(v);
	/* A device model or an emulation step deep inside a handler may have stopped the VM (a
	 * fatal access, the guest's own exit): that is this exit's outcome too. */
	if (outcome == EXIT_RESUME && __atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE) != VM_RUNNING)
		outcome = EXIT_STOP;
	return outcome;
}
