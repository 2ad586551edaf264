/* The MTRRs of a guest whose CPUID advertises them (Fn0000_0001_EDX[12]; APM vol. 2, 7.7): MTRRcap
 * (read-only), MTRRdefType, 8 variable-range pairs and the 11 fixed-range MSRs. They hold what the
 * guest writes, with #GP for reserved bits and undefined memory types (APM vol. 2, 7.7.1); memory
 * types come from the host's nested page tables and the guest's PAT, so they have no effect on
 * caching (the guest's RAM is write-back). */
#include "svm/cpu/cpuid.h"
#include "svm/cpu/msr.h"

#define MSR_MTRRCAP 0xfeu
#define MSR_MTRR_PHYS_BASE0 0x200u
#define MSR_MTRR_FIX64K_00000 0x250u
#define MSR_MTRR_FIX16K_80000 0x258u
#define MSR_MTRR_FIX16K_A0000 0x259u
#define MSR_MTRR_FIX4K_C0000 0x268u
#define MSR_MTRR_FIX4K_F8000 0x26fu
#define MSR_MTRR_DEF_TYPE 0x2ffu
#define MTRRCAP_FIX BIT(8)
#define MTRRCAP_WC BIT(10)
#define MTRR_DEF_TYPE_VALID (0xffull | BIT(10) | BIT(11)) /* type, FE, E */
#define MTRR_PHYS_MASK_VALID BIT(11)

/* UC, WC, WT, WP, WB (APM vol. 2, table 7-7); 2, 3 and 7-255 are reserved */
static bool mtrr_type_ok(uint8_t t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool mtrr_var_ok(unsigned index, uint64_t value)
{
	uint64_t addr = ((1ull << cpuid_maxphyaddr()) - 1) & ~0xfffull;
	if (index % 2 == 0) /* PhysBase: type, then the base address */
		return !(value & ~(addr | 0xff)) && mtrr_type_ok((uint8_t)value);
	return !(value & ~(addr | MTRR_PHYS_MASK_VALID)); /* PhysMask: valid, then the mask */
}

static int fixed_index(uint32_t msr)
{
	if (msr == MSR_MTRR_FIX64K_00000)
		return 0;
	if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000)
		return 1 + (int)(msr - MSR_MTRR_FIX16K_80000);
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr <= MSR_MTRR_FIX4K_F8000)
		return 3 + (int)(msr - MSR_MTRR_FIX4K_C0000);
	return -1;
}

static bool rw(uint64_t *reg, bool write, uint64_t *value)
{
	if (write)
		*reg = *value;
	else
		*value = *reg;
	return true;
}

bool msr_mtrr_access(struct vcpu_msrs *m, uint32_t msr, bool write, uint64_t *value, bool *handled)
{
	bool mtrr = cpuid_has(CPUID_F_MTRR);
	int fixed = fixed_index(msr);
	if (!mtrr)
		return false; /* a CPU without MTRRs: none of them exists */
	if (msr == MSR_MTRRCAP) {
		*handled = true;
		if (write)
			return false; /* read-only */
		*value = MTRR_VAR_COUNT | MTRRCAP_FIX | MTRRCAP_WC;
		return true;
	}
	if (msr == MSR_MTRR_DEF_TYPE) {
		*handled = true;
		if (write && ((*value & ~MTRR_DEF_TYPE_VALID) || !mtrr_type_ok((uint8_t)*value)))
			return false;
		return rw(&m->mtrr_def_type, write, value);
	}
	if (msr >= MSR_MTRR_PHYS_BASE0 && msr < MSR_MTRR_PHYS_BASE0 + 2 * MTRR_VAR_COUNT) {
		*handled = true;
		unsigned i = msr - MSR_MTRR_PHYS_BASE0;
		if (write && !mtrr_var_ok(i, *value))
			return false;
		return rw(&m->mtrr_var[i], write, value);
	}
	if (fixed >= 0) {
		*handled = true;
		for (unsigned b = 0; write && b < 8; b++)
			if (!mtrr_type_ok((uint8_t)(*value >> (8 * b))))
				return false;
		return rw(&m->mtrr_fixed[fixed], write, value);
	}
	return false;
}
