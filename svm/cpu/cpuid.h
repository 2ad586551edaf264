/* Floor 5, svm/cpu/ (docs/architecture.md "Floors").
 * Owns: the virtual CPU: CPUID policy, MSRs, control-register rules, guest registers, hypercalls.
 * May use: svm/ (the VMCB format), kernel/; sees a vCPU only as the state it is handed. */
/* What CPUID tells a guest: a policy table derived once at boot from the host's CPUID by the rules
 * of docs/cpuid.md (passed, masked, synthesized), plus the bits that follow the vCPU's own state
 * at each CPUID (APIC ID and topology, OSXSAVE, OSPKE, APIC enable) and doorbell's own leaves at
 * 0x40000000 (svm/cpu/hypercall.h). The MSR and control-register checks ask the same table what the
 * guest's CPU has (cpuid_has), so that a guest sees one consistent CPU model. */
#ifndef SVM_CPUID_H
#define SVM_CPUID_H

#include "kernel/x86.h"


enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* One feature bit: leaf, subleaf, register, bit. */
#define CPUID_FEATURE(leaf, sub, reg, bit)                                                         \
	((uint64_t)(uint32_t)(leaf) | (uint64_t)(sub) << 32 | (uint64_t)(reg) << 40 |              \
	 (uint64_t)(bit) << 48)

/* Features the MSR and control-register checks depend on (APM vol. 3, appendix E). */
#define CPUID_F_VME          CPUID_FEATURE(1, 0, CPUID_EDX, 1)
#define CPUID_F_DE           CPUID_FEATURE(1, 0, CPUID_EDX, 2)
#define CPUID_F_PSE          CPUID_FEATURE(1, 0, CPUID_EDX, 3)
#define CPUID_F_TSC          CPUID_FEATURE(1, 0, CPUID_EDX, 4)
#define CPUID_F_PAE          CPUID_FEATURE(1, 0, CPUID_EDX, 6)
#define CPUID_F_MCE          CPUID_FEATURE(1, 0, CPUID_EDX, 7)
#define CPUID_F_APIC         CPUID_FEATURE(1, 0, CPUID_EDX, 9)
#define CPUID_F_MTRR         CPUID_FEATURE(1, 0, CPUID_EDX, 12)
#define CPUID_F_PGE          CPUID_FEATURE(1, 0, CPUID_EDX, 13)
#define CPUID_F_MCA          CPUID_FEATURE(1, 0, CPUID_EDX, 14)
#define CPUID_F_PAT          CPUID_FEATURE(1, 0, CPUID_EDX, 16)
#define CPUID_F_FXSR         CPUID_FEATURE(1, 0, CPUID_EDX, 24)
#define CPUID_F_SSE          CPUID_FEATURE(1, 0, CPUID_EDX, 25)
#define CPUID_F_PCID         CPUID_FEATURE(1, 0, CPUID_ECX, 17)
#define CPUID_F_XSAVE        CPUID_FEATURE(1, 0, CPUID_ECX, 26)
#define CPUID_F_FSGSBASE     CPUID_FEATURE(7, 0, CPUID_EBX, 0)
#define CPUID_F_SMEP         CPUID_FEATURE(7, 0, CPUID_EBX, 7)
#define CPUID_F_SMAP         CPUID_FEATURE(7, 0, CPUID_EBX, 20)
#define CPUID_F_UMIP         CPUID_FEATURE(7, 0, CPUID_ECX, 2)
#define CPUID_F_PKU          CPUID_FEATURE(7, 0, CPUID_ECX, 3)
#define CPUID_F_LA57         CPUID_FEATURE(7, 0, CPUID_ECX, 16)
#define CPUID_F_RDPID        CPUID_FEATURE(7, 0, CPUID_ECX, 22)
#define CPUID_F_CET_SS       CPUID_FEATURE(7, 0, CPUID_ECX, 7)
#define CPUID_F_SYSCALL      CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 11)
#define CPUID_F_NX           CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 20)
#define CPUID_F_FFXSR        CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 25)
#define CPUID_F_RDTSCP       CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 27)
#define CPUID_F_LM           CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 29)
#define CPUID_F_TCE          CPUID_FEATURE(0x80000001, 0, CPUID_ECX, 17)
#define CPUID_F_PERFCTR_CORE CPUID_FEATURE(0x80000001, 0, CPUID_ECX, 23)
#define CPUID_F_LMSLE_UNSUPPORTED CPUID_FEATURE(0x80000008, 0, CPUID_EBX, 20)
#define CPUID_F_IBPB         CPUID_FEATURE(0x80000008, 0, CPUID_EBX, 12)

/* Builds the policy table from this CPU's CPUID; once, before any VM is created. */
void cpuid_policy_init(void);
/* The same from any source of host answers (tests/unit/test_cpuid_policy.c). */
typedef struct cpuid_regs (*cpuid_host_fn)(uint32_t leaf, uint32_t subleaf);
void cpuid_policy_build(cpuid_host_fn host);

/* What of a vCPU its CPUID answers depend on; the CPUID exit fills it (svm/vm/exit.c). */
struct cpuid_vcpu {
	unsigned index;      /* vCPU index = its APIC ID */
	unsigned vcpu_count; /* vCPUs of its VM */
	uint64_t cr4;        /* OSXSAVE and PKE are mirrored */
	uint64_t xcr0;       /* leaf 0xD's EBX is sized for it */
	bool apic_enabled;   /* IA32_APIC_BASE.EN: leaf 1 EDX[9] */
};

/* The guest's answer for leaf/subleaf on vCPU v. */
struct cpuid_regs cpuid_guest(const struct cpuid_vcpu *v, uint32_t leaf, uint32_t subleaf);

/* Whether the guest's CPU model has the feature (the static policy, not the state-dependent
 * bits). */
bool cpuid_has(uint64_t feature);

/* The guest's MAXPHYADDR (CPUID Fn8000_0008_EAX[7:0]; 36 without that leaf). */
unsigned cpuid_maxphyaddr(void);

#endif
