#include "svm/cpu/cpuid.h"
#include "svm/vm/hypercall.h"
#include "svm/vm/vm.h"

#define CPUID_1_ECX_MONITOR BIT(3)
#define CPUID_1_ECX_VMX BIT(5)
#define CPUID_1_ECX_X2APIC BIT(21)
#define CPUID_1_ECX_TSC_DEADLINE BIT(24)
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CPUID_8000_0001_ECX_SVM BIT(2)
#define CPUID_8000_0001_ECX_SKINIT BIT(12)

struct cpuid_regs cpuid_guest(struct vcpu *v, uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r = {0, 0, 0, 0};
	if (leaf == DOORBELL_CPUID_BASE) {
		r.eax = DOORBELL_CPUID_INFO;
		r.ebx = DOORBELL_CPUID_SIG_EBX;
		r.ecx = DOORBELL_CPUID_SIG_ECX;
		r.edx = DOORBELL_CPUID_SIG_EDX;
		return r;
	}
	if (leaf == DOORBELL_CPUID_INFO) {
		r.eax = DOORBELL_ABI_VERSION;
		r.ebx = v->index;
		r.ecx = v->vm->vcpu_count;
		return r;
	}
	if ((leaf & 0xf0000000u) == 0x40000000u)
		return r;
	r = cpuid(leaf, subleaf);
	switch (leaf) {
	case 1:
		/* APIC ID = vCPU index (EBX[31:24]); logical processor count (EBX[23:16]) */
		r.ebx = (r.ebx & 0x0000ffffu) | (v->index << 24) | ((v->vm->vcpu_count & 0xff) << 16);
		r.ecx |= CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_X2APIC;
		/* no MWAIT, no VMX, and no TSC-deadline: the virtual APIC does not offer it */
		r.ecx &= ~(CPUID_1_ECX_MONITOR | CPUID_1_ECX_VMX | CPUID_1_ECX_TSC_DEADLINE);
		break;
	case 0xb:
		/* x2APIC topology: one thread per core, x2APIC ID = vCPU index */
		r.edx = v->index;
		break;
	case 0x80000001:
		r.ecx &= ~(CPUID_8000_0001_ECX_SVM | CPUID_8000_0001_ECX_SKINIT);
		break;
	case 0x8000000a:
		r = (struct cpuid_regs){0, 0, 0, 0}; /* no nested SVM */
		break;
	}
	return r;
}
