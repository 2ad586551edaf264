// sources: svm/vm/exit.c svm/exit_stats.c svm/cpu/cpuid.c svm/cpu/xcr0.c svm/cpu/msr.c svm/cpu/msr_mca.c svm/cpu/msr_mtrr.c svm/cpu/msr_pmu.c svm/cpu/guest_state.c svm/emul/cr_insn.c svm/emul/guest_walk.c svm/cpu/spec_policy.c kernel/format.c
/* Exit dispatch (svm/vm/exit.c): the outcome of each exit code the intercepts produce, and what
 * the handler did to the vCPU on the way (RIP, registers, the event injected, the VM's stop
 * reason). The CPU-side handlers are the real ones (CPUID policy, MSRs, control registers); the
 * VM floor's neighbours the dispatch calls (event injection, port and MMIO devices, the virtual
 * APIC, the VM stop) are recorded here. Decode assists and NRIP save are off, as under QEMU TCG:
 * RIP moves by the instruction's fixed length. */
#include "svm/vm/exit.h"
#include "avic/avic.h"
#include "kernel/qemu.h"
#include "svm/cpu/cpuid.h"
#include "svm/cpu/hypercall.h"
#include "svm/cpu/lazy_regs.h"
#include "svm/cpu/spec.h"
#include "svm/cpu/xcr0.h"
#include "svm/platform/platform.h"
#include "svm/svm.h"
#include "svm/vm/apic_emulate.h"
#include "svm/vm/avic_exit.h"
#include "svm/vm/mmio.h"
#include "svm/vm/string_io.h"
#include "svm/vm/test_hooks.h"
#include "svm/vm/tpr_sync.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"
#include "tests/unit/check.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- the neighbours, recorded -------------------------------------------------------------- */
uint64_t tsc_hz = 1000000000ull;
struct svm_features svm_features; /* no NRIP save, no decode assists */
enum avic_policy avic_policy = AVIC_POLICY_SOFT;
struct spec_caps spec_caps; /* no speculation controls offered */

void spec_ibpb(void)
{
}

static struct {
	unsigned injected, vector, apic_msrs, io, mmio, string_io, avic;
	bool has_error;
	bool mmio_claims; /* vcpu_mmio(): a device is at the address */
} seen;

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	(void)v;
	(void)error;
	seen.injected++;
	seen.vector = vector;
	seen.has_error = has_error;
}

void vcpu_complete_insn(struct vcpu *v, uint64_t next_rip)
{
	v->vmcb->save.rip = next_rip;
}

int vcpu_fetch_insn(struct vcpu *v, struct insn *insn)
{
	(void)insn;
	vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false, "no instruction bytes in this test");
	return -1;
}

void vm_stop(struct vm *vm, int exit_value, bool from_guest, const char *fmt, ...)
{
	if (vm->state != VM_RUNNING)
		return; /* the first reason wins */
	vm->state = VM_STOPPING;
	vm->exit_value = exit_value;
	vm->exit_from_guest = from_guest;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
	va_end(ap);
}

bool vm_read_gpa(void *ctx, gpa_t gpa, void *buf, size_t len)
{
	(void)ctx;
	(void)gpa;
	(void)buf;
	(void)len;
	return false;
}

void printk(const char *fmt, ...)
{
	(void)fmt;
}

bool apic_emulate_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *value)
{
	(void)v;
	(void)write;
	seen.apic_msrs++;
	*value = msr; /* tells the check which MSR reached the APIC */
	return true;
}

bool platform_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value)
{
	(void)v;
	(void)size;
	seen.io++;
	if (in)
		*value = 0x1200u | (port & 0xff);
	return true;
}

bool vcpu_mmio(struct vcpu *v, uint64_t gpa)
{
	(void)v;
	(void)gpa;
	seen.mmio++;
	return seen.mmio_claims;
}

void string_io(struct vcpu *v, uint64_t info)
{
	(void)v;
	(void)info;
	seen.string_io++;
}

void avic_exit_incomplete_ipi(struct vcpu *v)
{
	(void)v;
	seen.avic++;
}

void avic_exit_noaccel(struct vcpu *v)
{
	(void)v;
	seen.avic++;
}

bool tpr_cr8_write(struct vcpu *v, uint64_t value)
{
	(void)v;
	return value < 16;
}

void lazy_regs_sync_xcr0(struct lazy_regs *l)
{
	(void)l;
}

void lazy_regs_set_xcr0(struct lazy_regs *l, uint64_t xcr0)
{
	l->xcr0 = xcr0;
}

const struct test_hooks *test_hooks(void)
{
	return NULL; /* the image users boot */
}

/* ---- one vCPU in protected mode, its VM running -------------------------------------------- */
static struct vm vm;
static struct vmcb vmcb;
static struct vcpu vcpu;
#define RIP 0x1000

static struct cpuid_regs host_cpuid(uint32_t leaf, uint32_t subleaf)
{
	(void)subleaf;
	if (leaf == 0)
		return (struct cpuid_regs){0x10, 0x68747541, 0x444d4163, 0x69746e65};
	return (struct cpuid_regs){0, 0, 0, 0};
}

static void reset(uint64_t exit_code)
{
	memset(&vm, 0, sizeof(vm));
	memset(&vmcb, 0, sizeof(vmcb));
	memset(&vcpu, 0, sizeof(vcpu));
	memset(&seen, 0, sizeof(seen));
	vm.state = VM_RUNNING;
	vm.vcpu_count = 1;
	vm.vcpu[0] = &vcpu;
	vcpu.vm = &vm;
	vcpu.vmcb = &vmcb;
	vmcb.save.cr0 = CR0_PE | CR0_ET;
	vmcb.save.efer = EFER_SVME;
	vmcb.save.rip = RIP;
	vmcb.control.exit_code = exit_code;
}

static enum exit_outcome dispatch(uint64_t exit_code)
{
	vmcb.control.exit_code = exit_code;
	return exit_dispatch(&vcpu);
}

/* ---- the checks ---------------------------------------------------------------------------- */
static void nothing_to_do(void)
{
	const uint64_t codes[] = {VMEXIT_INTR, VMEXIT_NMI, VMEXIT_SMI, VMEXIT_VINTR};
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		reset(codes[i]);
		CHECK_EQ(dispatch(codes[i]), EXIT_RESUME);
		CHECK_EQ(vmcb.save.rip, RIP);
		CHECK_EQ(seen.injected, 0);
		CHECK_EQ(vcpu.stats.total, 1); /* every exit is counted */
	}
}

static void cpuid_msr_rdpmc(void)
{
	reset(VMEXIT_CPUID);
	vcpu.regs.gpr[GPR_RAX] = 0;
	CHECK_EQ(dispatch(VMEXIT_CPUID), EXIT_RESUME);
	CHECK_EQ(vmcb.save.rip, RIP + 2);
	CHECK_EQ(vcpu.regs.gpr[GPR_RBX], 0x68747541); /* the policy's answer, vendor */

	reset(VMEXIT_MSR); /* RDMSR EFER: the guest never sees SVME */
	vcpu.regs.gpr[GPR_RCX] = MSR_EFER;
	CHECK_EQ(dispatch(VMEXIT_MSR), EXIT_RESUME);
	CHECK_EQ(vmcb.save.rip, RIP + 2);
	CHECK_EQ(vcpu.regs.gpr[GPR_RAX] & EFER_SVME, 0);

	reset(VMEXIT_MSR); /* an MSR the CPU model does not have: #GP, RIP stays */
	vcpu.regs.gpr[GPR_RCX] = 0xc0011234;
	CHECK_EQ(dispatch(VMEXIT_MSR), EXIT_RESUME);
	CHECK_EQ(seen.injected, 1);
	CHECK_EQ(seen.vector, 13);
	CHECK(seen.has_error);
	CHECK_EQ(vmcb.save.rip, RIP);

	reset(VMEXIT_MSR); /* IA32_APIC_BASE and x2APIC registers go to the virtual APIC */
	vcpu.regs.gpr[GPR_RCX] = MSR_APIC_BASE;
	CHECK_EQ(dispatch(VMEXIT_MSR), EXIT_RESUME);
	vcpu.regs.gpr[GPR_RCX] = 0x830;
	CHECK_EQ(dispatch(VMEXIT_MSR), EXIT_RESUME);
	CHECK_EQ(seen.apic_msrs, 2);
	CHECK_EQ(vcpu.regs.gpr[GPR_RAX], 0x830);
	CHECK_EQ(vmcb.save.rip, RIP + 4);

	reset(VMEXIT_RDPMC); /* counter 9 does not exist: #GP */
	vcpu.regs.gpr[GPR_RCX] = 9;
	CHECK_EQ(dispatch(VMEXIT_RDPMC), EXIT_RESUME);
	CHECK_EQ(seen.vector, 13);
	CHECK_EQ(vmcb.save.rip, RIP);
}

static void hlt(void)
{
	reset(VMEXIT_HLT); /* nothing to deliver: the vCPU halts, past its HLT */
	CHECK_EQ(dispatch(VMEXIT_HLT), EXIT_HALT);
	CHECK_EQ(vmcb.save.rip, RIP + 1);
	reset(VMEXIT_HLT); /* an event is being injected (a single-step #DB after HLT): resume */
	vmcb.control.event_inj = event_make(EVENT_EXCEPTION, 1);
	CHECK_EQ(dispatch(VMEXIT_HLT), EXIT_RESUME);
}

static void vmmcall(void)
{
	reset(VMEXIT_VMMCALL);
	vcpu.regs.gpr[GPR_RAX] = HC_VERSION;
	CHECK_EQ(dispatch(VMEXIT_VMMCALL), EXIT_RESUME);
	CHECK_EQ(vcpu.regs.gpr[GPR_RAX], DOORBELL_ABI_VERSION);
	CHECK_EQ(vmcb.save.rip, RIP + 3);

	reset(VMEXIT_VMMCALL); /* from user mode: refused */
	vmcb.save.cpl = 3;
	vcpu.regs.gpr[GPR_RAX] = HC_EXIT;
	CHECK_EQ(dispatch(VMEXIT_VMMCALL), EXIT_RESUME);
	CHECK_EQ(vcpu.regs.gpr[GPR_RAX], (uint64_t)HC_E_PERM);
	CHECK_EQ(vm.state, VM_RUNNING);

	reset(VMEXIT_VMMCALL); /* the test-only hypercall is unknown in the image users boot */
	vcpu.regs.gpr[GPR_RAX] = HC_TEST_DEVICE_IRQ;
	CHECK_EQ(dispatch(VMEXIT_VMMCALL), EXIT_RESUME);
	CHECK_EQ(vcpu.regs.gpr[GPR_RAX], (uint64_t)HC_E_NOSYS);

	reset(VMEXIT_VMMCALL); /* HC_EXIT: the handler stops the VM, so the exit's outcome is STOP */
	vcpu.regs.gpr[GPR_RAX] = HC_EXIT;
	vcpu.regs.gpr[GPR_RBX] = 0x21;
	CHECK_EQ(dispatch(VMEXIT_VMMCALL), EXIT_STOP);
	CHECK_EQ(vm.exit_value, 0x21);
	CHECK(vm.exit_from_guest);
	CHECK(strstr(vm.stop_reason, "HC_EXIT(0x21)") != NULL);

	reset(VMEXIT_VMMCALL); /* HC_DEBUG_VCPU of a vCPU the VM does not have */
	vcpu.regs.gpr[GPR_RAX] = HC_DEBUG_VCPU;
	vcpu.regs.gpr[GPR_RBX] = 1;
	CHECK_EQ(dispatch(VMEXIT_VMMCALL), EXIT_RESUME);
	CHECK_EQ(vcpu.regs.gpr[GPR_RAX], (uint64_t)HC_E_INVAL);
	CHECK_EQ(vm.debug_requests, 0);
}

static void stops(void)
{
	reset(VMEXIT_SHUTDOWN);
	CHECK_EQ(dispatch(VMEXIT_SHUTDOWN), EXIT_STOP);
	CHECK_EQ(vm.exit_value, QEMU_EXIT_GUEST_FAULT);
	CHECK(!vm.exit_from_guest);
	CHECK(strstr(vm.stop_reason, "triple fault") != NULL);

	reset(VMEXIT_NPF); /* nothing at the address: stopped, naming it */
	vmcb.control.exit_info2 = 0xabc000;
	vmcb.control.exit_info1 = 2; /* a write */
	CHECK_EQ(dispatch(VMEXIT_NPF), EXIT_STOP);
	CHECK(strstr(vm.stop_reason, "write to unmapped guest-physical address 0xabc000") != NULL);
	reset(VMEXIT_NPF); /* a device claimed it */
	seen.mmio_claims = true;
	CHECK_EQ(dispatch(VMEXIT_NPF), EXIT_RESUME);
	CHECK_EQ(seen.mmio, 1);

	reset(VMEXIT_TASK_SWITCH); /* not intercepted: unexpected */
	CHECK_EQ(dispatch(VMEXIT_TASK_SWITCH), EXIT_STOP);
	CHECK(strstr(vm.stop_reason, "unexpected exit code 0x7d") != NULL);
	reset(0x5000); /* an exit code outside every slot */
	CHECK_EQ(dispatch(0x5000), EXIT_STOP);
	CHECK(strstr(vm.stop_reason, "unexpected exit code 0x5000") != NULL);

	reset(VMEXIT_INVALID); /* VMRUN refused the state: the consistency check is named */
	vmcb.save.efer = 0;
	CHECK_EQ(dispatch(0x00000000ffffffffull), EXIT_STOP);
	CHECK(strstr(vm.stop_reason, "VMEXIT_INVALID (illegal guest state: EFER.SVME is clear)"));
}

static void undefined_and_reflected(void)
{
	const uint64_t ud[] = {VMEXIT_VMRUN, VMEXIT_VMLOAD, VMEXIT_VMSAVE, VMEXIT_STGI,
			       VMEXIT_CLGI, VMEXIT_SKINIT, VMEXIT_INVLPGA, VMEXIT_MONITOR,
			       VMEXIT_MWAIT};
	for (unsigned i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
		reset(ud[i]);
		CHECK_EQ(dispatch(ud[i]), EXIT_RESUME);
		CHECK(seen.injected == 1 && seen.vector == 6 && !seen.has_error);
		CHECK_EQ(vmcb.save.rip, RIP);
	}
	reset(VMEXIT_EXCP_BASE + 17); /* #AC is reflected with its error code */
	CHECK_EQ(dispatch(VMEXIT_EXCP_BASE + 17), EXIT_RESUME);
	CHECK(seen.injected == 1 && seen.vector == 17 && seen.has_error);
	reset(VMEXIT_EXCP_BASE + 17); /* raised while delivering another event: that one again */
	vmcb.control.exit_int_info = event_make(EVENT_INTR, 0x30);
	CHECK_EQ(dispatch(VMEXIT_EXCP_BASE + 17), EXIT_RESUME);
	CHECK_EQ(seen.injected, 0);

	reset(VMEXIT_INVD); /* a no-op at CPL 0, #GP above */
	CHECK_EQ(dispatch(VMEXIT_INVD), EXIT_RESUME);
	CHECK_EQ(vmcb.save.rip, RIP + 2);
	reset(VMEXIT_INVD);
	vmcb.save.cpl = 3;
	CHECK_EQ(dispatch(VMEXIT_INVD), EXIT_RESUME);
	CHECK(seen.injected == 1 && seen.vector == 13);

	reset(VMEXIT_XSETBV); /* without CR4.OSXSAVE: #UD */
	CHECK_EQ(dispatch(VMEXIT_XSETBV), EXIT_RESUME);
	CHECK(seen.injected == 1 && seen.vector == 6);
}

static void nmi_iret_single_step(void)
{
	reset(VMEXIT_IRET); /* the NMI handler's IRET is stepped: TF set, the intercept off */
	vcpu.nmi_masked = true;
	vmcb.control.intercept_misc1 = INTERCEPT_IRET;
	CHECK_EQ(dispatch(VMEXIT_IRET), EXIT_RESUME);
	CHECK(vcpu.nmi_iret_step && vcpu.nmi_masked);
	CHECK(vmcb.save.rflags & RFLAGS_TF);
	CHECK_EQ(vmcb.control.intercept_misc1 & INTERCEPT_IRET, 0);
	/* the trap after it unmasks NMIs and is doorbell's: nothing reflected, DR6 as it was */
	vmcb.save.dr6 = 0x4ff0;
	CHECK_EQ(dispatch(VMEXIT_EXCP_BASE + 1), EXIT_RESUME);
	CHECK(!vcpu.nmi_iret_step && !vcpu.nmi_masked);
	CHECK_EQ(seen.injected, 0);
	CHECK_EQ(vmcb.save.dr6, 0);
	CHECK_EQ(dispatch(VMEXIT_EXCP_BASE + 1), EXIT_RESUME); /* any other #DB: the guest's */
	CHECK(seen.injected == 1 && seen.vector == 1);
}

static void io_and_cr(void)
{
	reset(VMEXIT_IOIO); /* IN AL, 0x71: through the platform, RIP from EXITINFO2 */
	vmcb.control.exit_info1 = ioio_info_set_port(ioio_info_set_sz8(ioio_info_set_in(0, 1), 1),
						     0x71);
	vmcb.control.exit_info2 = RIP + 2;
	vcpu.regs.gpr[GPR_RAX] = 0xaaaaffff;
	CHECK_EQ(dispatch(VMEXIT_IOIO), EXIT_RESUME);
	CHECK_EQ(seen.io, 1);
	CHECK_EQ(vcpu.regs.gpr[GPR_RAX], 0xaaaaff71); /* only AL changes */
	CHECK_EQ(vmcb.save.rip, RIP + 2);
	reset(VMEXIT_IOIO); /* INS/OUTS: the string emulation */
	vmcb.control.exit_info1 = ioio_info_set_str(0, 1);
	CHECK_EQ(dispatch(VMEXIT_IOIO), EXIT_RESUME);
	CHECK(seen.string_io == 1 && seen.io == 0);

	reset(VMEXIT_CR0_WRITE); /* no decode assists and no bytes to fetch here: stopped */
	CHECK_EQ(dispatch(VMEXIT_CR0_WRITE), EXIT_STOP);
	CHECK(strstr(vm.stop_reason, "no instruction bytes") != NULL);

	reset(VMEXIT_NPF + 1); /* the AVIC exits: the VM floor's handlers, the vCPU resumes */
	CHECK_EQ(dispatch(VMEXIT_AVIC_INCOMPLETE_IPI), EXIT_RESUME);
	CHECK_EQ(dispatch(VMEXIT_AVIC_NOACCEL), EXIT_RESUME);
	CHECK_EQ(seen.avic, 2);
}

int main(void)
{
	cpuid_policy_build(host_cpuid);
	nothing_to_do();
	cpuid_msr_rdpmc();
	hlt();
	vmmcall();
	stops();
	undefined_and_reflected();
	nmi_iret_single_step();
	io_and_cr();
	return check_summary("exit");
}
