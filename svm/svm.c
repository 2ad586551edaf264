#include "svm/svm.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/frame.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/x86.h"

#define CPUID_8000_0001_ECX_SVM BIT(2)

struct svm_features svm_features;

struct svm_cpu {
	uint64_t hsave_pa;     /* VM_HSAVE_PA: where VMRUN keeps host state */
	uint64_t host_vmcb_pa; /* VMSAVE/VMLOAD area for the host's hidden state */
};

/* Returns NULL when this CPU can run guests, else the reason. */
static const char *svm_cpu_problem(void)
{
	if (!(cpuid(0x80000001, 0).ecx & CPUID_8000_0001_ECX_SVM))
		return "the CPU has no SVM (CPUID 8000_0001h ECX[2] is clear); under QEMU use "
		       "-cpu EPYC-Rome,+svm";
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
		return "SVM is disabled by the firmware (VM_CR.SVMDIS is set): enable SVM / "
		       "virtualization in the firmware setup";
	if (cpuid(0x80000000, 0).eax < 0x8000000a ||
	    !(cpuid(0x8000000a, 0).edx & SVM_FEATURE_NPT))
		return "the CPU has no nested paging (CPUID 8000_000Ah EDX[0]); doorbell needs NPT";
	return NULL;
}

bool svm_check(char *why, size_t why_size)
{
	const char *problem = svm_cpu_problem();
	if (problem) {
		format(why, why_size, "CPU %u (APIC ID %u): %s", this_cpu()->index,
		       this_cpu()->apic_id, problem);
		return false;
	}
	struct cpuid_regs r = cpuid(0x8000000a, 0);
	svm_features.revision = r.eax & 0xff;
	svm_features.asids = r.ebx;
	svm_features.edx = r.edx;
	svm_features.nrips = r.edx & SVM_FEATURE_NRIPS;
	svm_features.decode_assists = r.edx & SVM_FEATURE_DECODE_ASSISTS;
	svm_features.avic = r.edx & SVM_FEATURE_AVIC;
	return true;
}

void svm_enable_cpu(void)
{
	const char *problem = svm_cpu_problem();
	if (problem)
		panic("CPU %u (APIC ID %u): %s", this_cpu()->index, this_cpu()->apic_id, problem);
	struct svm_cpu *s = (struct svm_cpu *)(uintptr_t)frame_alloc();
	uint64_t hsave = frame_alloc(), host_vmcb = frame_alloc();
	if (!s || !hsave || !host_vmcb)
		panic("svm: out of memory enabling SVM on CPU %u", this_cpu()->index);
	memset((void *)(uintptr_t)hsave, 0, PAGE_SIZE);
	memset((void *)(uintptr_t)host_vmcb, 0, PAGE_SIZE);
	s->hsave_pa = hsave;
	s->host_vmcb_pa = host_vmcb;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	this_cpu()->svm = s;
}

uint64_t svm_host_vmcb_pa(void)
{
	return ((struct svm_cpu *)this_cpu()->svm)->host_vmcb_pa;
}
