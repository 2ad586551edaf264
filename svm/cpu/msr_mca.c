/* Machine-check MSRs of a guest whose CPUID advertises MCE and MCA (Fn0000_0001_EDX[7,14]; APM
 * vol. 2, 9.3): MCG_CAP (read-only: MCA_BANKS banks, MCG_CTL present), MCG_STATUS, MCG_CTL and
 * each bank's MCi_CTL, MCi_STATUS, MCi_ADDR, MCi_MISC. No machine check is ever reported to a
 * guest; the registers hold what it writes. MCG_CTL and MCi_CTL take only all-zeros or all-ones,
 * and MCi_STATUS only zero unless HWCR.McStatusWrEn is set (APM vol. 2, 9.3.2.1), else #GP. */
#include "svm/cpu/cpuid.h"
#include "svm/cpu/msr.h"

#define MSR_MCG_CAP 0x179u
#define MSR_MCG_STATUS 0x17au
#define MSR_MCG_CTL 0x17bu
#define MSR_MC0_CTL 0x400u
#define MCG_CTL_P BIT(8)
#define MCG_STATUS_VALID 0x7ull /* RIPV, EIPV, MCIP */
#define HWCR_MCSTATUSWREN BIT(18)

static bool all_or_nothing(uint64_t value)
{
	return value == 0 || value == ~0ull;
}

bool msr_mca_access(struct vcpu_msrs *m, uint32_t msr, bool write, uint64_t *value, bool *handled)
{
	uint64_t *reg;
	if (!cpuid_has(CPUID_F_MCE) || !cpuid_has(CPUID_F_MCA))
		return false;
	if (msr == MSR_MCG_CAP) {
		*handled = true;
		if (write)
			return false;
		*value = MCA_BANKS | MCG_CTL_P;
		return true;
	} else if (msr == MSR_MCG_STATUS) {
		if (write && (*value & ~MCG_STATUS_VALID))
			return (*handled = true), false;
		reg = &m->mcg_status;
	} else if (msr == MSR_MCG_CTL) {
		if (write && !all_or_nothing(*value))
			return (*handled = true), false;
		reg = &m->mcg_ctl;
	} else if (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * MCA_BANKS) {
		unsigned i = msr - MSR_MC0_CTL;
		if (write && i % 4 == 0 && !all_or_nothing(*value))
			return (*handled = true), false;
		if (write && i % 4 == 1 && *value && !(m->hwcr & HWCR_MCSTATUSWREN))
			return (*handled = true), false;
		reg = &m->mc_bank[i];
	} else {
		return false;
	}
	*handled = true;
	if (write)
		*reg = *value;
	else
		*value = *reg;
	return true;
}
