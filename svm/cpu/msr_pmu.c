/* Performance counters of the guest's CPU model (APM vol. 2, 13.2): the legacy PerfEvtSel0-3 /
 * PerfCtr0-3 (C001_0000-C001_0007), and with PerfCtrExtCore (CPUID Fn8000_0001_ECX[23]) the six
 * core counters PerfEvtSel0-5 / PerfCtr0-5 (C001_0200-C001_020B), of which the legacy MSRs are
 * aliases of the first four. They hold what the guest writes, with #GP for reserved PerfEvtSel
 * bits; they do not count (as under QEMU's TCG), which docs/cpuid.md states. */
#include "svm/cpu/cpuid.h"
#include "svm/cpu/msr.h"

#define MSR_K7_PERF_CTL0 0xc0010000u
#define MSR_K7_PERF_CTR0 0xc0010004u
#define K7_COUNTERS 4
#define MSR_CORE_PERF_CTL0 0xc0010200u
#define CORE_PERF_MSRS (2 * PMU_COUNTERS)
/* PerfEvtSel: reserved 19, 21, 39:36, 63:42 (HostOnly 41 and GuestOnly 40 are defined) */
#define PERF_CTL_RESERVED (BIT(19) | BIT(21) | (0xfull << 36) | (~0ull << 42))
#define PERF_CTR_WIDTH 48

static bool counter_access(uint64_t *reg, bool ctl, bool write, uint64_t *value)
{
	if (!write) {
		*value = *reg;
		return true;
	}
	if (ctl && (*value & PERF_CTL_RESERVED))
		return false;
	/* a counter is 48 bits wide: higher bits of a write are dropped, as the CPU does */
	*reg = ctl ? *value : *value & ((1ull << PERF_CTR_WIDTH) - 1);
	return true;
}

bool msr_pmu_rdpmc(struct vcpu_msrs *m, uint32_t index, uint64_t *value)
{
	/* ECX 0-3 the legacy counters, 4-5 the core ones (APM vol. 3, RDPMC); the NB and L3
	 * counters (6-15) are not offered */
	unsigned count = cpuid_has(CPUID_F_PERFCTR_CORE) ? PMU_COUNTERS : K7_COUNTERS;
	if (index >= count)
		return false;
	*value = m->perf_ctr[index];
	return true;
}

bool msr_pmu_access(struct vcpu_msrs *m, uint32_t msr, bool write, uint64_t *value, bool *handled)
{
	if (msr >= MSR_K7_PERF_CTL0 && msr < MSR_K7_PERF_CTR0 + K7_COUNTERS) {
		*handled = true;
		unsigned i = (msr - MSR_K7_PERF_CTL0) % K7_COUNTERS;
		bool ctl = msr < MSR_K7_PERF_CTR0;
		return counter_access(ctl ? &m->perf_ctl[i] : &m->perf_ctr[i], ctl, write, value);
	}
	if (msr >= MSR_CORE_PERF_CTL0 && msr < MSR_CORE_PERF_CTL0 + CORE_PERF_MSRS &&
	    cpuid_has(CPUID_F_PERFCTR_CORE)) {
		*handled = true;
		unsigned i = (msr - MSR_CORE_PERF_CTL0) / 2;
		bool ctl = !(msr & 1);
		return counter_access(ctl ? &m->perf_ctl[i] : &m->perf_ctr[i], ctl, write, value);
	}
	return false;
}
