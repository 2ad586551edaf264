#include "svm/cpu/msr.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "svm/cpu/cpuid.h"
#include "svm/cpu/spec.h"
#include "svm/vmcb.h"

#define MSR_IA32_PLATFORM_ID 0x17
#define MSR_IA32_BIOS_SIGN_ID 0x8b
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STRING BIT(0)
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_AMD64_NB_CFG 0xc001001f
#define MSR_TSC_AUX 0xc0000103
#define MSR_SYSCFG 0xc0010010
#define MSR_HWCR 0xc0010015

/* HWCR (APM vol. 2, 3.2.10 and the family 17h PPR): TscFreqSel (bit 24) reads as 1 and ignores
 * writes; TlbCacheDis, bit 6, IgnneEm and McStatusWrEn hold what is written; any other bit is #GP
 * (KVM's set) */
#define HWCR_TSCFREQSEL BIT(24)
#define HWCR_WRITABLE (BIT(3) | BIT(6) | BIT(8) | BIT(18))
/* SYSCFG: MtrrFixDramEn, MtrrFixDramModEn, MtrrVarDramEn, MtrrTom2En, Tom2ForceMemTypeWB; SMEE
 * and the SEV bits are reserved for a CPU that does not offer memory encryption */
#define SYSCFG_WRITABLE (0x1full << 18)

static bool msr_field(uint64_t *field, bool write, uint64_t *value)
{
	if (write)
		*field = *value;
	else
		*value = *field;
	return true;
}

/* The EFER bits the guest's CPUID offers (APM vol. 2, 3.1.7); LMSLE never (CPUID
 * Fn8000_0008_EBX[EferLmsleUnsupported] says so), SVME never (no nested SVM). */
static uint64_t efer_valid_bits(void)
{
	uint64_t valid = 0;
	if (cpuid_has(CPUID_F_SYSCALL))
		valid |= EFER_SCE;
	if (cpuid_has(CPUID_F_LM))
		valid |= EFER_LME | EFER_LMA;
	if (cpuid_has(CPUID_F_NX))
		valid |= EFER_NXE;
	if (cpuid_has(CPUID_F_FFXSR))
		valid |= EFER_FFXSR;
	if (cpuid_has(CPUID_F_TCE))
		valid |= EFER_TCE;
	return valid;
}

static bool msr_efer(struct vmcb_save *s, struct vcpu_msrs *m, bool write, uint64_t *value)
{
	if (!write) {
		/* VMRUN needs EFER.SVME in the guest's VMCB; the guest never sees it */
		*value = (s->efer | (m->efer_lme ? EFER_LME : 0)) & ~EFER_SVME;
		return true;
	}
	if (*value & ~efer_valid_bits())
		return false;
	/* LME cannot change while paging is on (APM vol. 2, 14.6.1) */
	if ((s->cr0 & CR0_PG) && ((*value ^ s->efer) & EFER_LME))
		return false;
	/* LMA is set by the CPU only: a written value is ignored. LME with paging off waits in
	 * m->efer_lme until CR0.PG is set (svm/cpu/guest_state.c). */
	s->efer = (*value & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
	if (!(s->cr0 & CR0_PG)) {
		m->efer_lme = *value & EFER_LME;
		s->efer &= ~EFER_LME;
	}
	return true;
}

/* An address MSR (FS.base, GS.base, KernelGSbase, LSTAR, CSTAR): a write of a non-canonical
 * address is #GP (APM vol. 2, 4.5.3 and 6.1.1; SDM vol. 4, table 2-2). Canonical is the CPU's
 * linear-address width: 57 bits where CPUID offers LA57, else 48, whatever CR4.LA57 says. */
static bool msr_address(uint64_t *field, bool write, uint64_t *value)
{
	unsigned bits = cpuid_has(CPUID_F_LA57) ? 57 : 48;
	int64_t canonical = (int64_t)(*value << (64 - bits)) >> (64 - bits);
	if (write && (uint64_t)canonical != *value)
		return false;
	return msr_field(field, write, value);
}

/* SPEC_CTRL: the bits the CPU has (IBRS, STIBP, SSBD), else #GP; with V_SPEC_CTRL VMRUN loads
 * the VMCB's copy, else spec_guest_enter() writes the MSR (svm/cpu/spec.h). PRED_CMD:
 * write-only, IBPB done for the guest. */
static bool msr_spec_ctrl(struct vmcb_save *s, struct vcpu_msrs *m, bool write, uint64_t *value)
{
	if (spec_caps.mode == SPEC_CTRL_NONE)
		return false;
	if (!write) {
		*value = m->spec_ctrl;
		return true;
	}
	if (!spec_ctrl_write_ok(&spec_caps, *value))
		return false;
	m->spec_ctrl = *value;
	if (spec_caps.mode == SPEC_CTRL_VMCB)
		s->spec_ctrl = *value;
	return true;
}

static bool msr_pred_cmd(bool write, uint64_t value)
{
	if (!cpuid_has(CPUID_F_IBPB) || !write || (value & ~(uint64_t)PRED_CMD_IBPB))
		return false;
	if (value & PRED_CMD_IBPB)
		spec_ibpb();
	return true;
}

static bool msr_tsc_aux(struct vcpu_msrs *m, bool write, uint64_t *value)
{
	if (!cpuid_has(CPUID_F_RDTSCP) && !cpuid_has(CPUID_F_RDPID))
		return false;
	if (!write) {
		*value = m->tsc_aux;
		return true;
	}
	if (*value >> 32)
		return false; /* bits 63:32 are reserved */
	m->tsc_aux = *value;
	msr_vcpu_load(m); /* this exit runs on the vCPU's CPU: RDTSCP sees it at once */
	return true;
}

void msr_vcpu_reset(struct vcpu_msrs *m)
{
	memset(m, 0, sizeof(*m));
	m->hwcr = HWCR_TSCFREQSEL;
	m->misc_enable = MISC_ENABLE_FAST_STRING; /* QEMU's reset value */
}

void msr_vcpu_load(const struct vcpu_msrs *m)
{
	if (cpuid_has(CPUID_F_RDTSCP) || cpuid_has(CPUID_F_RDPID))
		wrmsr(MSR_TSC_AUX, m->tsc_aux);
}

bool msr_guest_access(struct vmcb *vmcb, struct vcpu_msrs *m, uint32_t msr, bool write,
		      uint64_t *value)
{
	struct vmcb_save *s = &vmcb->save;
	switch (msr) {
	case MSR_EFER:
		return msr_efer(s, m, write, value);
	case MSR_PAT:
		/* with nested paging the guest's PAT is G_PAT (APM §15.25.8) */
		if (write) {
			for (unsigned i = 0; i < 8; i++) {
				uint8_t t = (uint8_t)(*value >> (8 * i));
				if (t == 2 || t == 3 || t > 7)
					return false;
			}
		}
		return msr_field(&s->g_pat, write, value);
	case MSR_TSC:
		if (write)
			vmcb->control.tsc_offset = *value - rdtsc();
		else
			*value = rdtsc() + vmcb->control.tsc_offset;
		return true;
	case MSR_TSC_AUX:
		return msr_tsc_aux(m, write, value);
	case MSR_SPEC_CTRL:
		return msr_spec_ctrl(s, m, write, value);
	case MSR_PRED_CMD:
		return msr_pred_cmd(write, *value);
	case MSR_HWCR:
		if (write && (*value & ~(HWCR_WRITABLE | HWCR_TSCFREQSEL)))
			return false;
		if (write)
			*value = (*value & HWCR_WRITABLE) | HWCR_TSCFREQSEL;
		return msr_field(&m->hwcr, write, value);
	case MSR_SYSCFG:
		if (write && (*value & ~SYSCFG_WRITABLE))
			return false;
		return msr_field(&m->syscfg, write, value);
	case MSR_MISC_ENABLE:
		/* Intel's, offered by QEMU and KVM to every guest: holds what is written */
		return msr_field(&m->misc_enable, write, value);
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_AMD64_NB_CFG: /* Linux sets EnableCf8ExtCfg in it at boot, unchecked */
		if (!write)
			*value = 0;
		return true; /* writes ignored, as KVM does for these */
	case MSR_SYSENTER_CS:
		return msr_field(&s->sysenter_cs, write, value);
	case MSR_SYSENTER_ESP:
		return msr_field(&s->sysenter_esp, write, value);
	case MSR_SYSENTER_EIP:
		return msr_field(&s->sysenter_eip, write, value);
	case MSR_STAR:
		return msr_field(&s->star, write, value);
	case MSR_LSTAR:
		return msr_address(&s->lstar, write, value);
	case MSR_CSTAR:
		return msr_address(&s->cstar, write, value);
	case MSR_SFMASK:
		return msr_field(&s->sfmask, write, value);
	case MSR_FS_BASE:
		return msr_address(&s->fs.base, write, value);
	case MSR_GS_BASE:
		return msr_address(&s->gs.base, write, value);
	case MSR_KERNEL_GS_BASE:
		return msr_address(&s->kernel_gs_base, write, value);
	}
	bool handled = false, ok = msr_pmu_access(m, msr, write, value, &handled);
	if (!handled)
		ok = msr_mtrr_access(m, msr, write, value, &handled);
	if (!handled)
		ok = msr_mca_access(m, msr, write, value, &handled);
	return handled && ok;
}
