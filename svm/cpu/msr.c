#include "svm/cpu/msr.h"
#include "avic/vlapic/apic_emulate.h"
#include "kernel/x86.h"
#include "svm/vm/vm.h"

#define MSR_IA32_PLATFORM_ID 0x17
#define MSR_IA32_BIOS_SIGN_ID 0x8b
#define MSR_MTRRCAP 0xfe
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_TSC_AUX 0xc0000103
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff

/* EFER bits a guest may set: SCE, LME, LMA (read-only, set by the CPU), NXE, LMSLE, FFXSR */
#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | BIT(13) | BIT(14))
#define MTRR_DEF_TYPE_VALID 0xcffull /* E, FE, default type */

static bool msr_vmcb_u64(uint64_t *field, bool write, uint64_t *value)
{
	if (write)
		*field = *value;
	else
		*value = *field;
	return true;
}

bool msr_guest_access(struct vcpu *v, uint32_t msr, bool write, uint64_t *value)
{
	struct vmcb_save *s = &v->vmcb->save;
	switch (msr) {
	case MSR_EFER:
		if (!write) {
			/* VMRUN needs EFER.SVME in the guest's VMCB; the guest never sees it */
			*value = s->efer & ~EFER_SVME;
			return true;
		}
		if (*value & ~EFER_GUEST_WRITABLE)
			return false;
		s->efer = (*value & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
		return true;
	case MSR_PAT:
		/* with nested paging the guest's PAT is G_PAT (APM §15.25.8) */
		if (write) {
			for (unsigned i = 0; i < 8; i++) {
				uint8_t t = (uint8_t)(*value >> (8 * i));
				if (t == 2 || t == 3 || t > 7)
					return false;
			}
		}
		return msr_vmcb_u64(&s->g_pat, write, value);
	case MSR_TSC:
		if (write)
			v->vmcb->control.tsc_offset = *value - rdtsc();
		else
			*value = rdtsc() + v->vmcb->control.tsc_offset;
		return true;
	case MSR_APIC_BASE:
		return apic_emulate_msr(v, msr, write, value);
	case MSR_MTRRCAP:
		if (write)
			return false;
		*value = 0; /* no fixed or variable-range MTRRs: memory types come from PAT */
		return true;
	case MSR_MTRR_DEF_TYPE:
		if (write && (*value & ~MTRR_DEF_TYPE_VALID))
			return false;
		return msr_vmcb_u64(&v->mtrr_def_type, write, value);
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_MISC_ENABLE:
		if (!write)
			*value = 0;
		return true; /* writes ignored, as KVM does for these */
	case MSR_SYSENTER_CS:
		return msr_vmcb_u64(&s->sysenter_cs, write, value);
	case MSR_SYSENTER_ESP:
		return msr_vmcb_u64(&s->sysenter_esp, write, value);
	case MSR_SYSENTER_EIP:
		return msr_vmcb_u64(&s->sysenter_eip, write, value);
	case MSR_STAR:
		return msr_vmcb_u64(&s->star, write, value);
	case MSR_LSTAR:
		return msr_vmcb_u64(&s->lstar, write, value);
	case MSR_CSTAR:
		return msr_vmcb_u64(&s->cstar, write, value);
	case MSR_SFMASK:
		return msr_vmcb_u64(&s->sfmask, write, value);
	case MSR_FS_BASE:
		return msr_vmcb_u64(&s->fs.base, write, value);
	case MSR_GS_BASE:
		return msr_vmcb_u64(&s->gs.base, write, value);
	case MSR_KERNEL_GS_BASE:
		return msr_vmcb_u64(&s->kernel_gs_base, write, value);
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return apic_emulate_msr(v, msr, write, value);
	return false;
}
