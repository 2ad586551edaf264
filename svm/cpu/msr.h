/* MSR accesses of a guest. Every MSR is intercepted (the permission map is all ones: deny by
 * default); the ones the guest's CPU model has (svm/cpuid.h, docs/cpuid.md) are emulated or backed
 * by the VMCB, with #GP where the APM gives it (reserved bits, read-only MSRs); any other MSR
 * raises #GP as on a CPU without it. */
#ifndef SVM_MSR_H
#define SVM_MSR_H

#include "kernel/x86_defs.h"

#define PMU_COUNTERS 6   /* core performance counters (PerfCtrExtCore); the legacy 4 alias 0-3 */
#define MTRR_VAR_COUNT 8 /* variable-range MTRR pairs (MTRRcap.VCNT) */
#define MTRR_FIXED_COUNT 11
#define MCA_BANKS 10     /* machine-check banks (MCG_CAP.Count) */

/* The per-vCPU MSR state that lives neither in the VMCB nor in the virtual APIC. */
struct vcpu_msrs {
	uint64_t perf_ctl[PMU_COUNTERS], perf_ctr[PMU_COUNTERS]; /* svm/msr_pmu.c */
	uint64_t mtrr_var[2 * MTRR_VAR_COUNT];                    /* base, mask pairs */
	uint64_t mtrr_fixed[MTRR_FIXED_COUNT];
	uint64_t mtrr_def_type;
	uint64_t hwcr, syscfg, tsc_aux, misc_enable;
	uint64_t spec_ctrl; /* the guest's SPEC_CTRL (svm/cpu/spec.h) */
	uint64_t mcg_status, mcg_ctl;
	uint64_t mc_bank[4 * MCA_BANKS]; /* CTL, STATUS, ADDR, MISC per bank */
	/* The guest's EFER.LME while CR0.PG is clear: kept out of the VMCB until paging is enabled,
	 * as QEMU 7.2 (unpatched) loads the host's CR0 at #VMEXIT without paging when the guest's
	 * EFER.LME is set with PG and PAE clear (docs/hostile.md, finding 4) */
	bool efer_lme;
};

/* IA32_APIC_BASE and the x2APIC registers are the virtual APIC's (svm/vm/apic_emulate.h), not
 * msr_guest_access()'s. */
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff
static inline bool msr_is_apic(uint32_t msr)
{
	return msr == MSR_APIC_BASE || (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

struct vmcb;
/* False: the guest gets #GP. */
bool msr_guest_access(struct vmcb *vmcb, struct vcpu_msrs *m, uint32_t msr, bool write,
		      uint64_t *value);
/* Power-on values (APM vol. 2, 14.1.3): at vCPU creation and INIT. */
void msr_vcpu_reset(struct vcpu_msrs *m);
/* Loads the guest's TSC_AUX into the CPU (RDTSCP and RDPID read it in guest mode). */
void msr_vcpu_load(const struct vcpu_msrs *m);

/* The performance counters (svm/cpu/msr_pmu.c), MTRRs (svm/cpu/msr_mtrr.c) and machine-check MSRs
 * (svm/cpu/msr_mca.c); each returns false for an MSR it does not own or for #GP, and sets *handled
 * when it owns the MSR. */
bool msr_pmu_access(struct vcpu_msrs *m, uint32_t msr, bool write, uint64_t *value, bool *handled);
bool msr_mtrr_access(struct vcpu_msrs *m, uint32_t msr, bool write, uint64_t *value, bool *handled);
/* RDPMC of counter index: the emulated counters (RDPMC is intercepted, so that the guest reads
 * the values its MSRs hold, never the host's); false: #GP. */
bool msr_pmu_rdpmc(struct vcpu_msrs *m, uint32_t index, uint64_t *value);
bool msr_mca_access(struct vcpu_msrs *m, uint32_t msr, bool write, uint64_t *value, bool *handled);

#endif
