// sources: svm/cpu/cpuid.c svm/cpu/xcr0.c
/* The CPUID policy of docs/cpuid.md against a fake host (an EPYC-Rome-like CPU with SVM and every
 * bit the rules hide set): what is passed, masked and synthesized, the caps on the highest leaves,
 * zeros for leaves without a rule, the per-vCPU topology, and the bits that follow the vCPU's own
 * CR4 and IA32_APIC_BASE.EN. */
#include "svm/cpu/cpuid.h"
#include "svm/cpu/hypercall.h"
#include "tests/unit/check.h"

#define B(n) (1u << (n))

static struct cpuid_regs fake_host(uint32_t leaf, uint32_t subleaf)
{
	switch (leaf) {
	case 0:
		return (struct cpuid_regs){0x20, 0x68747541, 0x444d4163, 0x69746e65};
	case 1:
		/* MONITOR, VMX, x2APIC clear, TSC-deadline, XSAVE, OSXSAVE (the host's CR4) */
		return (struct cpuid_regs){0x830f10, 0x12345678, B(3) | B(5) | B(24) | B(26) | B(27),
					   B(9) | B(12) | B(22) | B(28)};
	case 6:
		return (struct cpuid_regs){B(2) | B(0), 0, B(0), 0};
	case 7:
		if (subleaf == 0)
			return (struct cpuid_regs){1, B(0) | B(2) | B(7), B(3) | B(5), B(26) | B(31)};
		return (struct cpuid_regs){B(4), 0, 0, 0};
	case 0xa:
		return (struct cpuid_regs){0x7300403, 0, 0, 0};
	case 0xb:
		return (struct cpuid_regs){1, 2, 0x100, 7};
	case 0x80000000:
		return (struct cpuid_regs){0x80000030, 0, 0, 0};
	case 0x80000001:
		/* SVM, IBS, SKINIT, MONITORX; PerfCtrExtCore clear; LM, NX, RDTSCP */
		return (struct cpuid_regs){0, 0, B(2) | B(10) | B(12) | B(29), B(20) | B(27) | B(29)};
	case 0x80000008:
		return (struct cpuid_regs){0x3030, B(12) | B(0), 0x3f, 0};
	case 0x8000000a:
		return (struct cpuid_regs){1, 0x8000, 0, 0xff};
	case 0x8000001f:
		return (struct cpuid_regs){0xf, 0, 0, 0};
	}
	return (struct cpuid_regs){leaf, subleaf, 0x5a5a5a5a, 0xa5a5a5a5};
}

static struct cpuid_vcpu vcpu = {.index = 2, .vcpu_count = 3};

int main(void)
{
	cpuid_policy_build(fake_host);
	vcpu.apic_enabled = true;
	struct cpuid_regs r = cpuid_guest(&vcpu, 0, 0);
	CHECK_EQ(r.eax, 0x1f); /* capped */
	CHECK_EQ(r.ebx, 0x68747541);
	r = cpuid_guest(&vcpu, 1, 0);
	CHECK_EQ(r.ebx >> 24, 2);            /* APIC ID = vCPU index */
	CHECK_EQ((r.ebx >> 16) & 0xff, 3);   /* vCPU count */
	CHECK_EQ(r.ebx & 0xffff, 0x5678);    /* passed */
	CHECK(!(r.ecx & (B(3) | B(5) | B(24)))); /* MONITOR, VMX, TSC-deadline hidden */
	CHECK(r.ecx & B(21) && r.ecx & B(31));   /* x2APIC, hypervisor synthesized */
	CHECK(!(r.ecx & B(27)));                 /* OSXSAVE: the guest's CR4.OSXSAVE is clear */
	CHECK(!(r.edx & B(22)) && r.edx & B(9) && r.edx & B(12));
	vcpu.cr4 = CR4_OSXSAVE | CR4_PKE;
	CHECK(cpuid_guest(&vcpu, 1, 0).ecx & B(27));
	vcpu.apic_enabled = false;
	CHECK(!(cpuid_guest(&vcpu, 1, 0).edx & B(9))); /* APIC follows APIC_BASE.EN */
	vcpu.apic_enabled = true;
	r = cpuid_guest(&vcpu, 6, 0);
	CHECK_EQ(r.eax, B(2)); /* ARAT only */
	CHECK_EQ(r.ecx, 0);
	r = cpuid_guest(&vcpu, 7, 0);
	CHECK_EQ(r.ebx, B(0) | B(7)); /* SGX hidden */
	CHECK_EQ(r.ecx, B(3) | B(4)); /* WAITPKG hidden, OSPKE = PKU && CR4.PKE */
	CHECK_EQ(r.edx, 0);          /* speculation-control MSRs hidden */
	CHECK_EQ(cpuid_guest(&vcpu, 7, 1).eax, B(4)); /* subleaf 1 passed */
	r = cpuid_guest(&vcpu, 0xa, 0);
	CHECK_EQ(r.eax | r.ebx | r.ecx | r.edx, 0); /* no rule: zeros */
	r = cpuid_guest(&vcpu, 0xb, 1);
	CHECK_EQ(r.ebx, 3);
	CHECK_EQ(r.edx, 2);
	CHECK_EQ(r.eax, 2); /* bits for 3 vCPUs */
	CHECK_EQ(cpuid_guest(&vcpu, 0xb, 5).edx, 2);
	r = cpuid_guest(&vcpu, 0x80000000, 0);
	CHECK_EQ(r.eax, 0x80000021); /* capped */
	r = cpuid_guest(&vcpu, 0x80000001, 0);
	CHECK_EQ(r.ecx, B(23)); /* SVM, IBS, SKINIT, MONITORX hidden; PerfCtrExtCore synthesized */
	CHECK(cpuid_has(CPUID_F_PERFCTR_CORE) && cpuid_has(CPUID_F_RDTSCP) && cpuid_has(CPUID_F_LM));
	CHECK(!cpuid_has(CPUID_F_PCID) && !cpuid_has(CPUID_F_MCA));
	r = cpuid_guest(&vcpu, 0x80000008, 0);
	CHECK_EQ(r.eax, 0x3030);
	/* IBPB passes (PRED_CMD is emulated), EferLmsleUnsupported synthesized */
	CHECK_EQ(r.ebx, B(0) | B(12) | B(20));
	CHECK(cpuid_has(CPUID_F_IBPB));
	CHECK_EQ(r.ecx & 0xff, 2);     /* NC = vCPUs - 1 */
	CHECK_EQ(cpuid_maxphyaddr(), 0x30);
	r = cpuid_guest(&vcpu, 0x8000000a, 0);
	CHECK_EQ(r.eax | r.ebx | r.ecx | r.edx, 0); /* no nested SVM */
	r = cpuid_guest(&vcpu, 0x8000001f, 0);
	CHECK_EQ(r.eax, 0); /* SEV */
	CHECK_EQ(cpuid_guest(&vcpu, 0x80000025, 0).eax, 0); /* beyond the cap */
	CHECK_EQ(cpuid_guest(&vcpu, 0x8000001e, 0).eax, 2);
	CHECK_EQ(cpuid_guest(&vcpu, DOORBELL_CPUID_BASE, 0).ebx, DOORBELL_CPUID_SIG_EBX);
	CHECK_EQ(cpuid_guest(&vcpu, DOORBELL_CPUID_INFO, 0).ecx, 3);
	CHECK_EQ(cpuid_guest(&vcpu, 0x40000005, 0).eax, 0);
	return check_summary("cpuid_policy");
}
