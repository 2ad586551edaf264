/* The hardware side of svm/cpu/spec.h: CPUID read once, PRED_CMD and SPEC_CTRL writes. */
#include "svm/cpu/spec.h"
#include "kernel/console.h"
#include "kernel/percpu.h"
#include "kernel/x86.h"

struct spec_caps spec_caps;

void spec_init(void)
{
	struct spec_cpuid c = {0};
	uint32_t eax1 = cpuid(1, 0).eax;
	c.family = (eax1 >> 8) & 0xf;
	if (c.family == 0xf)
		c.family += (eax1 >> 20) & 0xff;
	uint32_t max_ext = cpuid(0x80000000, 0).eax;
	if (max_ext >= 0x80000008)
		c.ebx_88 = cpuid(0x80000008, 0).ebx;
	if (max_ext >= 0x8000000a)
		c.edx_8a = cpuid(0x8000000a, 0).edx;
	if (max_ext >= 0x80000021)
		c.eax_821 = cpuid(0x80000021, 0).eax;
	spec_caps = spec_caps_decode(&c);
}

const char *spec_ctrl_mode_name(enum spec_ctrl_mode m)
{
	switch (m) {
	case SPEC_CTRL_VMCB:
		return "in the VMCB (V_SPEC_CTRL)";
	case SPEC_CTRL_SWAP:
		return "switched by WRMSR around VMRUN";
	default:
		return "not offered by the CPU: guests have none";
	}
}

void spec_print(void)
{
	const struct spec_caps *s = &spec_caps;
	printk("spec: IBPB between VMs %s; return stack buffer filled after every #VMEXIT; guest "
	       "SPEC_CTRL (bits 0x%lx) %s\n",
	       s->ibpb ? "on" : "unavailable (CPUID Fn8000_0008_EBX[12] clear)", s->ctrl_bits,
	       spec_ctrl_mode_name(s->mode));
	/* neither has a host-side mitigation (return thunks, safe RET, IBPB on #VMEXIT): say so */
	printk("spec: Retbleed %s; SRSO %s (docs/hardware.md \"Speculation\")\n",
	       s->retbleed ? "exposed (family 17h without BTC_NO): not mitigated on the host"
			   : "not affected",
	       !s->srso      ? "not affected"
	       : s->ibpb_ret ? "exposed: not mitigated on the host (IBPB between VMs clears return "
			       "predictions)"
			     : "exposed: not mitigated (no IBPB_RET)");
}

void spec_cpu_init(void)
{
	struct percpu *cpu = this_cpu();
	cpu->spec_last_vm = 0;
	cpu->spec_host_ctrl = spec_caps.mode == SPEC_CTRL_NONE ? 0 : rdmsr(MSR_SPEC_CTRL);
}

void spec_ibpb(void)
{
	if (spec_caps.ibpb)
		wrmsr(MSR_PRED_CMD, PRED_CMD_IBPB);
}

bool spec_vcpu_load(uint32_t vm_tag)
{
	struct percpu *cpu = this_cpu();
	bool due = spec_ibpb_due(&spec_caps, cpu->spec_last_vm, vm_tag);
	cpu->spec_last_vm = vm_tag;
	if (due)
		spec_ibpb();
	return due;
}

void spec_guest_enter(uint64_t guest_ctrl)
{
	if (spec_ctrl_swap_due(&spec_caps, guest_ctrl, this_cpu()->spec_host_ctrl))
		wrmsr(MSR_SPEC_CTRL, guest_ctrl);
}

void spec_guest_exit(uint64_t guest_ctrl)
{
	/* the RSB was filled already, in svm_world_switch() before its RET */
	uint64_t host = this_cpu()->spec_host_ctrl;
	if (spec_ctrl_swap_due(&spec_caps, guest_ctrl, host))
		wrmsr(MSR_SPEC_CTRL, host);
}
