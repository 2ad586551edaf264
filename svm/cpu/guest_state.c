#include "svm/cpu/guest_state.h"
#include "kernel/x86.h"
#include "svm/cpu/cpuid.h"
#include "svm/cpu/msr.h"
#include "svm/vmcb.h"

/* CR0 bits the CPU implements (APM vol. 2, 3.1.1); writes of the other bits of 31:0 are ignored,
 * bits 63:32 must be zero */
#define CR0_DEFINED                                                                                \
	(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD |  \
	 CR0_PG)
/* A change of these needs the guest's TLB flushed */
#define CR0_TLB_BITS (CR0_PG | CR0_WP | CR0_CD | CR0_NW | CR0_PE)
#define CR4_TLB_BITS                                                                               \
	(CR4_PGE | CR4_PAE | CR4_PSE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_PKE | CR4_LA57)
#define SEG_ATTR_L BIT(9)
#define SEG_ATTR_DB BIT(10)
/* EFER bits with a meaning (APM vol. 2, 3.1.7); the others must be zero for VMRUN */
#define EFER_DEFINED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME | EFER_LMSLE | \
		      EFER_FFXSR | EFER_TCE | BIT(17) | BIT(18) | BIT(20) | BIT(21))

uint64_t guest_cr4_valid_bits(void)
{
	static const struct {
		uint64_t feature, bits;
	} offered[] = {
	    {CPUID_F_VME, CR4_VME | CR4_PVI}, {CPUID_F_TSC, CR4_TSD},
	    {CPUID_F_DE, CR4_DE},             {CPUID_F_PSE, CR4_PSE},
	    {CPUID_F_PAE, CR4_PAE},           {CPUID_F_MCE, CR4_MCE},
	    {CPUID_F_PGE, CR4_PGE},           {CPUID_F_FXSR, CR4_OSFXSR},
	    {CPUID_F_SSE, CR4_OSXMMEXCPT},    {CPUID_F_UMIP, CR4_UMIP},
	    {CPUID_F_LA57, CR4_LA57},         {CPUID_F_FSGSBASE, CR4_FSGSBASE},
	    {CPUID_F_PCID, CR4_PCIDE},        {CPUID_F_XSAVE, CR4_OSXSAVE},
	    {CPUID_F_SMEP, CR4_SMEP},         {CPUID_F_SMAP, CR4_SMAP},
	    {CPUID_F_PKU, CR4_PKE},           {CPUID_F_CET_SS, CR4_CET},
	};
	uint64_t valid = CR4_PCE; /* RDPMC at CPL > 0: the counters exist on every model */
	for (unsigned i = 0; i < sizeof(offered) / sizeof(offered[0]); i++)
		if (cpuid_has(offered[i].feature))
			valid |= offered[i].bits;
	return valid;
}

static void flush_guest_tlb(struct vmcb *vmcb)
{
	vmcb->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
}

bool guest_cr0_write(struct vmcb *vmcb, struct vcpu_msrs *m, uint64_t value)
{
	struct vmcb_save *s = &vmcb->save;
	if (value >> 32)
		return false;
	value = (value & CR0_DEFINED) | CR0_ET; /* ET is fixed at 1 */
	if ((value & CR0_NW) && !(value & CR0_CD))
		return false; /* not-write-through without cache disable */
	if ((value & CR0_PG) && !(value & CR0_PE))
		return false; /* paging without protection */
	if (!(value & CR0_WP) && (s->cr4 & CR4_CET))
		return false; /* CET needs WP */
	bool pg_on = (value & CR0_PG) && !(s->cr0 & CR0_PG);
	bool pg_off = !(value & CR0_PG) && (s->cr0 & CR0_PG);
	if (pg_on && ((s->efer & EFER_LME) || m->efer_lme)) {
		/* activating long mode (APM vol. 2, 14.6.1): needs PAE, and not from a code
		 * segment with L set */
		if (!(s->cr4 & CR4_PAE) || (s->cs.attrib & SEG_ATTR_L))
			return false;
		s->efer |= EFER_LME | EFER_LMA;
		m->efer_lme = false;
	}
	if (pg_off && (s->efer & EFER_LMA)) {
		if (s->cs.attrib & SEG_ATTR_L)
			return false; /* paging cannot be turned off in 64-bit mode */
		s->efer &= ~EFER_LMA;
	}
	if (pg_off && (s->efer & EFER_LME)) {
		/* LME stays set for the guest but leaves the VMCB while paging is off (struct vcpu_msrs) */
		m->efer_lme = true;
		s->efer &= ~EFER_LME;
	}
	uint64_t changed = s->cr0 ^ value;
	s->cr0 = value;
	if (changed & CR0_TLB_BITS)
		flush_guest_tlb(vmcb);
	return true;
}

bool guest_cr4_write(struct vmcb *vmcb, uint64_t value)
{
	struct vmcb_save *s = &vmcb->save;
	bool lma = s->efer & EFER_LMA;
	if (value & ~guest_cr4_valid_bits())
		return false; /* reserved, or a feature the CPUID does not offer */
	if (lma && !(value & CR4_PAE))
		return false; /* PAE cannot be cleared in long mode */
	if (lma && ((value ^ s->cr4) & CR4_LA57))
		return false; /* LA57 cannot change in long mode */
	if ((value & CR4_PCIDE) && !(s->cr4 & CR4_PCIDE) && (!lma || (s->cr3 & 0xfff)))
		return false; /* PCIDE only in long mode, with CR3[11:0] = 0 */
	if ((value & CR4_CET) && !(s->cr0 & CR0_WP))
		return false;
	uint64_t changed = s->cr4 ^ value;
	s->cr4 = value;
	if (changed & CR4_TLB_BITS)
		flush_guest_tlb(vmcb);
	return true;
}

const char *guest_state_invalid_reason(const struct vmcb *vmcb)
{
	const struct vmcb_save *s = &vmcb->save;
	bool long_paging = (s->efer & EFER_LME) && (s->cr0 & CR0_PG);
	if (!(s->efer & EFER_SVME))
		return "EFER.SVME is clear";
	if ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD))
		return "CR0.NW is set without CR0.CD";
	if (s->cr0 >> 32)
		return "CR0 bits 63:32 are not zero";
	if (s->cr3 >> 52)
		return "CR3 bits 63:52 are not zero";
	if (s->cr4 & ~guest_cr4_valid_bits())
		return "CR4 has a reserved bit or one the CPUID does not offer";
	if ((s->dr6 >> 32) || (s->dr7 >> 32))
		return "DR6 or DR7 bits 63:32 are not zero";
	if (s->efer & ~EFER_DEFINED)
		return "EFER has a reserved bit set";
	if (long_paging && !(s->cr4 & CR4_PAE))
		return "EFER.LME and CR0.PG are set with CR4.PAE clear";
	if (long_paging && !(s->cr0 & CR0_PE))
		return "EFER.LME and CR0.PG are set with CR0.PE clear";
	if (long_paging && (s->cr4 & CR4_PAE) && (s->cs.attrib & SEG_ATTR_L) &&
	    (s->cs.attrib & SEG_ATTR_DB))
		return "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D are all set";
	if (event_get_valid(vmcb->control.event_inj) &&
	    ((vmcb->control.event_inj >> 8) & 7) == 1)
		return "the event to inject has the reserved type 1";
	return NULL;
}
