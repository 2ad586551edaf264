/*
 * AVIC probes (AMD APM vol. 2, 15.29, xAPIC mode): VMRUN checks, the
 * accelerated, trap and fault accesses of the APIC page, IPI delivery
 * through the APIC ID tables, virtual interrupt delivery, the doorbell MSR
 * and the erratum #1235 switch of the patched QEMU.
 */
#include "tests/platform/probe.h"
#include "tests/platform/vm.h"

/* Physical APIC ID table entry (APM Table 15-23) */
#define AVIC_PHYS_V  (1ULL << 63)
#define AVIC_PHYS_IR (1ULL << 62)
/* Logical APIC ID table entry (APM Table 15-24) */
#define AVIC_LOG_V (1U << 31)
/* #VMEXIT 401h EXITINFO2[63:32] (APM Table 15-25) */
#define AVIC_IPI_INVALID_INT_TYPE     0ULL
#define AVIC_IPI_TARGET_NOT_RUNNING   1ULL
#define AVIC_IPI_INVALID_TARGET       2ULL
#define AVIC_IPI_INVALID_BACKING_PAGE 3ULL
#define BEYOND_MAXPHYADDR             (1ULL << 45)
#define AVIC_NOACCEL_WRITE            (1ULL << 32)
#define CPUID_SVM_FEATURES            0x8000000a
#define CPUID_SVM_AVIC                (1U << 13)

#define GUEST_APIC(off) (APIC_BASE + (off))
#define BACKING_SELF    0
#define BACKING_B       1
#define BACKING_C       2
#define NR_BACKING      3
#define WAKE_TIMEOUT    200000000U

static struct vm avic_vm;
static uint8_t backing[NR_BACKING][HW_PAGE_SIZE] HW_PAGE_ALIGNED;
static uint32_t logical_table[HW_PAGE_SIZE / 4] HW_PAGE_ALIGNED;
static volatile uint64_t physical_table[HW_PAGE_SIZE / 8] HW_PAGE_ALIGNED;

static uint64_t bp(unsigned page)
{
	return (uint64_t)backing[page];
}

static uint64_t phys_entry(unsigned page, bool running, unsigned host_apic_id)
{
	return AVIC_PHYS_V | (running ? AVIC_PHYS_IR : 0) | bp(page) | host_apic_id;
}

/* A guest with AVIC on, its own backing page and physical table entry 0. */
static void avic_setup(struct vm *vm, void (*entry)(void), unsigned max_index)
{
	vm_cpu_init(vm);
	vm_init(vm, entry);
	hw_memset(backing, 0, sizeof(backing));
	hw_memset(logical_table, 0, sizeof(logical_table));
	hw_memset((void *)physical_table, 0, sizeof(physical_table));
	physical_table[0] = phys_entry(BACKING_SELF, true, 0);
	vm_write(vm, VMCB_INT_CTL, INT_CTL_V_INTR_MASKING | INT_CTL_AVIC_ENABLE);
	vm_write(vm, VMCB_AVIC_APIC_BAR, APIC_BASE);
	vm_write(vm, VMCB_AVIC_BACKING_PAGE, bp(BACKING_SELF));
	vm_write(vm, VMCB_AVIC_LOGICAL_ID, (uint64_t)logical_table);
	vm_write(vm, VMCB_AVIC_PHYSICAL_ID, (uint64_t)physical_table | max_index);
}

/* Run to the next exit and check its code; a VMMCALL is stepped over. */
static void step(struct vm *vm, uint32_t want, const char *what)
{
	uint32_t code = vm_enter(vm);

	probe_check_eq(code, want, what);
	if (code == VMEXIT_VMMCALL)
		vm_skip_vmmcall(vm);
}

static void guest_report_forever(void)
{
	for (;;)
		vm_guest_report();
}

static void guest_ipi(uint8_t dest, uint32_t icr_lo)
{
	hw_write32(GUEST_APIC(APIC_ICR_HI), (uint32_t)dest << 24);
	hw_write32(GUEST_APIC(APIC_ICR_LO), icr_lo);
}

static uint64_t icr(uint8_t dest, uint32_t icr_lo)
{
	return ((uint64_t)dest << 56) | icr_lo;
}

/* ---- VMRUN checks (APM 15.29.4) ---------------------------------------- */

static void vmrun_try(uint32_t int_ctl, uint64_t backing_pa, unsigned max_index, uint32_t want,
                      const char *what)
{
	avic_setup(&avic_vm, guest_report_forever, max_index);
	vm_write(&avic_vm, VMCB_INT_CTL, int_ctl);
	vm_write(&avic_vm, VMCB_AVIC_BACKING_PAGE, backing_pa);
	probe_check_eq(vm_enter(&avic_vm), want, what);
}

void avic_probe_vmrun_checks(void)
{
	uint32_t a, b, c, d;
	uint32_t avic = INT_CTL_V_INTR_MASKING | INT_CTL_AVIC_ENABLE;

	hw_cpuid(CPUID_SVM_FEATURES, &a, &b, &c, &d);
	probe_check(d & CPUID_SVM_AVIC, "CPUID 8000_000A EDX[13] (AVIC)");

	vmrun_try(avic, bp(0), 0, VMEXIT_VMMCALL, "valid AVIC VMCB runs");
	vmrun_try(avic, bp(0), 255, VMEXIT_VMMCALL, "max index 255 runs");
	vmrun_try(avic, bp(0), 256, VMEXIT_INVALID, "max index 256: VMEXIT_INVALID");
	vmrun_try(avic, 1ULL << 51, 0, VMEXIT_INVALID, "backing page beyond MAXPHYADDR");
	vmrun_try(INT_CTL_V_INTR_MASKING | INT_CTL_X2AVIC_ENABLE, bp(0), 0, VMEXIT_INVALID,
	          "x2AVIC enable without AVIC enable");
	vmrun_try(INT_CTL_V_INTR_MASKING, 1ULL << 51, 256, VMEXIT_VMMCALL,
	          "AVIC fields ignored while int_ctl bit 31 is clear");
}

/* ---- accelerated TPR/EOI/self-IPI and interrupt delivery ------------------ */

static volatile uint32_t guest_read_tpr;

static void accel_guest(void)
{
	hw_write32(GUEST_APIC(APIC_TPR), 0x30);
	vm_guest_report();
	hw_write32(GUEST_APIC(APIC_EOI), 0);
	vm_guest_report();
	__asm__ volatile("sti; nop; nop; cli");
	vm_guest_report();
	hw_write32(GUEST_APIC(APIC_EOI), 0);
	vm_guest_report();
	hw_write32(GUEST_APIC(APIC_TPR), 0x50);
	__asm__ volatile("sti; nop; nop; cli");
	vm_guest_report();
	__asm__ volatile("sti; nop");
	hw_write32(GUEST_APIC(APIC_TPR), 0);
	__asm__ volatile("cli");
	vm_guest_report();
	hw_write32(GUEST_APIC(APIC_EOI), 0);
	__asm__ volatile("sti; nop");
	hw_write32(GUEST_APIC(APIC_ICR_LO), ICR_SELF | 0x70);
	__asm__ volatile("cli");
	vm_guest_report();
	hw_write32(GUEST_APIC(APIC_EOI), 0);
	guest_read_tpr = hw_read32(GUEST_APIC(APIC_TPR));
	vm_guest_report();
	__asm__ volatile("mov %0, %%cr8" : : "r"(2ULL) : "memory");
	guest_report_forever();
}

void avic_probe_accel(void)
{
	struct vm *vm = &avic_vm;
	uint64_t self = bp(BACKING_SELF);

	avic_setup(vm, accel_guest, 0);

	step(vm, VMEXIT_VMMCALL, "TPR write is accelerated (no exit)");
	probe_check_eq(hw_read32(self + APIC_TPR), 0x30, "backing page TPR");
	probe_check_eq(vm_read(vm, VMCB_INT_CTL) & INT_CTL_V_TPR_MASK, 3, "V_TPR = TPR[7:4]");
	probe_check_eq(hw_read32(self + APIC_PPR), 0x30, "PPR follows TPR");

	hw_apic_set_bit(self + APIC_ISR, 0x50, true);
	step(vm, VMEXIT_VMMCALL, "edge EOI is accelerated (no exit)");
	probe_check(!hw_apic_bit(self + APIC_ISR, 0x50), "edge EOI clears the highest ISR bit");

	hw_apic_set_bit(self + APIC_IRR, 0x61, true);
	step(vm, VMEXIT_VMMCALL, "IRR vector above PPR delivered at VMRUN");
	probe_check_eq(irq_count[0x61], 1, "guest took vector 61h once");
	probe_check(!hw_apic_bit(self + APIC_IRR, 0x61), "IRR bit 61h moved out");
	probe_check(hw_apic_bit(self + APIC_ISR, 0x61), "ISR bit 61h set");
	probe_check_eq(hw_read32(self + APIC_PPR), 0x60, "PPR = ISRV class");

	step(vm, VMEXIT_VMMCALL, "EOI after delivery");
	probe_check(!hw_apic_bit(self + APIC_ISR, 0x61), "ISR bit 61h cleared");
	probe_check_eq(hw_read32(self + APIC_PPR), 0x30, "PPR back to TPR");

	hw_apic_set_bit(self + APIC_IRR, 0x42, true);
	step(vm, VMEXIT_VMMCALL, "TPR 50h written");
	probe_check_eq(irq_count[0x42], 0, "vector 42h blocked by TPR 50h");
	probe_check(hw_apic_bit(self + APIC_IRR, 0x42), "vector 42h stays in IRR");

	step(vm, VMEXIT_VMMCALL, "TPR lowered to 0");
	probe_check_eq(irq_count[0x42], 1, "vector 42h delivered after the TPR write");

	step(vm, VMEXIT_VMMCALL, "self IPI is accelerated (no exit)");
	probe_check_eq(irq_count[0x70], 1, "self IPI vector 70h delivered");

	step(vm, VMEXIT_VMMCALL, "APIC page read");
	probe_check_eq(guest_read_tpr, hw_read32(self + APIC_TPR), "guest TPR read = backing page");

	step(vm, VMEXIT_VMMCALL, "CR8 write");
	probe_check_eq(hw_read32(self + APIC_TPR), 0x20, "CR8 write updates the backing page TPR");
}

/* ---- trap and fault accesses (APM Table 15-22) --------------------------- */

extern char tf_ldr_end[], tf_apr[], tf_apr_end[], tf_ppr[], tf_ppr_end[], tf_eoi_end[];
extern char tf_spiv_end[], tf_ccr[], tf_ccr_end[];

/*
 * A guest APIC-page write or read between the global labels NAME and
 * NAME_end, so the host can check the RIP a trap or fault exit reports.
 */
#define GUEST_WRITE_AT(name, off, val)                                                             \
	__asm__ volatile(".globl " #name ", " #name "_end\n" #name ": movl %0, (%1)\n" #name       \
	                 "_end:"                                                                   \
	                 :                                                                         \
	                 : "r"(val), "r"(GUEST_APIC(off))                                          \
	                 : "memory")
#define GUEST_READ_AT(name, off)                                                                   \
	({                                                                                         \
		uint32_t v_;                                                                       \
		__asm__ volatile(".globl " #name ", " #name "_end\n" #name                         \
		                 ": movl (%1), %0\n" #name "_end:"                                 \
		                 : "=r"(v_)                                                        \
		                 : "r"(GUEST_APIC(off))                                            \
		                 : "memory");                                                      \
		v_;                                                                                \
	})

static void trap_fault_guest(void)
{
	GUEST_WRITE_AT(tf_ldr, APIC_LDR, 0x01000000U);
	vm_guest_report();
	(void)GUEST_READ_AT(tf_apr, APIC_APR);
	vm_guest_report();
	GUEST_WRITE_AT(tf_ppr, APIC_PPR, 0x12345678U);
	vm_guest_report();
	GUEST_WRITE_AT(tf_eoi, APIC_EOI, 0U);
	vm_guest_report();
	GUEST_WRITE_AT(tf_spiv, APIC_SPIV, 0x1ffU);
	vm_guest_report();
	(void)GUEST_READ_AT(tf_ccr, APIC_TMCCT);
	guest_report_forever();
}

static void expect_noaccel(struct vm *vm, uint64_t info1, uint64_t info2, const char *rip,
                           const char *what)
{
	probe_check_eq(vm_enter(vm), VMEXIT_AVIC_NOACCEL, what);
	probe_check_eq(vm_read(vm, VMCB_EXITINFO1), info1, "EXITINFO1 = write<<32 | offset");
	probe_check_eq(vm_read(vm, VMCB_EXITINFO2), info2, "EXITINFO2");
	probe_check_eq(vm_read(vm, VMCB_RIP), (uint64_t)rip, "RIP at the exit");
}

void avic_probe_trap_fault(void)
{
	struct vm *vm = &avic_vm;
	uint64_t self = bp(BACKING_SELF);

	avic_setup(vm, trap_fault_guest, 0);

	expect_noaccel(vm, AVIC_NOACCEL_WRITE | APIC_LDR, 0, tf_ldr_end,
	               "LDR write traps (402h after the write)");
	probe_check_eq(hw_read32(self + APIC_LDR), 0x01000000,
	               "LDR write reached the backing page");
	step(vm, VMEXIT_VMMCALL, "guest resumes after the trap");

	expect_noaccel(vm, APIC_APR, 0, tf_apr, "APR read faults (402h before the access)");
	vm_write(vm, VMCB_RIP, (uint64_t)tf_apr_end);
	step(vm, VMEXIT_VMMCALL, "guest resumes after the fault");

	expect_noaccel(vm, AVIC_NOACCEL_WRITE | APIC_PPR, 0, tf_ppr, "PPR write faults");
	probe_check_eq(hw_read32(self + APIC_PPR), 0,
	               "faulting write did not reach the backing page");
	vm_write(vm, VMCB_RIP, (uint64_t)tf_ppr_end);
	step(vm, VMEXIT_VMMCALL, "guest resumes after the PPR fault");

	hw_apic_set_bit(self + APIC_ISR, 0x55, true);
	hw_apic_set_bit(self + APIC_TMR, 0x55, true);
	expect_noaccel(vm, AVIC_NOACCEL_WRITE | APIC_EOI, 0x55, tf_eoi_end,
	               "level-triggered EOI traps with the vector in EXITINFO2");
	probe_check(hw_apic_bit(self + APIC_ISR, 0x55), "level EOI left ISR to the hypervisor");
	step(vm, VMEXIT_VMMCALL, "guest resumes after the EOI trap");

	expect_noaccel(vm, AVIC_NOACCEL_WRITE | APIC_SPIV, 0, tf_spiv_end, "SPIV write traps");
	probe_check_eq(hw_read32(self + APIC_SPIV), 0x1ff, "SPIV write reached the backing page");
	step(vm, VMEXIT_VMMCALL, "guest resumes after the SPIV trap");

	expect_noaccel(vm, APIC_TMCCT, 0, tf_ccr, "current count read faults");
	vm_write(vm, VMCB_RIP, (uint64_t)tf_ccr_end);
	step(vm, VMEXIT_VMMCALL, "guest resumes after the CCR fault");
}

/* ---- IPI delivery through the tables (APM 15.29.6.1) --------------------- */

static void ipi_guest(void)
{
	guest_ipi(1, 0x41);
	vm_guest_report();
	guest_ipi(2, 0x42);
	vm_guest_report();
	guest_ipi(3, 0x43);
	vm_guest_report();
	guest_ipi(5, 0x43);
	vm_guest_report();
	guest_ipi(1, ICR_NMI | ICR_ASSERT);
	vm_guest_report();
	guest_ipi(1, ICR_LEVEL | ICR_ASSERT | 0x44);
	vm_guest_report();
	guest_ipi(0x02, ICR_LOGICAL | 0x45);
	vm_guest_report();
	guest_ipi(0x08, ICR_LOGICAL | 0x45);
	vm_guest_report();
	guest_ipi(0, ICR_ALL_EXCL | 0x46);
	vm_guest_report();
	guest_ipi(4, 0x4b);
	guest_report_forever();
}

static void expect_incomplete_ipi(struct vm *vm, uint64_t icr_val, uint64_t id, uint64_t index,
                                  const char *what)
{
	probe_check_eq(vm_enter(vm), VMEXIT_AVIC_INCOMPLETE_IPI, what);
	probe_check_eq(vm_read(vm, VMCB_EXITINFO1), icr_val, "EXITINFO1 = ICR");
	probe_check_eq(vm_read(vm, VMCB_EXITINFO2), id << 32 | index, "EXITINFO2 = ID<<32 | index");
	step(vm, VMEXIT_VMMCALL, "guest resumes after the IPI exit");
}

void avic_probe_ipi(void)
{
	struct vm *vm = &avic_vm;

	avic_setup(vm, ipi_guest, 4);
	/* 1: running elsewhere (host APIC ID 1); 2: not running; 3: invalid */
	physical_table[1] = phys_entry(BACKING_B, true, 1);
	physical_table[2] = phys_entry(BACKING_C, false, 0);
	/* flat logical mode: bit 1 -> physical ID 1, bit 3 -> invalid entry */
	hw_write32(bp(BACKING_SELF) + APIC_DFR, 0xffffffff);
	logical_table[1] = AVIC_LOG_V | 1;

	step(vm, VMEXIT_VMMCALL, "IPI to a running target: no exit");
	probe_check(hw_apic_bit(bp(BACKING_B) + APIC_IRR, 0x41), "running target's IRR set");

	expect_incomplete_ipi(vm, icr(2, 0x42), AVIC_IPI_TARGET_NOT_RUNNING, 2,
	                      "IPI to a not-running target: 401h ID 1");
	probe_check(hw_apic_bit(bp(BACKING_C) + APIC_IRR, 0x42), "IRR set before the exit");

	expect_incomplete_ipi(vm, icr(3, 0x43), AVIC_IPI_INVALID_TARGET, 3,
	                      "invalid physical entry: 401h ID 2");
	expect_incomplete_ipi(vm, icr(5, 0x43), AVIC_IPI_INVALID_TARGET, 5,
	                      "destination beyond max index: 401h ID 2");
	probe_check(!hw_apic_bit(bp(BACKING_B) + APIC_IRR, 0x43) &&
	                !hw_apic_bit(bp(BACKING_C) + APIC_IRR, 0x43),
	            "invalid target sets no IRR");
	expect_incomplete_ipi(vm, icr(1, ICR_NMI | ICR_ASSERT), AVIC_IPI_INVALID_INT_TYPE, 0,
	                      "NMI IPI: 401h ID 0");
	expect_incomplete_ipi(vm, icr(1, ICR_LEVEL | ICR_ASSERT | 0x44), AVIC_IPI_INVALID_INT_TYPE,
	                      0, "level-triggered IPI: 401h ID 0");
	probe_check(!hw_apic_bit(bp(BACKING_B) + APIC_IRR, 0x44), "invalid type sets no IRR");

	step(vm, VMEXIT_VMMCALL, "logical flat IPI to a running target: no exit");
	probe_check(hw_apic_bit(bp(BACKING_B) + APIC_IRR, 0x45), "logical target's IRR set");
	expect_incomplete_ipi(vm, icr(0x08, ICR_LOGICAL | 0x45), AVIC_IPI_INVALID_TARGET, 3,
	                      "invalid logical entry: 401h ID 2");

	expect_incomplete_ipi(vm, icr(0, ICR_ALL_EXCL | 0x46), AVIC_IPI_TARGET_NOT_RUNNING, 2,
	                      "broadcast with a not-running target: 401h ID 1");
	probe_check(hw_apic_bit(bp(BACKING_B) + APIC_IRR, 0x46) &&
	                hw_apic_bit(bp(BACKING_C) + APIC_IRR, 0x46),
	            "broadcast set every valid target's IRR");
	probe_check(!hw_apic_bit(bp(BACKING_SELF) + APIC_IRR, 0x46),
	            "all-excluding-self skips self");

	/* entry 4 names a backing page beyond MAXPHYADDR (40 bits for qemu64) */
	physical_table[4] = AVIC_PHYS_V | AVIC_PHYS_IR | BEYOND_MAXPHYADDR;
	expect_incomplete_ipi(vm, icr(4, 0x4b), AVIC_IPI_INVALID_BACKING_PAGE, 4,
	                      "invalid backing page: 401h ID 3");
}

/* ---- two CPUs: a doorbell wakes a halted guest --------------------------- */

static struct vm ap_vm;
static volatile bool ap_in_guest;
static volatile uint32_t ap_wakeups; /* HLTs of the AP guest that ended */

static void ap_guest(void)
{
	for (;;) {
		__asm__ volatile("sti; hlt; cli");
		hw_write32(GUEST_APIC(APIC_EOI), 0);
		vm_guest_report();
	}
}

/* On the AP: vCPU 1 of the same VM (backing page B), host APIC ID 1, running. */
static void ap_vm_setup(void (*entry)(void))
{
	vm_cpu_init(&ap_vm);
	vm_init(&ap_vm, entry);
	vm_write(&ap_vm, VMCB_INT_CTL, INT_CTL_V_INTR_MASKING | INT_CTL_AVIC_ENABLE);
	vm_write(&ap_vm, VMCB_AVIC_APIC_BAR, APIC_BASE);
	vm_write(&ap_vm, VMCB_AVIC_BACKING_PAGE, bp(BACKING_B));
	vm_write(&ap_vm, VMCB_AVIC_LOGICAL_ID, (uint64_t)logical_table);
	vm_write(&ap_vm, VMCB_AVIC_PHYSICAL_ID, (uint64_t)physical_table | 3);
	physical_table[1] = phys_entry(BACKING_B, true, 1);
}

static void ap_host(void)
{
	ap_vm_setup(ap_guest);
	for (;;) {
		ap_in_guest = true;
		if (vm_enter(&ap_vm) == VMEXIT_VMMCALL) {
			vm_skip_vmmcall(&ap_vm);
			ap_wakeups++;
		}
	}
}

static void smp_guest(void)
{
	guest_ipi(1, 0x49);
	guest_report_forever();
}

/* Wait until the AP guest has taken @vector and its host has seen HLT end. */
static bool wait_irq(unsigned vector, uint32_t wakeups)
{
	uint32_t i;

	for (i = 0; i < WAKE_TIMEOUT && (!irq_count[vector] || ap_wakeups < wakeups); i++)
		__asm__ volatile("pause");
	return irq_count[vector] != 0;
}

void avic_probe_ipi_smp(void)
{
	struct vm *vm = &avic_vm;

	avic_setup(vm, smp_guest, 3);
	probe_start_ap(ap_host);
	while (!ap_in_guest)
		__asm__ volatile("pause");
	hw_delay(1000000);

	step(vm, VMEXIT_VMMCALL, "IPI to the running vCPU on the AP: no exit");
	probe_check(wait_irq(0x49, 1), "doorbell from the IPI woke the halted AP guest");
	probe_check_eq(irq_count[0x49], 1, "AP guest took vector 49h once");
	probe_check_eq(ap_wakeups, 1, "the AP guest's HLT ended once");
	/* let the AP go back into its guest and halt there */
	hw_delay(5000000);

	/* IRR set by "software" without a doorbell: the halted guest sleeps on */
	__asm__ volatile(
	    "lock orl %1, %0"
	    : "+m"(*(volatile uint32_t *)(bp(BACKING_B) + APIC_IRR + (0x4a / 32) * 0x10))
	    : "r"(1U << (0x4a % 32)));
	hw_delay(5000000);
	probe_check_eq(irq_count[0x4a], 0, "IRR alone is not delivered to a halted guest");
	probe_check_eq(ap_wakeups, 1, "IRR alone does not end the guest's HLT");
	hw_wrmsr(MSR_AMD64_SVM_AVIC_DOORBELL, 1);
	probe_check(wait_irq(0x4a, 2), "doorbell MSR write woke the AP guest");
	probe_check_eq(irq_count[0x4a], 1, "AP guest took vector 4Ah once");
	probe_check_eq(ap_wakeups, 2, "the doorbell ended the HLT");
}

/* ---- doorbell MSR access rules (APM 15.29.8.3) --------------------------- */

void avic_probe_doorbell_msr(void)
{
	uint32_t before = gp_count;

	(void)hw_rdmsr(MSR_AMD64_SVM_AVIC_DOORBELL);
	probe_check_eq(gp_count, before + 1, "RDMSR C001_011Bh raises #GP");
	hw_wrmsr(MSR_AMD64_SVM_AVIC_DOORBELL, 0);
	probe_check_eq(gp_count, before + 1, "WRMSR C001_011Bh with an APIC ID is accepted");
	hw_wrmsr(MSR_AMD64_SVM_AVIC_DOORBELL, 1ULL << 40);
	probe_check_eq(gp_count, before + 2, "WRMSR C001_011Bh with reserved bits raises #GP");
}

/* ---- erratum #1235: IsRunning cleared while the sender runs -------------- */

static void erratum_guest(void)
{
	/*
	 * Stands in for the hypervisor on another CPU descheduling vCPU 1
	 * while this vCPU is in guest mode: IsRunning is cleared after VMRUN.
	 */
	physical_table[1] &= ~AVIC_PHYS_IR;
	guest_ipi(1, 0x47);
	vm_guest_report();
	/* after a new VMRUN the cleared bit is seen with or without the erratum */
	guest_ipi(1, 0x48);
	guest_report_forever();
}

void avic_probe_erratum(void)
{
	struct vm *vm = &avic_vm;
	bool erratum = probe_arg("erratum=on");
	uint32_t code;

	hw_puts(erratum ? "  avic-erratum-1235=on: the exit must be missed\n"
	                : "  avic-erratum-1235=off: the exit must be taken\n");
	avic_setup(vm, erratum_guest, 3);
	physical_table[1] = phys_entry(BACKING_B, true, 1);

	code = vm_enter(vm);
	if (erratum) {
		probe_check_eq(code, VMEXIT_VMMCALL,
		               "erratum on: no 401h for a just-descheduled target");
	} else {
		probe_check_eq(code, VMEXIT_AVIC_INCOMPLETE_IPI, "erratum off: 401h taken");
		probe_check_eq(vm_read(vm, VMCB_EXITINFO2), AVIC_IPI_TARGET_NOT_RUNNING << 32 | 1,
		               "EXITINFO2 = ID 1, index 1");
		code = vm_enter(vm);
		probe_check_eq(code, VMEXIT_VMMCALL, "guest resumes after the IPI exit");
	}
	if (code == VMEXIT_VMMCALL)
		vm_skip_vmmcall(vm);
	probe_check(hw_apic_bit(bp(BACKING_B) + APIC_IRR, 0x47), "target IRR set either way");

	expect_incomplete_ipi(vm, icr(1, 0x48), AVIC_IPI_TARGET_NOT_RUNNING, 1,
	                      "window closed by the next VMRUN: 401h taken");
}

/* ---- erratum #1235 across CPUs: the lost wake-up --------------------------- */

static volatile bool sender_in_guest, target_descheduled;

/* vCPU 0 on the BSP: once vCPU 1 has been descheduled, IPI it. */
static void sender_guest(void)
{
	sender_in_guest = true;
	while (!target_descheduled)
		__asm__ volatile("pause");
	guest_ipi(1, 0x4c);
	guest_report_forever();
}

/*
 * The AP's hypervisor runs vCPU 1 until it exits, then deschedules it the
 * way a hypervisor does (IsRunning = 0) while vCPU 0 is in guest mode on the
 * BSP, and goes idle.
 */
static void desched_host(void)
{
	ap_vm_setup(guest_report_forever);
	while (!sender_in_guest)
		__asm__ volatile("pause");
	(void)vm_enter(&ap_vm);
	physical_table[1] &= ~AVIC_PHYS_IR;
	target_descheduled = true;
	for (;;)
		__asm__ volatile("cli; hlt");
}

void avic_probe_erratum_smp(void)
{
	struct vm *vm = &avic_vm;
	bool erratum = probe_arg("erratum=on");
	uint32_t code;

	hw_puts(erratum ? "  avic-erratum-1235=on: the wake-up exit must be lost\n"
	                : "  avic-erratum-1235=off: the wake-up exit must be taken\n");
	avic_setup(vm, sender_guest, 3);
	physical_table[1] = phys_entry(BACKING_B, true, 1);
	probe_start_ap(desched_host);

	code = vm_enter(vm);
	if (erratum) {
		probe_check_eq(code, VMEXIT_VMMCALL,
		               "erratum on: IPI to the just-descheduled vCPU does not exit");
	} else {
		probe_check_eq(code, VMEXIT_AVIC_INCOMPLETE_IPI, "erratum off: 401h taken");
		probe_check_eq(vm_read(vm, VMCB_EXITINFO2), AVIC_IPI_TARGET_NOT_RUNNING << 32 | 1,
		               "EXITINFO2 = ID 1, index 1");
	}
	probe_check(hw_apic_bit(bp(BACKING_B) + APIC_IRR, 0x4c), "target IRR set either way");
}

/* ---- VMRUN keeps the guest's interrupt shadow ------------------------------ */

#define SHADOW_VECTOR 0x50

/* The first instruction after VMRUN is the VMMCALL itself: with the shadow honoured it exits
 * before the pending vector is taken (naked: no prologue in front of it). */
__attribute__((naked)) static void shadow_guest(void)
{
	__asm__ volatile("vmmcall\n\t"
	                 "jmp guest_report_forever_entry");
}

__attribute__((used)) static void guest_report_forever_entry(void)
{
	guest_report_forever();
}

/*
 * A #VMEXIT that interrupts a guest in an STI shadow (a host interrupt between `sti` and `hlt`)
 * saves the shadow in int_state bit 0, and the next VMRUN must restore it (APM vol. 2 15.21.5,
 * VMCB offset 068h): the guest's next instruction runs before any interrupt, or an interrupt
 * pending in the IRR is taken before the guest's `hlt`, which then sleeps with nothing pending
 * (the lost wake-up of doorbell's `make bench` under policy=standard, docs/avic.md).
 */
void avic_probe_shadow(void)
{
	struct vm *vm = &avic_vm;
	uint32_t before = irq_count[SHADOW_VECTOR];

	avic_setup(vm, shadow_guest, 0);
	vm_write(vm, VMCB_RFLAGS, 0x2 | RFLAGS_IF);
	vm_write(vm, VMCB_INT_STATE, 1);
	hw_apic_set_bit(bp(BACKING_SELF) + APIC_IRR, SHADOW_VECTOR, true);

	step(vm, VMEXIT_VMMCALL, "VMRUN in a shadow: the first instruction exits");
	probe_check_eq(irq_count[SHADOW_VECTOR], before,
	               "no interrupt taken in the shadow restored from int_state");
	probe_check(hw_apic_bit(bp(BACKING_SELF) + APIC_IRR, SHADOW_VECTOR),
	            "the vector still waits in the IRR");
	step(vm, VMEXIT_VMMCALL, "VMRUN without a shadow");
	probe_check_eq(irq_count[SHADOW_VECTOR], before + 1, "then the vector is taken");
}
