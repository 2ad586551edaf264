/*
 * Probes of the SVM world switch itself (tools/qemu patches 9 and 10):
 *
 * - svm-efer-lme: a guest in 32-bit protected mode with paging off and
 *   EFER.LME=1 (architecturally harmless: long mode activates only with
 *   CR0.PG, APM vol. 2, 14.6.1) exits with VMMCALL; the host must come back
 *   with its own CR0, CR4 and EFER.  QEMU 7.2 kept the guest's CR0 (no
 *   paging) and the host died.
 * - svm-v86-tss: a guest in virtual-8086 mode raises #GP (INT n with IOPL 0).
 *   With TR holding a 32-bit busy TSS (the type of APM Table 14-1) the #GP is
 *   delivered on the TSS's ring-0 stack to a handler that exits with VMMCALL;
 *   with TR not present the architectural answer is #TS with the TR selector
 *   (intercepted here).  QEMU 7.2 aborted ("invalid tss type", "invalid tss").
 * - svm-fpu-race (patch 14): CPU 0 runs a guest round trip (VMMCALL) over
 *   and over while CPU 1 executes FXRSTOR in a loop.  The guest's nested page
 *   tables map only its code page, so a #VMEXIT that leaves the guest's
 *   HF2_NPT in force makes the host's next instruction fetch walk the host's
 *   page tables through them: a nested page fault "exit" in host mode, written
 *   into the guest's VMCB with the host's RIP.  QEMU 7.2's FXRSTOR cleared
 *   IGNNE in CPU 0's hflags2 with a plain read-modify-write from CPU 1's
 *   thread, so CPU 0's own hflags2 updates at VMRUN and #VMEXIT were lost.
 */
#include "tests/platform/probe.h"
#include "tests/platform/vm.h"

#define VMCB_INTERCEPT_EXCEPTIONS 0x008
#define VMCB_EXITINFO1_OFF        0x078
#define VMCB_TR                   0x490
#define VMCB_CPL                  0x4cb
#define VMEXIT_EXCP_TS            (0x040 + 10)
#define CR0_PE                    (1ULL << 0)
#define CR0_ET                    (1ULL << 4)
#define EFER_LME                  (1ULL << 8)
#define RFLAGS_VM                 (1ULL << 17)
/* VMCB attributes: type | S<<4 | DPL<<5 | P<<7 | L<<9 | DB<<10 | G<<11 */
#define ATTR_CODE32  0x0c9b
#define ATTR_DATA32  0x0c93
#define ATTR_V86     0x00f3 /* data/code, DPL 3, present: what v86 segments hold */
#define ATTR_TSS32_B 0x008b /* present 32-bit busy TSS */
#define SEL_CODE     0x08   /* the probe's GDT: any code descriptor will do for the gate */
#define SEL_DATA     0x10
#define V86_SEG      0x0700 /* v86 code at linear 0x7000 */
#define V86_FRAME    40     /* #GP from v86: error code and 9 dwords */

static struct vm cpu_vm;
/* the guest's code: VMMCALL (0F 01 D9) works in every mode */
static volatile uint8_t vmmcall_code[16] __attribute__((aligned(16))) = {0x0f, 0x01, 0xd9};
/* a 32-bit TSS (ESP0 at 4, SS0 at 8) and a legacy-mode IDT with gate 13 */
static volatile uint32_t tss32[26] __attribute__((aligned(64)));
static volatile uint32_t idt32[2 * 32] __attribute__((aligned(8)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
/* svm-fpu-race: nested page tables mapping only the page of vmmcall_code */
static volatile uint64_t race_npt[4][512] __attribute__((aligned(4096)));
static uint8_t fxsave_image[512] __attribute__((aligned(16)));
static volatile bool race_done;
static volatile uint64_t race_fxrstors;

static void seg(unsigned off, uint16_t sel, uint16_t attr, uint32_t limit, uint64_t base)
{
	volatile uint8_t *v = &cpu_vm.vmcb[off];
	*(volatile uint16_t *)v = sel;
	*(volatile uint16_t *)(v + 2) = attr;
	*(volatile uint32_t *)(v + 4) = limit;
	*(volatile uint64_t *)(v + 8) = base;
}

static void vmload(void)
{
	__asm__ volatile("vmload %%rax" : : "a"((uint64_t)cpu_vm.vmcb) : "memory");
}

static void protected32_guest(void)
{
	vm_init(&cpu_vm, (void (*)(void))vmmcall_code);
	seg(VMCB_CS, SEL_CODE, ATTR_CODE32, 0xffffffff, 0);
	seg(VMCB_SS, SEL_DATA, ATTR_DATA32, 0xffffffff, 0);
	seg(VMCB_DS, SEL_DATA, ATTR_DATA32, 0xffffffff, 0);
	seg(VMCB_ES, SEL_DATA, ATTR_DATA32, 0xffffffff, 0);
	vm_write(&cpu_vm, VMCB_CR0, CR0_PE | CR0_ET);
	vm_write(&cpu_vm, VMCB_CR3, 0);
	vm_write(&cpu_vm, VMCB_CR4, 0);
	vm_write(&cpu_vm, VMCB_EFER, EFER_SVME);
}

void cpu_probe_efer_lme(void)
{
	uint64_t cr0, cr4, cr0_after, cr4_after;
	__asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	vm_cpu_init(&cpu_vm);
	uint64_t efer = hw_rdmsr(MSR_EFER);
	protected32_guest();
	vm_write(&cpu_vm, VMCB_EFER, EFER_SVME | EFER_LME);
	uint32_t code = vm_enter(&cpu_vm);
	__asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0_after), "=r"(cr4_after));
	probe_check_eq(code, VMEXIT_VMMCALL, "EFER.LME=1 with paging off: the guest ran to VMMCALL");
	probe_check_eq(cr0_after, cr0, "host CR0 restored by #VMEXIT");
	probe_check_eq(cr4_after, cr4, "host CR4 restored by #VMEXIT");
	probe_check_eq(hw_rdmsr(MSR_EFER), efer, "host EFER restored by #VMEXIT");
	probe_check_eq(vm_read(&cpu_vm, VMCB_EFER) & EFER_LME, EFER_LME,
	               "the guest's EFER.LME kept in its VMCB");
}

/* v86 guest at 0700:0000 executing INT 0x21 (CD 21) with IOPL 0. */
static void v86_guest(uint16_t tr_attr)
{
	volatile uint8_t *code = (volatile uint8_t *)(uint64_t)(V86_SEG << 4);
	uint64_t handler = (uint64_t)vmmcall_code;

	code[0] = 0xcd;
	code[1] = 0x21;
	tss32[1] = (uint32_t)(uint64_t)(ring0_stack + sizeof(ring0_stack)); /* ESP0 */
	tss32[2] = SEL_DATA;                                                 /* SS0 */
	idt32[2 * 13] = (SEL_CODE << 16) | (uint32_t)(handler & 0xffff);
	idt32[2 * 13 + 1] = (uint32_t)(handler & 0xffff0000u) | 0x8e00u;

	protected32_guest();
	seg(VMCB_CS, V86_SEG, ATTR_V86, 0xffff, V86_SEG << 4);
	seg(VMCB_SS, 0, ATTR_V86, 0xffff, 0);
	seg(VMCB_DS, 0, ATTR_V86, 0xffff, 0);
	seg(VMCB_ES, 0, ATTR_V86, 0xffff, 0);
	seg(VMCB_TR, 0, tr_attr, sizeof(tss32) - 1, (uint64_t)tss32);
	seg(VMCB_IDTR, 0, 0, sizeof(idt32) - 1, (uint64_t)idt32);
	cpu_vm.vmcb[VMCB_CPL] = 3;
	vm_write(&cpu_vm, VMCB_RIP, 0);
	vm_write(&cpu_vm, VMCB_RSP, 0x7c00);
	vm_write(&cpu_vm, VMCB_RFLAGS, RFLAGS_VM | 0x2);
	*(volatile uint32_t *)&cpu_vm.vmcb[VMCB_INTERCEPT_EXCEPTIONS] = 1u << 10; /* #TS */
	vmload(); /* TR comes from the VMCB only through VMLOAD (APM 15.5.2) */
}

void cpu_probe_v86_tss(void)
{
	vm_cpu_init(&cpu_vm);
	v86_guest(ATTR_TSS32_B);
	uint32_t code = vm_enter(&cpu_vm);
	probe_check_eq(code, VMEXIT_VMMCALL, "v86 #GP delivered through the busy 32-bit TSS");
	probe_check_eq(vm_read(&cpu_vm, VMCB_RSP),
	               (uint64_t)(ring0_stack + sizeof(ring0_stack)) - V86_FRAME,
	               "on the TSS's ring-0 stack, with the v86 frame");

	v86_guest(0);
	code = vm_enter(&cpu_vm);
	probe_check_eq(code, VMEXIT_EXCP_TS, "no valid TR: #TS, not an abort");
	probe_check_eq(vm_read(&cpu_vm, VMCB_EXITINFO1_OFF), 0, "#TS error code: the TR selector");
}

/* Round trips for as long as RACE_TSC TSC ticks (about 10 s at QEMU TCG's host-rate TSC of
 * 2-3 GHz; 10 times that with the word "long" on the command line): on Debian's QEMU 7.2 a bad
 * exit came after 29 366 round trips on a loaded host. */
#define RACE_TSC      25000000000ULL
#define RACE_MAX      2000000
#define RACE_MIN      1000
#define PTE_P_RW_U  0x7ULL

/* CPU 1: FXRSTOR of an image with FSW.ES clear (QEMU then "deasserts FERR#") */
static void fxrstor_loop(void)
{
	*(uint16_t *)&fxsave_image[0] = 0x037f;  /* FCW after FNINIT */
	*(uint32_t *)&fxsave_image[24] = 0x1f80; /* MXCSR reset value */
	while (!race_done) {
		__asm__ volatile("fxrstor64 %0" : : "m"(*(uint8_t(*)[512])fxsave_image));
		race_fxrstors++;
	}
	for (;;)
		__asm__ volatile("hlt");
}

static void race_npt_map_code(void)
{
	uint64_t gpa = (uint64_t)vmmcall_code & ~0xfffULL;
	race_npt[0][(gpa >> 39) & 511] = (uint64_t)race_npt[1] | PTE_P_RW_U;
	race_npt[1][(gpa >> 30) & 511] = (uint64_t)race_npt[2] | PTE_P_RW_U;
	race_npt[2][(gpa >> 21) & 511] = (uint64_t)race_npt[3] | PTE_P_RW_U;
	race_npt[3][(gpa >> 12) & 511] = gpa | PTE_P_RW_U;
}

void cpu_probe_fpu_race(void)
{
	uint32_t code = VMEXIT_VMMCALL;
	uint64_t rip = (uint64_t)vmmcall_code, round, start, budget = RACE_TSC;

	vm_cpu_init(&cpu_vm);
	protected32_guest(); /* no guest paging: its one fetch is the code page */
	race_npt_map_code();
	vm_write(&cpu_vm, VMCB_N_CR3, (uint64_t)race_npt[0]);
	if (probe_arg("long"))
		budget *= 10;
	probe_start_ap(fxrstor_loop);
	start = hw_rdtsc();
	for (round = 0; round < RACE_MAX && hw_rdtsc() - start < budget; round++) {
		code = vm_enter(&cpu_vm);
		rip = vm_read(&cpu_vm, VMCB_RIP);
		if (code != VMEXIT_VMMCALL || rip != (uint64_t)vmmcall_code)
			break;
	}
	race_done = true;
	hw_puts("  round trips ");
	hw_put_hex(round);
	hw_puts(", FXRSTORs on CPU 1 ");
	hw_put_hex(race_fxrstors);
	hw_puts("\n");
	probe_check(race_fxrstors > 0, "CPU 1 ran FXRSTOR meanwhile");
	probe_check(round >= RACE_MIN, "enough round trips to mean something");
	probe_check_eq(code, VMEXIT_VMMCALL, "exit code of every round trip");
	probe_check_eq(rip, (uint64_t)vmmcall_code, "guest RIP of every round trip");
}
