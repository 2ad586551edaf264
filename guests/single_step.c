/* Single-step over the instructions a hypervisor emulates: with EFLAGS.TF set, each of CPUID,
 * RDMSR, WRMSR, IN, OUT, a MOV to CR4, an IOAPIC MMIO read and a local APIC MMIO read must be
 * followed by exactly one #DB trap, with EIP just after it and DR6.BS set (APM vol. 2, 13.1.3.4;
 * SDM vol. 3, 17.3.1.4). After MOV SS the trap waits one more instruction (SDM vol. 3, 6.8.3), so
 * MOV SS followed by CPUID gives one #DB after CPUID. An instruction that faults (#GP) gives its
 * fault and no #DB. Common checks: QEMU alone steps through these natively. */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/x86.h"

const char guest_name[] = "single_step";

#define EFLAGS_TF BIT(8)
#define DR6_BS    BIT(14)
#define IOAPIC_BASE 0xfec00000u
#define UART_LSR  0x3fd
#define POST_PORT 0x80

static volatile uint32_t db_count, db_eip, db_dr6;

/* Records the trap and stops stepping (TF cleared in the saved EFLAGS; DR6 cleared, as the SDM
 * asks handlers to). */
static void on_db(struct trap_frame *f)
{
	uint32_t dr6;
	__asm__ volatile("mov %%db6, %0" : "=r"(dr6));
	db_count++;
	db_eip = f->eip;
	db_dr6 = dr6;
	f->eflags &= ~(uint32_t)EFLAGS_TF;
	__asm__ volatile("mov %0, %%db6" ::"r"(0xffff0ff0u));
}

static void check_step(const char *what, const void *after)
{
	test_check(db_count == 1, "%s: one #DB (%u)", what, db_count);
	test_check(db_eip == (uint32_t)(uintptr_t)after, "%s: #DB EIP 0x%x is after it (0x%x)", what,
	           db_eip, (uint32_t)(uintptr_t)after);
	test_check(db_dr6 & DR6_BS, "%s: DR6.BS set (DR6 0x%x)", what, db_dr6);
	db_count = 0;
	db_eip = db_dr6 = 0;
}

/* TF on, then the instruction under test at label NAME, then label NAME_after. POPF's own trap
 * comes after the instruction that follows it (the first one executed with TF set). */
#define STEP(name, insn, ...)                                                                      \
	__asm__ volatile("pushfl; orl $0x100, (%%esp); popfl\n\t" insn                             \
	                 "\n.globl " #name "_after\n" #name "_after: nop" __VA_ARGS__)

extern const char cpuid_after[], rdmsr_after[], wrmsr_after[], in_after[], out_after[],
    cr4_after[], ioapic_after[], apic_after[], movss_after[];

__attribute__((noinline, noclone)) static void steps(void)
{
	uint32_t a = 0, b, c = 0, d;
	STEP(cpuid, "cpuid", : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
	check_step("CPUID", cpuid_after);
	uint32_t lo, hi;
	STEP(rdmsr, "rdmsr", : "=a"(lo), "=d"(hi) : "c"(MSR_IA32_APIC_BASE) : "memory");
	check_step("RDMSR APIC_BASE", rdmsr_after);
	STEP(wrmsr, "wrmsr", ::"c"(MSR_IA32_APIC_BASE), "a"(lo), "d"(hi) : "memory");
	check_step("WRMSR APIC_BASE", wrmsr_after);
	uint8_t lsr;
	STEP(in, "inb %%dx, %%al", : "=a"(lsr) : "d"(UART_LSR) : "memory");
	check_step("IN from the UART's LSR", in_after);
	STEP(out, "outb %%al, %%dx", ::"a"(0), "d"(POST_PORT) : "memory");
	check_step("OUT to port 0x80", out_after);
	uint32_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	STEP(cr4, "mov %0, %%cr4", ::"r"(cr4) : "memory");
	check_step("MOV to CR4", cr4_after);
	*(volatile uint32_t *)IOAPIC_BASE = 1; /* IOREGSEL: the version register */
	uint32_t version;
	STEP(ioapic, "movl (%1), %0", : "=r"(version) : "r"(IOAPIC_BASE + 0x10) : "memory");
	check_step("IOAPIC MMIO read", ioapic_after);
	uint32_t apic_version;
	STEP(apic, "movl (%1), %0", : "=r"(apic_version) : "r"(APIC_BASE_ADDR + APIC_VERSION) : "memory");
	check_step("local APIC MMIO read", apic_after);
	printf("info: IOAPIC version 0x%x, APIC version 0x%x\n", version, apic_version);
	/* MOV SS holds the trap back over CPUID: one #DB, after CPUID */
	uint16_t ss;
	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	a = 0;
	STEP(movss, "movw %4, %%ss\n\tcpuid", : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : "r"(ss) : "memory");
	check_step("MOV SS then CPUID", movss_after);
}

/* A faulting WRMSR under TF: the #GP, no #DB (the instruction did not complete). */
static volatile uint32_t gp_count;
static void on_gp(struct trap_frame *f)
{
	gp_count++;
	f->eip += 2; /* past WRMSR */
	f->eflags &= ~(uint32_t)EFLAGS_TF;
}

__attribute__((noinline, noclone)) static void faulting_step(void)
{
	idt_set_handler(VEC_GP, on_gp);
	STEP(wrgp, "wrmsr", ::"c"(MSR_EFER), "a"(1u << 1), "d"(0) : "memory");
	idt_set_handler(VEC_GP, NULL);
	test_check_doorbell(gp_count == 1 && db_count == 0,
	                    "WRMSR EFER with a reserved bit under TF: #GP, no #DB (%u, %u)",
	                    gp_count, db_count);
	db_count = 0;
}

void guest_main(const struct multiboot_info *mbi)
{
	(void)mbi;
	idt_set_handler(VEC_DB, on_db);
	steps();
	/* QEMU alone ignores the reserved EFER bit: only under doorbell does WRMSR fault */
	if (doorbell_present())
		faulting_step();
	idt_set_handler(VEC_DB, NULL);
}
