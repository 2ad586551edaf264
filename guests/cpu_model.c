/* The CPU model a guest sees: the MSRs its CPUID advertises (performance counters, TSC_AUX with
 * RDTSCP/RDPID, HWCR, SYSCFG, MTRRs, machine-check banks, EFER, IA32_APIC_BASE) and the CPUID bits
 * that follow the guest's own state (OSXSAVE, OSPKE, APIC). Common checks hold on QEMU alone
 * (-cpu EPYC-Rome), the reference test kernels are written against; the doorbell-only ones check
 * the architectural answers QEMU's TCG does not give (it reads unknown MSRs as 0 and ignores
 * reserved bits, where the APM gives #GP). docs/cpuid.md lists what each MSR does. */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/msr.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/x86.h"

const char guest_name[] = "cpu_model";

#define MSR_K7_PERF_CTL0   0xc0010000u
#define MSR_K7_PERF_CTR0   0xc0010004u
#define MSR_CORE_PERF_CTL0 0xc0010200u
#define MSR_TSC_AUX        0xc0000103u
#define MSR_SYSCFG         0xc0010010u
#define MSR_HWCR           0xc0010015u
#define MSR_MCG_CAP        0x179u
#define MSR_MCG_CTL        0x17bu
#define MSR_MC0_CTL        0x400u
#define MSR_MC0_STATUS     0x401u
#define MSR_MTRR_BASE0     0x200u
#define MSR_MTRR_MASK0     0x201u
#define MSR_MTRR_FIX64K    0x250u
#define MSR_MTRR_DEF_TYPE  0x2ffu

#define CPUID_1_ECX_XSAVE    BIT(26)
#define CPUID_1_ECX_OSXSAVE  BIT(27)
#define CPUID_1_EDX_MCE      BIT(7)
#define CPUID_1_EDX_APIC     BIT(9)
#define CPUID_1_EDX_MTRR     BIT(12)
#define CPUID_1_EDX_MCA      BIT(14)
#define CPUID_7_ECX_PKU      BIT(3)
#define CPUID_7_ECX_OSPKE    BIT(4)
#define CPUID_7_ECX_RDPID    BIT(22)
#define CPUID_81_ECX_PERFCORE BIT(23)
#define CPUID_81_EDX_RDTSCP  BIT(27)
#define CPUID_88_EBX_NO_LMSLE BIT(20)
#define CR4_OSXSAVE          BIT(18)
#define CR4_PKE              BIT(22)
#define EFER_LMSLE           (1ull << 13)
#define HWCR_MCSTATUSWREN    (1ull << 18)
#define HWCR_TSCFREQSEL      (1ull << 24)
#define PERF_CTL_EVENT       0x0000000000530076ull /* event 76h, USR, OS, INT; not enabled */
#define PERF_CTL_HOSTONLY    (1ull << 41)
#define TSC_AUX_VALUE        0x2a5u
#define APIC_BASE_RESERVED9  (1ull << 9)

static struct cpuid_regs leaf1, leaf7, leaf81, leaf88;
static unsigned maxphyaddr = 36;

static bool msr_ok(uint32_t msr, uint64_t *value)
{
	return msr_read_safe(msr, value) < 0;
}

static void check_perf_counters(void)
{
	bool core = leaf81.ecx & CPUID_81_ECX_PERFCORE;
	uint64_t value;
	printf("info: PerfCtrExtCore %s\n", core ? "advertised" : "not advertised");
	test_check_doorbell(core, "CPUID Fn8000_0001_ECX[23] PerfCtrExtCore (EPYC-Rome has it)");
	bool all = true;
	for (uint32_t i = 0; i < 8; i++)
		all &= msr_ok(MSR_K7_PERF_CTL0 + i, &value);
	test_check(all, "RDMSR C001_0000-C001_0007 (legacy PerfEvtSel/PerfCtr 0-3)");
	test_check(msr_write_safe(MSR_K7_PERF_CTL0, 0) < 0 && msr_write_safe(MSR_K7_PERF_CTR0, 0) < 0,
	           "WRMSR PerfEvtSel0/PerfCtr0 with 0");
	if (core) {
		all = true;
		for (uint32_t i = 0; i < 12; i++)
			all &= msr_ok(MSR_CORE_PERF_CTL0 + i, &value);
		/* QEMU's TCG does not advertise PerfCtrExtCore: doorbell-only, so that the closing
		 * line is the same under both */
		test_check_doorbell(all, "RDMSR C001_0200-C001_020B (core PerfEvtSel/PerfCtr 0-5)");
		test_check_doorbell(msr_write_safe(MSR_CORE_PERF_CTL0 + 10, 0) < 0,
		                    "WRMSR C001_020A (PerfEvtSel5) with 0");
	}
	if (!doorbell_present())
		return;
	if (!core) {
		test_check_doorbell(msr_read_safe(MSR_CORE_PERF_CTL0 + 1, &value) == VEC_GP,
		                    "without PerfCtrExtCore RDMSR C001_0201 raises #GP");
		return;
	}
	test_check_doorbell(msr_write_safe(MSR_CORE_PERF_CTL0 + 4, PERF_CTL_EVENT | PERF_CTL_HOSTONLY)
	                        < 0 && msr_ok(MSR_CORE_PERF_CTL0 + 4, &value) &&
	                        value == (PERF_CTL_EVENT | PERF_CTL_HOSTONLY),
	                    "PerfEvtSel2 reads back the event written (HostOnly included)");
	test_check_doorbell(msr_ok(MSR_K7_PERF_CTL0 + 2, &value) &&
	                        value == (PERF_CTL_EVENT | PERF_CTL_HOSTONLY),
	                    "legacy PerfEvtSel2 (C001_0002) is the same register as C001_0204");
	test_check_doorbell(msr_write_safe(MSR_CORE_PERF_CTL0 + 5, ~0ull) < 0 &&
	                        msr_ok(MSR_CORE_PERF_CTL0 + 5, &value) && value == (1ull << 48) - 1,
	                    "PerfCtr2 keeps 48 bits of a write");
	test_check_doorbell(msr_ok(MSR_K7_PERF_CTR0 + 2, &value) && value == (1ull << 48) - 1,
	                    "legacy PerfCtr2 (C001_0006) is the same register as C001_0205");
	test_check_doorbell(msr_write_safe(MSR_CORE_PERF_CTL0, 1ull << 19) == VEC_GP,
	                    "PerfEvtSel0 with reserved bit 19 raises #GP");
	test_check_doorbell(msr_write_safe(MSR_K7_PERF_CTL0 + 1, 1ull << 42) == VEC_GP,
	                    "legacy PerfEvtSel1 with reserved bit 42 raises #GP");
	test_check_doorbell(msr_read_safe(MSR_CORE_PERF_CTL0 + 12, &value) == VEC_GP,
	                    "RDMSR C001_020C (no seventh counter) raises #GP");
	/* RDPMC reads the same counters (QEMU alone raises #UD for it) */
	wrmsr(MSR_CORE_PERF_CTL0 + 7, 0x123456789aull);
	uint32_t lo, hi;
	idt_fixup_vector = -1;
	__asm__ volatile("movl $1f, idt_fixup_eip\n\trdpmc\n1:" : "=a"(lo), "=d"(hi) : "c"(3) : "memory");
	test_check_doorbell(idt_fixup_take() < 0 && ((uint64_t)hi << 32 | lo) == 0x123456789aull,
	                    "RDPMC 3 reads PerfCtr3 (0x%x%08x)", hi, lo);
	idt_fixup_vector = -1;
	__asm__ volatile("movl $1f, idt_fixup_eip\n\trdpmc\n1:" : "=a"(lo), "=d"(hi) : "c"(6) : "memory");
	test_check_doorbell(idt_fixup_take() == VEC_GP, "RDPMC 6 (no NB counters) raises #GP");
	wrmsr(MSR_CORE_PERF_CTL0 + 7, 0);
	wrmsr(MSR_CORE_PERF_CTL0 + 4, 0);
	wrmsr(MSR_CORE_PERF_CTL0 + 5, 0);
}

static void check_tsc_aux(void)
{
	bool rdtscp = leaf81.edx & CPUID_81_EDX_RDTSCP, rdpid = leaf7.ecx & CPUID_7_ECX_RDPID;
	uint64_t value;
	printf("info: RDTSCP %s, RDPID %s\n", rdtscp ? "yes" : "no", rdpid ? "yes" : "no");
	if (!rdtscp && !rdpid) {
		test_check_doorbell(msr_read_safe(MSR_TSC_AUX, &value) == VEC_GP,
		                    "without RDTSCP and RDPID, TSC_AUX raises #GP");
		return;
	}
	test_check(msr_write_safe(MSR_TSC_AUX, TSC_AUX_VALUE) < 0 && msr_ok(MSR_TSC_AUX, &value) &&
	               value == TSC_AUX_VALUE,
	           "TSC_AUX reads back 0x%x", TSC_AUX_VALUE);
	if (rdtscp) {
		uint32_t lo, hi, aux;
		__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		test_check(aux == TSC_AUX_VALUE, "RDTSCP returns TSC_AUX in ECX (0x%x)", aux);
	}
	if (rdpid) {
		uint32_t id;
		__asm__ volatile(".byte 0xf3, 0x0f, 0xc7, 0xf8" : "=a"(id)); /* rdpid %eax */
		test_check(id == TSC_AUX_VALUE, "RDPID returns TSC_AUX (0x%x)", id);
	}
	test_check_doorbell(msr_write_safe(MSR_TSC_AUX, 1ull << 32) == VEC_GP,
	                    "TSC_AUX with bits 63:32 set raises #GP");
}

static void check_hwcr_syscfg(void)
{
	uint64_t hwcr, syscfg, misc;
	/* IA32_MISC_ENABLE: Intel's, but QEMU and KVM give it to every guest */
	test_check(msr_ok(0x1a0, &misc) && msr_write_safe(0x1a0, misc | 1) < 0 &&
	               rdmsr(0x1a0) == (misc | 1),
	           "IA32_MISC_ENABLE reads back fast strings set (0x%x)", (uint32_t)rdmsr(0x1a0));
	test_check(msr_ok(MSR_HWCR, &hwcr), "RDMSR HWCR (C001_0015)");
	test_check(msr_ok(MSR_SYSCFG, &syscfg), "RDMSR SYSCFG (C001_0010)");
	if (!doorbell_present())
		return;
	test_check_doorbell(hwcr & HWCR_TSCFREQSEL, "HWCR.TscFreqSel reads 1");
	test_check_doorbell(msr_write_safe(MSR_HWCR, hwcr | HWCR_MCSTATUSWREN) < 0 &&
	                        rdmsr(MSR_HWCR) == (hwcr | HWCR_MCSTATUSWREN),
	                    "HWCR.McStatusWrEn is writable");
	wrmsr(MSR_HWCR, hwcr);
	test_check_doorbell(msr_write_safe(MSR_HWCR, hwcr | 1) == VEC_GP,
	                    "HWCR.SmmLock (not offered) raises #GP");
	test_check_doorbell(msr_write_safe(MSR_SYSCFG, syscfg | (1ull << 23)) == VEC_GP,
	                    "SYSCFG.SMEE without memory encryption raises #GP");
}

static void check_mtrr(void)
{
	uint64_t cap, value;
	if (!(leaf1.edx & CPUID_1_EDX_MTRR)) {
		test_check_doorbell(msr_read_safe(MSR_IA32_MTRRCAP, &value) == VEC_GP,
		                    "without CPUID MTRR, MTRRcap raises #GP");
		return;
	}
	test_check(msr_ok(MSR_IA32_MTRRCAP, &cap), "RDMSR MTRRcap");
	test_check((cap & 0xff) >= 1 && (cap & BIT(8)), "MTRRcap: variable ranges and fixed ranges");
	uint64_t base = 0x100000 | 6, mask = (((1ull << maxphyaddr) - 1) & ~0xfffffull) | BIT(11);
	test_check(msr_write_safe(MSR_MTRR_BASE0, base) < 0 && msr_write_safe(MSR_MTRR_MASK0, mask) < 0,
	           "WRMSR PhysBase0/PhysMask0 (1 MiB at 1 MiB, WB)");
	test_check(rdmsr(MSR_MTRR_BASE0) == base && rdmsr(MSR_MTRR_MASK0) == mask,
	           "PhysBase0/PhysMask0 read back");
	uint64_t fixed = 0x0606060606060606ull;
	test_check(msr_write_safe(MSR_MTRR_FIX64K, fixed) < 0 && rdmsr(MSR_MTRR_FIX64K) == fixed,
	           "MTRRfix64K_00000 reads back");
	uint64_t def = BIT(11) | BIT(10) | 6;
	test_check(msr_write_safe(MSR_MTRR_DEF_TYPE, def) < 0 && rdmsr(MSR_MTRR_DEF_TYPE) == def,
	           "MTRRdefType reads back (E, FE, WB)");
	if (doorbell_present()) {
		test_check_doorbell(msr_write_safe(MSR_MTRR_BASE0, 0x100000 | 2) == VEC_GP,
		                    "PhysBase0 with reserved type 2 raises #GP");
		test_check_doorbell(msr_write_safe(MSR_MTRR_MASK0, mask | 1) == VEC_GP,
		                    "PhysMask0 with reserved bit 0 raises #GP");
		if (maxphyaddr < 52)
			test_check_doorbell(msr_write_safe(MSR_MTRR_BASE0, 1ull << maxphyaddr) == VEC_GP,
			                    "PhysBase0 beyond MAXPHYADDR (%u) raises #GP", maxphyaddr);
		test_check_doorbell(msr_write_safe(MSR_MTRR_FIX64K, 0x0706060606060606ull) == VEC_GP,
		                    "MTRRfix64K with type 7 raises #GP");
		test_check_doorbell(msr_write_safe(MSR_MTRR_DEF_TYPE, def | BIT(12)) == VEC_GP,
		                    "MTRRdefType with reserved bit 12 raises #GP");
		test_check_doorbell(msr_write_safe(MSR_IA32_MTRRCAP, cap) == VEC_GP,
		                    "WRMSR MTRRcap (read-only) raises #GP");
	}
	wrmsr(MSR_MTRR_DEF_TYPE, 0);
	wrmsr(MSR_MTRR_MASK0, 0);
	wrmsr(MSR_MTRR_BASE0, 0);
}

static void check_mca(void)
{
	uint64_t cap, value;
	if (!(leaf1.edx & CPUID_1_EDX_MCE) || !(leaf1.edx & CPUID_1_EDX_MCA))
		return;
	test_check(msr_ok(MSR_MCG_CAP, &cap) && (cap & 0xff) >= 1, "MCG_CAP: at least one bank");
	test_check(msr_write_safe(MSR_MC0_CTL, ~0ull) < 0 && rdmsr(MSR_MC0_CTL) == ~0ull,
	           "MC0_CTL takes all-ones");
	test_check(msr_ok(MSR_MC0_STATUS, &value), "RDMSR MC0_STATUS");
	if (!doorbell_present())
		return;
	test_check_doorbell(msr_write_safe(MSR_MC0_CTL, 5) == VEC_GP,
	                    "MC0_CTL with neither all-zeros nor all-ones raises #GP");
	test_check_doorbell(msr_write_safe(MSR_MC0_STATUS, 1) == VEC_GP,
	                    "MC0_STATUS non-zero without HWCR.McStatusWrEn raises #GP");
	test_check_doorbell(msr_write_safe(MSR_MCG_CAP, cap) == VEC_GP,
	                    "WRMSR MCG_CAP (read-only) raises #GP");
	test_check_doorbell(msr_read_safe(MSR_MC0_CTL + 4 * (uint32_t)(cap & 0xff), &value) == VEC_GP,
	                    "the bank after the last one (%u) raises #GP", (unsigned)(cap & 0xff));
}

static void check_efer(void)
{
	uint64_t efer = rdmsr(MSR_EFER);
	int vec = msr_write_safe(MSR_EFER, efer | EFER_LMSLE);
	/* QEMU alone ignores the bit; the CPU model has no LMSLE: it never reads back as set, and
	 * the VM keeps running (it once stopped with VMEXIT_INVALID) */
	test_check(!(rdmsr(MSR_EFER) & EFER_LMSLE), "EFER.LMSLE never reads back as set");
	test_check_doorbell(leaf88.ebx & CPUID_88_EBX_NO_LMSLE,
	                    "CPUID Fn8000_0008_EBX[20] EferLmsleUnsupported");
	test_check_doorbell(vec == VEC_GP, "WRMSR EFER.LMSLE raises #GP (vector %d)", vec);
	if (doorbell_present())
		test_check_doorbell(msr_write_safe(MSR_EFER, efer | BIT(1)) == VEC_GP,
		                    "WRMSR EFER with reserved bit 1 raises #GP");
	wrmsr(MSR_EFER, efer);
}

static void check_apic_base_bits(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	printf("info: MAXPHYADDR %u\n", maxphyaddr);
	if (!doorbell_present())
		return;
	if (maxphyaddr < 52)
		test_check_doorbell(msr_write_safe(MSR_IA32_APIC_BASE, base | (1ull << maxphyaddr)) ==
		                        VEC_GP,
		                    "APIC_BASE with an address bit at MAXPHYADDR raises #GP");
	test_check_doorbell(msr_write_safe(MSR_IA32_APIC_BASE, base | APIC_BASE_RESERVED9) == VEC_GP,
	                    "APIC_BASE with reserved bit 9 raises #GP");
	test_check_doorbell(rdmsr(MSR_IA32_APIC_BASE) == base, "APIC_BASE unchanged");
}

/* The address MSRs of long mode: a canonical address reads back; a non-canonical one is #GP
 * (APM vol. 2, 4.5.3, 6.1.1), where QEMU's TCG alone stores it. Each is restored at once (FS.base
 * and GS.base are this 32-bit guest's segment bases too). */
static void check_address_msrs(void)
{
	static const struct {
		uint32_t msr;
		const char *name;
	} msrs[] = {{0xc0000100u, "FS.base"}, {0xc0000101u, "GS.base"},
	            {0xc0000102u, "KernelGSbase"}, {0xc0000082u, "LSTAR"}, {0xc0000083u, "CSTAR"}};
	const uint64_t canonical = 0xffff800012345000ull, noncanonical = 1ull << 63;
	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++) {
		uint64_t old = rdmsr(msrs[i].msr), value = 0;
		bool ok = msr_write_safe(msrs[i].msr, canonical) < 0 && msr_ok(msrs[i].msr, &value) &&
		          value == canonical;
		wrmsr(msrs[i].msr, old);
		test_check(ok, "%s holds the canonical 0x%llx (0x%llx)", msrs[i].name,
		           (unsigned long long)canonical, (unsigned long long)value);
		int vec = msr_write_safe(msrs[i].msr, noncanonical);
		value = rdmsr(msrs[i].msr);
		wrmsr(msrs[i].msr, old);
		test_check_doorbell(vec == VEC_GP && value == old,
		                    "%s: non-canonical 0x%llx raises #GP, unchanged (vector %d)",
		                    msrs[i].name, (unsigned long long)noncanonical, vec);
	}
}

/* CPUID bits that follow CR4 (SDM vol. 2, CPUID: OSXSAVE and OSPKE reflect CR4) */
static void check_cpuid_follows_cr4(void)
{
	uint32_t cr4 = read_cr4();
	if (leaf1.ecx & CPUID_1_ECX_XSAVE) {
		write_cr4(cr4 | CR4_OSXSAVE);
		test_check(cpuid(1, 0).ecx & CPUID_1_ECX_OSXSAVE, "CR4.OSXSAVE=1: CPUID.1:ECX.OSXSAVE set");
		write_cr4(cr4 & ~CR4_OSXSAVE);
		test_check(!(cpuid(1, 0).ecx & CPUID_1_ECX_OSXSAVE),
		           "CR4.OSXSAVE=0: CPUID.1:ECX.OSXSAVE clear");
	}
	if (leaf7.ecx & CPUID_7_ECX_PKU) {
		write_cr4(cr4 | CR4_PKE);
		test_check(cpuid(7, 0).ecx & CPUID_7_ECX_OSPKE, "CR4.PKE=1: CPUID.7:ECX.OSPKE set");
		write_cr4(cr4 & ~CR4_PKE);
		test_check(!(cpuid(7, 0).ecx & CPUID_7_ECX_OSPKE), "CR4.PKE=0: CPUID.7:ECX.OSPKE clear");
	} else {
		printf("info: no PKU: OSPKE not checked\n");
	}
	write_cr4(cr4);
}

/* MOV to CR0 or CR4 that survives a #GP: the vector it raised, or -1. */
static int write_cr_safe(unsigned cr, uint32_t value)
{
	idt_fixup_vector = -1;
	if (cr == 0)
		__asm__ volatile("movl $1f, idt_fixup_eip\n\tmov %0, %%cr0\n1:" ::"r"(value) : "memory");
	else
		__asm__ volatile("movl $1f, idt_fixup_eip\n\tmov %0, %%cr4\n1:" ::"r"(value) : "memory");
	return idt_fixup_take();
}

/* The CR4 bit each CPUID feature offers (APM vol. 2, 3.1.3), as this test reads the APM. */
struct cr4_feature {
	uint32_t bit;
	const struct cpuid_regs *leaf;
	unsigned reg, feature_bit; /* reg: 0 EBX, 1 ECX, 2 EDX */
	const char *name;
};

static bool has(const struct cpuid_regs *leaf, unsigned reg, unsigned bit)
{
	uint32_t r = reg == 0 ? leaf->ebx : reg == 1 ? leaf->ecx : leaf->edx;
	return r & (1u << bit);
}

static const struct cr4_feature cr4_features[] = {
    {0, &leaf1, 2, 1, "VME"},         {1, &leaf1, 2, 1, "PVI"},
    {2, &leaf1, 2, 4, "TSD"},         {3, &leaf1, 2, 2, "DE"},
    {4, &leaf1, 2, 3, "PSE"},         {5, &leaf1, 2, 6, "PAE"},
    {6, &leaf1, 2, 7, "MCE"},         {7, &leaf1, 2, 13, "PGE"},
    {9, &leaf1, 2, 24, "OSFXSR"},     {10, &leaf1, 2, 25, "OSXMMEXCPT"},
    {11, &leaf7, 1, 2, "UMIP"},       {16, &leaf7, 0, 0, "FSGSBASE"},
    {18, &leaf1, 1, 26, "OSXSAVE"},   {20, &leaf7, 0, 7, "SMEP"},
    {21, &leaf7, 0, 20, "SMAP"},      {22, &leaf7, 1, 3, "PKE"},
};

/* CR0 and CR4 writes (APM vol. 2, 3.1.1-3.1.3; MOV CRn, CLTS, LMSW in vol. 3): what the CPUID
 * offers is accepted and reads back; under doorbell also the #GP cases, which QEMU's TCG does not
 * give (it stops doorbell's VM with VMEXIT_INVALID instead, issue 18 finding 7). */
static void check_control_registers(void)
{
	uint32_t cr4 = read_cr4(), cr0 = read_cr0();
	for (unsigned i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
		const struct cr4_feature *f = &cr4_features[i];
		uint32_t bit = 1u << f->bit;
		if (!has(f->leaf, f->reg, f->feature_bit)) {
			if (doorbell_present())
				test_check_doorbell(write_cr_safe(4, cr4 | bit) == VEC_GP,
				                    "CR4.%s without its CPUID feature raises #GP", f->name);
			continue;
		}
		bool ok = write_cr_safe(4, cr4 | bit) < 0 && (read_cr4() & bit);
		ok = ok && write_cr_safe(4, cr4 & ~bit) < 0 && !(read_cr4() & bit);
		test_check(ok, "CR4.%s (offered) sets and clears", f->name);
		write_cr4(cr4);
	}
	/* CLTS and LMSW also write CR0 */
	__asm__ volatile("mov %0, %%cr0; clts" ::"r"((uint32_t)(cr0 | BIT(3))) : "memory");
	test_check(!(read_cr0() & BIT(3)), "CLTS clears CR0.TS");
	uint16_t msw = (uint16_t)((cr0 & 0xf) | BIT(1));
	__asm__ volatile("lmsw %0" ::"r"(msw) : "memory");
	test_check(read_cr0() & BIT(1), "LMSW (register) sets CR0.MP");
	msw = 0;
	__asm__ volatile("lmsw %0" ::"m"(msw) : "memory");
	test_check((read_cr0() & 0xf) == 1, "LMSW (memory) 0 clears MP, EM, TS and keeps PE");
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0) : "memory");
	test_check(read_cr0() == cr0, "CR0 restored");
	if (!doorbell_present())
		return;
	test_check_doorbell(write_cr_safe(4, cr4 | BIT(15)) == VEC_GP, "CR4 reserved bit 15 raises #GP");
	test_check_doorbell(write_cr_safe(4, cr4 | BIT(31)) == VEC_GP, "CR4 reserved bit 31 raises #GP");
	test_check_doorbell(write_cr_safe(4, cr4 | BIT(17)) == VEC_GP,
	                    "CR4.PCIDE outside long mode raises #GP");
	test_check_doorbell(write_cr_safe(0, (cr0 | BIT(29)) & ~BIT(30)) == VEC_GP,
	                    "CR0.NW without CR0.CD raises #GP");
	test_check_doorbell(write_cr_safe(0, (cr0 & ~1u) | BIT(31)) == VEC_GP,
	                    "CR0.PG without CR0.PE raises #GP");
	test_check_doorbell(write_cr_safe(0, cr0 | BIT(29) | BIT(30)) < 0 &&
	                        (read_cr0() & (BIT(29) | BIT(30))) == (BIT(29) | BIT(30)),
	                    "CR0.CD with CR0.NW is accepted");
	test_check_doorbell(write_cr_safe(0, cr0 | BIT(6)) < 0 && !(read_cr0() & BIT(6)),
	                    "CR0 reserved bit 6 is ignored");
	test_check_doorbell(read_cr0() == cr0 && read_cr4() == cr4,
	                    "CR0 and CR4 unchanged by the refused writes");
	write_cr_safe(0, cr0);
}

/* Last: QEMU alone cannot enable an APIC again once disabled. */
static void check_apic_disable(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	test_check(cpuid(1, 0).edx & CPUID_1_EDX_APIC, "APIC enabled: CPUID.1:EDX.APIC set");
	test_check(msr_write_safe(MSR_IA32_APIC_BASE, base & ~(uint64_t)APIC_BASE_ENABLE) < 0,
	           "WRMSR APIC_BASE.EN=0");
	test_check(!(cpuid(1, 0).edx & CPUID_1_EDX_APIC), "APIC disabled: CPUID.1:EDX.APIC clear");
	if (!doorbell_present())
		return;
	test_check_doorbell(msr_write_safe(MSR_IA32_APIC_BASE, base) < 0, "WRMSR APIC_BASE.EN=1");
	test_check_doorbell(cpuid(1, 0).edx & CPUID_1_EDX_APIC,
	                    "APIC enabled again: CPUID.1:EDX.APIC set");
}

/* An emulated instruction's memory operand takes the #PF the CPU would raise: LMSW exits before
 * it reads its operand (APM vol. 2, 15.7.1), so the hypervisor raises it. Paging with 4 MiB pages
 * identity-maps the 4 GiB except one not-present 4 MiB region above this guest's RAM. */
#define PF_HOLE      0x40000000u /* 1 GiB */
#define PDE_4M_RW    0x83u       /* present, writable, PS */
#define CR0_PG       BIT(31)
#define CR4_PSE      BIT(4)
static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static volatile uint32_t pf_count, pf_cr2, pf_error, pf_resume;

static void on_pf(struct trap_frame *f)
{
	pf_count++;
	pf_cr2 = read_cr2();
	pf_error = f->error_code;
	f->eip = pf_resume;
}

static void check_operand_page_fault(void)
{
	for (uint32_t i = 0; i < 1024; i++)
		page_dir[i] = (i << 22) | PDE_4M_RW;
	page_dir[PF_HOLE >> 22] = 0;
	uint32_t cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
	idt_set_handler(VEC_PF, on_pf);
	write_cr4(cr4 | CR4_PSE);
	write_cr3((uint32_t)(uintptr_t)page_dir);
	write_cr0(cr0 | CR0_PG);
	__asm__ volatile("movl $1f, %0\n\tlmsw (%1)\n1:" : "=m"(pf_resume) : "r"(PF_HOLE + 6)
	                 : "memory");
	uint32_t after = read_cr0();
	/* string I/O: OUTSB to the POST port from the hole, the #PF before anything is written */
	uint32_t lmsw_count = pf_count, lmsw_cr2 = pf_cr2, lmsw_error = pf_error;
	uint32_t src = PF_HOLE + 9;
	__asm__ volatile("movl $1f, %0\n\toutsb\n1:" : "=m"(pf_resume), "+S"(src) : "d"(0x80)
	                 : "memory");
	uint32_t outs_count = pf_count - lmsw_count, outs_cr2 = pf_cr2;
	pf_count = lmsw_count, pf_cr2 = lmsw_cr2, pf_error = lmsw_error;
	write_cr0(cr0);
	write_cr3(cr3);
	write_cr4(cr4);
	idt_set_handler(VEC_PF, NULL);
	test_check(pf_count == 1 && pf_cr2 == PF_HOLE + 6 && pf_error == 0,
	           "LMSW from a not-present page raises #PF, CR2 0x%x, error code %u (%u taken)",
	           pf_cr2, pf_error, pf_count);
	test_check(after == (cr0 | CR0_PG), "the faulting LMSW left CR0 unchanged (0x%x)", after);
	test_check(outs_count == 1 && outs_cr2 == PF_HOLE + 9,
	           "OUTSB from a not-present page raises #PF, CR2 0x%x (%u taken)", outs_cr2,
	           outs_count);
}

/* Instructions of features CPUID does not offer are #UD (APM vol. 3, MONITOR/MWAIT,
 * MONITORX/MWAITX): doorbell hides MONITOR and MONITORX and intercepts them. Where CPUID offers
 * MONITOR (QEMU alone), MONITOR must execute; MWAIT is then not tried (it would wait). */
#define CPUID_1_ECX_MONITOR   BIT(3)
#define CPUID_81_ECX_MONITORX BIT(29)
#define CPUID_88_EBX_RDPRU    BIT(4)
#define INSN_SAFE(bytes)                                                                           \
	({                                                                                         \
		idt_fixup_vector = -1;                                                             \
		__asm__ volatile("movl $1f, idt_fixup_eip\n\t.byte " bytes "\n1:"                  \
		                 ::"a"(&leaf1), "c"(0), "d"(0) : "memory");                        \
		idt_fixup_take();                                                                  \
	})

static void check_hidden_instructions(void)
{
	bool monitor = leaf1.ecx & CPUID_1_ECX_MONITOR;
	int vec = INSN_SAFE("0x0f, 0x01, 0xc8"); /* MONITOR */
	test_check(monitor ? vec < 0 : vec == VEC_UD, "MONITOR %s (CPUID.1:ECX[3] %u, vector %d)",
	           monitor ? "executes" : "raises #UD", monitor, vec);
	if (!monitor)
		test_check_doorbell(INSN_SAFE("0x0f, 0x01, 0xc9") == VEC_UD, /* MWAIT */
		                    "MWAIT raises #UD (CPUID.1:ECX[3] clear)");
	if (!(leaf81.ecx & CPUID_81_ECX_MONITORX)) {
		test_check_doorbell(INSN_SAFE("0x0f, 0x01, 0xfa") == VEC_UD, /* MONITORX */
		                    "MONITORX raises #UD (CPUID Fn8000_0001_ECX[29] clear)");
		test_check_doorbell(INSN_SAFE("0x0f, 0x01, 0xfb") == VEC_UD, /* MWAITX */
		                    "MWAITX raises #UD (CPUID Fn8000_0001_ECX[29] clear)");
	}
	if (!(leaf88.ebx & CPUID_88_EBX_RDPRU))
		test_check_doorbell(INSN_SAFE("0x0f, 0x01, 0xfd") == VEC_UD, /* RDPRU */
		                    "RDPRU raises #UD (CPUID Fn8000_0008_EBX[4] clear)");
}

void guest_main(const struct multiboot_info *mbi)
{
	(void)mbi;
	leaf1 = cpuid(1, 0);
	leaf7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){0, 0, 0, 0};
	uint32_t max_ext = cpuid(0x80000000u, 0).eax;
	leaf81 = cpuid(0x80000001u, 0);
	if (max_ext >= 0x80000008u) {
		leaf88 = cpuid(0x80000008u, 0);
		maxphyaddr = leaf88.eax & 0xff;
	}
	check_perf_counters();
	check_tsc_aux();
	check_hwcr_syscfg();
	check_mtrr();
	check_mca();
	check_efer();
	check_apic_base_bits();
	check_address_msrs();
	check_cpuid_follows_cr4();
	check_control_registers();
	check_operand_page_fault();
	check_hidden_instructions();
	check_apic_disable();
}
