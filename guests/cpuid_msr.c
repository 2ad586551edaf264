/* CPUID and MSR sanity. Common checks hold on bare QEMU (TCG), on hardware and under doorbell;
 * the doorbell-only ones check its CPUID leaves and its stricter MSR emulation: QEMU's TCG reads
 * an unknown MSR as 0 and ignores most bad writes, where hardware (and doorbell) raise #GP, and it
 * does not implement the TSC MSR. */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/fwcfg.h"
#include "guests/lib/msr.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/x86.h"
#include "kernel/string.h"

const char guest_name[] = "cpuid_msr";

#define CPUID_1_EDX_TSC  BIT(4)
#define CPUID_1_EDX_MSR  BIT(5)
#define CPUID_1_EDX_APIC BIT(9)
#define CPUID_1_EDX_MTRR BIT(12)
#define CPUID_1_EDX_PAT  BIT(16)
#define CPUID_81_ECX_SVM BIT(2) /* CPUID Fn8000_0001_ECX[SVM] (APM vol. 3, appendix E) */
#define EFER_LME         BIT(8)
#define EFER_LMA         BIT(10)
#define PAT_RESET_VALUE  0x0007040600070406ull /* WB WT UC- UC, twice (SDM vol. 3, 11.12.4) */
#define PAT_TEST_VALUE   0x0001040600070406ull /* entry 6 changed from UC- to WC */
#define PAT_INVALID_TYPE 0x0007040600070402ull /* entry 0 type 2 is reserved */
#define MSR_IA32_PKRS    0x000006e1u           /* absent on AMD; QEMU's TCG #GPs on bits 63:32 */
#define MSR_UNKNOWN      0x12345678u
#define TSC_WRITE_VALUE  (1ull << 40)
#define TSC_WRITE_SLACK  (1ull << 36) /* ticks that may pass between the write and the read */

static void check_cpuid(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	char vendor[13];
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	printf("info: CPUID vendor '%s', highest basic leaf 0x%x\n", vendor, r.eax);
	test_check(r.eax >= 1, "CPUID.0: highest basic leaf >= 1");
	test_check(!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "GenuineIntel"),
	           "CPUID.0: vendor is AuthenticAMD or GenuineIntel");

	r = cpuid(1, 0);
	uint32_t family = (r.eax >> 8) & 0xf;
	if (family == 0xf)
		family += (r.eax >> 20) & 0xff;
	printf("info: CPUID.1 family 0x%x, EDX 0x%x, ECX 0x%x\n", family, r.edx, r.ecx);
	test_check(family >= 6, "CPUID.1: family >= 6");
	test_check(r.edx & CPUID_1_EDX_TSC, "CPUID.1: TSC");
	test_check(r.edx & CPUID_1_EDX_MSR, "CPUID.1: MSR");
	test_check(r.edx & CPUID_1_EDX_APIC, "CPUID.1: APIC");
	test_check(r.edx & CPUID_1_EDX_PAT, "CPUID.1: PAT");
	test_check((r.ebx >> 24) == apic_id(), "CPUID.1:EBX[31:24] is the APIC ID");

	r = cpuid(0x80000000u, 0);
	test_check(r.eax >= 0x80000001u, "CPUID.80000000: extended leaves up to 80000001 at least");

	if (!doorbell_present())
		return;
	r = cpuid(DOORBELL_CPUID_BASE, 0);
	test_check_doorbell(r.eax >= DOORBELL_CPUID_INFO, "CPUID.40000000: highest leaf");
	r = cpuid(DOORBELL_CPUID_INFO, 0);
	test_check_doorbell(r.eax == DOORBELL_ABI_VERSION, "CPUID.40000001: ABI version %u",
	                    DOORBELL_ABI_VERSION);
	test_check_doorbell(r.ebx == 0, "CPUID.40000001: boot vCPU index 0");
	test_check_doorbell(r.ecx == fwcfg_cpu_count(),
	                    "CPUID.40000001: vCPU count equals fw_cfg's CPU count");
	test_check_doorbell(!(cpuid(0x80000001u, 0).ecx & CPUID_81_ECX_SVM),
	                    "CPUID.80000001:ECX[2] SVM is hidden");
	test_check_doorbell(doorbell_hypercall(HC_VERSION, 0, 0, 0) == DOORBELL_ABI_VERSION,
	                    "HC_VERSION returns the ABI version");
	/* the state itself is printed by doorbell, checked by tests/qemu/guests.py */
	test_check_doorbell(doorbell_hypercall(HC_DEBUG_VCPU, 0, 0, 0) == HC_OK,
	                    "HC_DEBUG_VCPU of vCPU 0 is accepted");
	test_check_doorbell(doorbell_hypercall(HC_DEBUG_VCPU, r.ecx, 0, 0) == HC_E_INVAL,
	                    "HC_DEBUG_VCPU of a vCPU the VM does not have fails with HC_E_INVAL");
}

static void check_efer(void)
{
	uint64_t efer;
	test_check(msr_read_safe(MSR_EFER, &efer) < 0, "RDMSR EFER");
	test_check(!(efer & (EFER_LME | EFER_LMA)), "EFER: LME and LMA clear in protected mode");
	test_check(msr_write_safe(MSR_EFER, efer) < 0, "WRMSR EFER with its own value");
	test_check(rdmsr(MSR_EFER) == efer, "EFER unchanged by that write");
	test_check_doorbell(!(efer & EFER_SVME), "EFER.SVME reads as 0");
	test_check_doorbell(msr_write_safe(MSR_EFER, efer | EFER_SVME) == VEC_GP,
	                    "WRMSR EFER.SVME raises #GP");
}

static void check_pat(void)
{
	uint64_t pat;
	test_check(msr_read_safe(MSR_IA32_PAT, &pat) < 0, "RDMSR PAT");
	test_check(pat == PAT_RESET_VALUE, "PAT holds its reset value");
	test_check(msr_write_safe(MSR_IA32_PAT, PAT_TEST_VALUE) < 0, "WRMSR PAT");
	test_check(rdmsr(MSR_IA32_PAT) == PAT_TEST_VALUE, "PAT reads back the value written");
	test_check_doorbell(msr_write_safe(MSR_IA32_PAT, PAT_INVALID_TYPE) == VEC_GP,
	                    "WRMSR PAT with a reserved memory type raises #GP");
	wrmsr(MSR_IA32_PAT, pat);
}

/* QEMU's TCG does not implement MSR 0x10 (it reads 0 and ignores writes), so only the absence of
 * a fault is common; the values are checked under doorbell, which implements it as hardware does.
 */
static void check_tsc(void)
{
	uint64_t before = rdtsc(), value;
	test_check(msr_read_safe(MSR_IA32_TSC, &value) < 0, "RDMSR TSC");
	uint64_t after = rdtsc();
	test_check_doorbell(before <= value && value <= after, "RDMSR TSC lies between two RDTSCs");
	test_check(msr_write_safe(MSR_IA32_TSC, TSC_WRITE_VALUE) < 0, "WRMSR TSC");
	value = rdtsc();
	test_check_doorbell(value >= TSC_WRITE_VALUE && value < TSC_WRITE_VALUE + TSC_WRITE_SLACK,
	                    "RDTSC continues from the value written to the TSC MSR");
}

static void check_apic_base(void)
{
	uint64_t base;
	test_check(msr_read_safe(MSR_IA32_APIC_BASE, &base) < 0, "RDMSR APIC_BASE");
	test_check((base & ~0xfffull) == APIC_BASE_ADDR, "APIC_BASE: base address 0xfee00000");
	test_check(base & APIC_BASE_BSP, "APIC_BASE: BSP flag set on the boot CPU");
	test_check(base & APIC_BASE_ENABLE, "APIC_BASE: APIC globally enabled");
	test_check(msr_write_safe(MSR_IA32_APIC_BASE, base) < 0, "WRMSR APIC_BASE with its value");
	test_check(apic_read(APIC_VERSION) != 0xffffffffu, "APIC still answers after that write");
}

static void check_other(void)
{
	uint64_t value;
	test_check(msr_read_safe(MSR_IA32_MTRRCAP, &value) < 0, "RDMSR MTRRcap");
	printf("info: MTRRcap 0x%08x%08x\n", (uint32_t)(value >> 32), (uint32_t)value);
	test_check_doorbell(msr_write_safe(MSR_IA32_MTRRCAP, 0) == VEC_GP,
	                    "WRMSR MTRRcap (read-only) raises #GP");
	test_check(msr_write_safe(MSR_IA32_PKRS, 1ull << 32) == VEC_GP,
	           "WRMSR 0x6e1 with bits 63:32 set raises #GP");
	int vector = msr_read_safe(MSR_UNKNOWN, &value);
	printf(
	    "info: RDMSR 0x%x: vector %d, value 0x%08x%08x (QEMU's TCG reads unknown MSRs as 0)\n",
	    MSR_UNKNOWN, vector, (uint32_t)(value >> 32), (uint32_t)value);
	test_check_doorbell(vector == VEC_GP, "RDMSR of unknown MSR 0x%x raises #GP", MSR_UNKNOWN);
	test_check_doorbell(msr_write_safe(MSR_UNKNOWN, 0) == VEC_GP,
	                    "WRMSR of unknown MSR 0x%x raises #GP", MSR_UNKNOWN);
}

void guest_main(const struct multiboot_info *mbi)
{
	(void)mbi;
	check_cpuid();
	check_efer();
	check_pat();
	check_tsc();
	check_apic_base();
	check_other();
}
