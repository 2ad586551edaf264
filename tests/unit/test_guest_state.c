// sources: svm/cpu/guest_state.c svm/cpu/cpuid.c svm/cpu/xcr0.c
/* The control-register rules of svm/cpu/guest_state.c (APM vol. 2, 3.1 and 14.6): CR0 and CR4
 * writes a CPU refuses with #GP, long mode activation and deactivation through CR0.PG, and the
 * VMRUN consistency check named for a VM's stop reason. The CPUID policy is built from the CPU the
 * test runs on; the checks use only bits every x86-64 CPU offers (PAE, PSE, PGE). */
#include "svm/cpu/guest_state.h"
#include "svm/cpu/cpuid.h"
#include "svm/cpu/msr.h"
#include "svm/vmcb.h"
#include "tests/unit/check.h"
#include <string.h>

#define SEG_L BIT(9)
#define SEG_D BIT(10)

static struct vmcb vmcb;
static struct vcpu_msrs msrs;

static void reset_protected(void)
{
	memset(&vmcb, 0, sizeof(vmcb));
	vmcb.save.cr0 = CR0_PE | CR0_ET;
	vmcb.save.efer = EFER_SVME;
	vmcb.save.cs.attrib = SEG_D;
}

static void test_cr0(void)
{
	reset_protected();
	CHECK(!guest_cr0_write(&vmcb, &msrs, CR0_PE | CR0_NW));
	CHECK(!guest_cr0_write(&vmcb, &msrs, CR0_PG));
	CHECK(!guest_cr0_write(&vmcb, &msrs, CR0_PE | (1ull << 32)));
	CHECK_EQ(vmcb.save.cr0, CR0_PE | CR0_ET); /* refused writes change nothing */
	CHECK(guest_cr0_write(&vmcb, &msrs, CR0_PE | CR0_NW | CR0_CD | BIT(6)));
	CHECK_EQ(vmcb.save.cr0, CR0_PE | CR0_NW | CR0_CD | CR0_ET); /* bit 6 ignored, ET fixed */
	/* long mode: PG with LME needs PAE; then LMA is set, and cleared with PG */
	reset_protected();
	vmcb.save.efer |= EFER_LME;
	CHECK(!guest_cr0_write(&vmcb, &msrs, CR0_PE | CR0_PG));
	vmcb.save.cr4 = CR4_PAE;
	CHECK(guest_cr0_write(&vmcb, &msrs, CR0_PE | CR0_PG));
	CHECK(vmcb.save.efer & EFER_LMA);
	vmcb.save.cs.attrib = SEG_L; /* 64-bit code: paging stays on */
	CHECK(!guest_cr0_write(&vmcb, &msrs, CR0_PE));
	vmcb.save.cs.attrib = SEG_D; /* compatibility mode: long mode ends */
	CHECK(guest_cr0_write(&vmcb, &msrs, CR0_PE));
	CHECK(!(vmcb.save.efer & EFER_LMA));
}

/* EFER.LME with paging off lives in the vCPU, not the VMCB (QEMU 7.2's #VMEXIT loses the host's
 * CR0 otherwise); enabling paging brings it back with LMA, disabling paging takes it out again. */
static void test_lme_outside_vmcb(void)
{
	reset_protected();
	msrs.efer_lme = true;
	vmcb.save.cr4 |= CR4_PAE;
	CHECK(guest_cr0_write(&vmcb, &msrs, vmcb.save.cr0 | CR0_PG));
	CHECK((vmcb.save.efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA));
	CHECK(!msrs.efer_lme);
	CHECK(guest_cr0_write(&vmcb, &msrs, vmcb.save.cr0 & ~CR0_PG));
	CHECK(!(vmcb.save.efer & (EFER_LME | EFER_LMA)));
	CHECK(msrs.efer_lme);
	/* without PAE, long mode cannot be activated: #GP, nothing changes */
	vmcb.save.cr4 &= ~CR4_PAE;
	CHECK(!guest_cr0_write(&vmcb, &msrs, vmcb.save.cr0 | CR0_PG));
	CHECK(msrs.efer_lme && !(vmcb.save.efer & EFER_LME));
	msrs.efer_lme = false;
}

static void test_cr4(void)
{
	reset_protected();
	CHECK(guest_cr4_write(&vmcb, CR4_PAE | CR4_PSE | CR4_PGE));
	CHECK_EQ(vmcb.save.cr4, CR4_PAE | CR4_PSE | CR4_PGE);
	CHECK(!guest_cr4_write(&vmcb, BIT(15)));          /* reserved */
	CHECK(!guest_cr4_write(&vmcb, CR4_PAE | BIT(31))); /* reserved */
	CHECK(!guest_cr4_write(&vmcb, CR4_PAE | CR4_PCIDE)); /* outside long mode, or no PCID */
	CHECK_EQ(vmcb.save.cr4, CR4_PAE | CR4_PSE | CR4_PGE);
	vmcb.save.efer |= EFER_LME | EFER_LMA;
	CHECK(!guest_cr4_write(&vmcb, CR4_PSE)); /* PAE cannot be cleared in long mode */
	CHECK(!(guest_cr4_valid_bits() & BIT(15)));
	CHECK(guest_cr4_valid_bits() & CR4_PCE);
}

static void test_invalid_reason(void)
{
	reset_protected();
	CHECK(guest_state_invalid_reason(&vmcb) == NULL);
	vmcb.save.efer = 0;
	CHECK(strcmp(guest_state_invalid_reason(&vmcb), "EFER.SVME is clear") == 0);
	reset_protected();
	vmcb.save.cr0 |= CR0_NW;
	CHECK(strcmp(guest_state_invalid_reason(&vmcb), "CR0.NW is set without CR0.CD") == 0);
	reset_protected();
	vmcb.save.cr4 = BIT(15);
	CHECK(strstr(guest_state_invalid_reason(&vmcb), "CR4 has a reserved bit") != NULL);
	reset_protected();
	vmcb.save.efer |= EFER_LME;
	vmcb.save.cr0 |= CR0_PG;
	CHECK(strcmp(guest_state_invalid_reason(&vmcb),
		     "EFER.LME and CR0.PG are set with CR4.PAE clear") == 0);
	vmcb.save.cr4 = CR4_PAE;
	vmcb.save.cs.attrib = SEG_L | SEG_D;
	CHECK(strstr(guest_state_invalid_reason(&vmcb), "CS.L and CS.D") != NULL);
	reset_protected();
	vmcb.save.efer |= BIT(30);
	CHECK(strcmp(guest_state_invalid_reason(&vmcb), "EFER has a reserved bit set") == 0);
}

int main(void)
{
	cpuid_policy_init();
	test_cr0();
	test_lme_outside_vmcb();
	test_cr4();
	test_invalid_reason();
	return check_summary("guest_state");
}
