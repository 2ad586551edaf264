/* Hostile single operations of issue 18, each run next to a well-behaved VM on the same host CPU
 * (tests/qemu/hostile.py). case= picks one:
 *
 * - timer: the fast masked periodic APIC timer (TDCR divide by 1, LVT timer vector 0x40 periodic
 *   masked, TMICT 1) while the guest spins; it must cost no more exits than plain spinning.
 *   Unmasked, it must interrupt, at most once per doorbell's minimum period.
 * - apic-narrow: byte, word and misaligned writes and REP MOVS/STOS to the xAPIC page, on trap-type
 *   registers (AVIC exit 402h "fault" for them), and a misaligned write with a self-IPI pending
 *   and IF=0: each must complete (the guest gets past it) with the value the software APIC gives.
 * - apic-movs: REP MOVS into the xAPIC page, which doorbell does not emulate: the VM is stopped
 *   with that reason (before: an endless 402h fault loop under AVIC).
 * - string-io: REP INSB/OUTSB on fw_cfg and COM1, forwards and backwards.
 * - efer-lme: EFER.LME set with paging off, then exits: the host must survive (finding 4).
 * - v86: an interrupt in virtual-8086 mode without a TSS of the guest's own (doorbell's initial
 *   TR): delivered through the TSS's ring-0 stack.
 * - db-loop: single-steps itself (EFLAGS.TF) for the whole run: a #DB after every instruction,
 *   each of which doorbell intercepts (docs/hostile.md) and reflects; the guest counts that it
 *   saw every one.
 * - icr-busy: a self-IPI written to the ICR with the delivery status bit (read-only) set; the
 *   ICR must read idle again and the interrupt arrive (under AVIC the backing page kept the bit:
 *   a guest waiting for idle, as guests/lib/apic.c does, spun for ever; chaos seed 26 on 4 vCPUs).
 * - low-vectors: self-IPIs on vectors 16-31, those of exceptions with an error code (17, 21, 29,
 *   30) included, then a #GP with a known error code: each interrupt taken once with the frame
 *   of an interrupt, the #GP with its error code (guests/lib/idt_entry.S; chaos seed 2 under
 *   errata livelocked its guest on an IPI to vector 21, docs/chaos.md).
 *
 * seconds= sets how long timer and db-loop run (default 2). */
#include "guests/lib/apic.h"
#include "guests/lib/boot.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "hostile";

#define US_PER_SECOND      1000000u
#define TIMER_VECTOR       0x40
#define SELF_IPI_VECTOR    0x50
#define TDCR_DIVIDE_BY_1   0xb
/* A spinning vCPU next to another VM exits for the scheduler's slices and the host timer: a few
 * hundred a second. Before the fix the masked timer alone made 14 000 a second under soft. */
#define MAX_SPIN_EXITS_PER_S 3000
/* doorbell's VAPIC_TIMER_MIN_PERIOD_US (avic/vapic.h) */
#define MIN_PERIOD_US        200
#define UNMASKED_US          500000u
#define EFLAGS_TF            BIT(8)

static volatile uint32_t ticks;

static void count_tick(struct trap_frame *f)
{
	(void)f;
	ticks++;
	apic_eoi();
}

static uint32_t exits(void)
{
	return (uint32_t)doorbell_hypercall(HC_EXIT_COUNT, 0, 0, 0);
}

/* The for(;;): plain instructions (no PAUSE, which ends QEMU's translation block on its
 * own), with a look at the TSC every million rounds so that the guest ends. */
static void spin_us(uint64_t us)
{
	uint64_t end = tsc_deadline(us);
	while (!tsc_expired(end))
		for (uint32_t k = 0; k < 1000000; k++)
			__asm__ volatile("" : "+r"(k));
}

static void case_timer(uint32_t seconds)
{
	apic_write(APIC_TIMER_DCR, TDCR_DIVIDE_BY_1);
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR | APIC_LVT_PERIODIC | APIC_LVT_MASKED);
	apic_write(APIC_TIMER_ICR, 1);
	printf("hostile: masked periodic timer at TMICT 1, divide 1; spinning %u s\n", seconds);
	uint32_t e0 = exits();
	uint64_t t0 = rdtsc();
	spin_us((uint64_t)seconds * US_PER_SECOND);
	uint64_t us = tsc_to_us(rdtsc() - t0);
	uint32_t n = exits() - e0;
	uint64_t rate = (uint64_t)n * US_PER_SECOND / (us ? us : 1);
	printf("info: %u exits in %u ms (%u a second)\n", n, (uint32_t)(us / 1000), (uint32_t)rate);
	test_check(rate <= MAX_SPIN_EXITS_PER_S, "masked fast timer: at most %u exits a second",
	           MAX_SPIN_EXITS_PER_S);

	idt_set_handler(TIMER_VECTOR, count_tick);
	ticks = 0;
	t0 = rdtsc();
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR | APIC_LVT_PERIODIC);
	sti();
	tsc_delay_us(UNMASKED_US);
	cli();
	apic_timer_stop();
	us = tsc_to_us(rdtsc() - t0);
	uint32_t max = (uint32_t)(us / MIN_PERIOD_US) + 2;
	printf("info: unmasked: %u interrupts in %u ms\n", ticks, (uint32_t)(us / 1000));
	test_check(ticks > 0, "unmasked fast timer: it interrupts");
	test_check(ticks <= max, "unmasked fast timer: at most one interrupt per %u us (%u)",
	           MIN_PERIOD_US, max);
	idt_set_handler(TIMER_VECTOR, NULL);
}

static volatile uint32_t self_ipis;

static void count_self_ipi(struct trap_frame *f)
{
	(void)f;
	self_ipis++;
	apic_eoi();
}

static void case_apic_narrow(void)
{
	volatile uint8_t *apic8 = (volatile uint8_t *)APIC_BASE_ADDR;
	uint32_t count;
	void *dst;

	printf("hostile: byte write to EOI (0xfee000b0)\n");
	*(volatile uint8_t *)(apic8 + APIC_EOI) = 0;
	test_check(true, "movb to EOI completed");

	printf("hostile: byte write to the LVT timer (0xfee00320)\n");
	*(volatile uint8_t *)(apic8 + APIC_LVT_TIMER) = TIMER_VECTOR;
	test_check((apic_read(APIC_LVT_TIMER) & 0xff) == TIMER_VECTOR,
	           "movb to the LVT timer completed, vector 0x%x", TIMER_VECTOR);

	printf("hostile: word write to TDCR (0xfee003e0)\n");
	*(volatile uint16_t *)(apic8 + APIC_TIMER_DCR) = TDCR_DIVIDE_BY_1;
	test_check(apic_read(APIC_TIMER_DCR) == TDCR_DIVIDE_BY_1, "movw to TDCR completed");

	printf("hostile: misaligned dword write to 0xfee00321\n");
	*(volatile uint32_t *)(apic8 + APIC_LVT_TIMER + 1) = APIC_LVT_MASKED;
	test_check(apic_read(APIC_LVT_TIMER) & APIC_LVT_MASKED,
	           "movl to 0xfee00321 completed, the LVT timer masked");

	printf("hostile: rep stosl over 0xfee000c0-0xfee000c4\n");
	dst = (void *)(APIC_BASE_ADDR + 0xc0);
	count = 2;
	__asm__ volatile("cld; rep stosl" : "+D"(dst), "+c"(count) : "a"(0) : "memory");
	test_check(count == 0, "rep stosl over 0xfee000c0-c4 completed");

	printf("hostile: self-IPI pending with IF=0, then a misaligned write to 0xfee000c4\n");
	idt_set_handler(SELF_IPI_VECTOR, count_self_ipi);
	self_ipis = 0;
	cli();
	apic_self_ipi(SELF_IPI_VECTOR);
	*(volatile uint32_t *)(apic8 + 0xc4) = 0;
	test_check(self_ipis == 0, "IF=0: the self-IPI waits");
	sti();
	tsc_delay_us(1000);
	cli();
	test_check(self_ipis == 1, "the self-IPI arrives once IF=1 (%u)", self_ipis);
	idt_set_handler(SELF_IPI_VECTOR, NULL);
}

/* REP MOVS into the APIC page: doorbell's emulator does not move memory to the APIC (it needs
 * the source's translation), so the VM is stopped with that reason under every policy, rather than
 * looping on the fault (AVIC) as before. */
static void case_apic_movs(void)
{
	uint32_t src[2] = {APIC_LVT_MASKED | 0x33, APIC_LVT_MASKED | 0x34};
	void *dst = (void *)(APIC_BASE_ADDR + APIC_LVT_ERROR);
	const void *s = src;
	uint32_t count = 2;
	printf("hostile: rep movsl of 2 dwords into the LVT error register (0xfee00370)\n");
	__asm__ volatile("cld; rep movsl" : "+D"(dst), "+S"(s), "+c"(count) : : "memory");
	test_check(false, "rep movsl into the APIC page completed (doorbell stops the VM instead)");
}

/* Virtual-8086 mode with the TR doorbell gives every guest (a 32-bit busy TSS at base 0, as a
 * loaded TR would be; APM Table 14-1 gives the same busy type at reset): the guest writes SS0:ESP0
 * into that TSS (linear 8 and 4), IRETs to v86 code that executes INT 0x21 with IOPL 0, which
 * raises #GP(0), delivered through the TSS's ring-0 stack to v86_gp_entry. QEMU 7.2 aborted the
 * whole machine instead ("invalid tss type": it accepted only the available type). */
#define V86_CODE      0x7000u /* linear address of the v86 code (low RAM, below 1 MiB) */
#define V86_STACK_TOP 0x7c00u
#define EFLAGS_VM     BIT(17)
#define V86_FRAME     40 /* error code and 9 dwords: EIP CS EFLAGS ESP SS ES DS FS GS */

static uint8_t v86_ring0_stack[4096] __attribute__((aligned(16)));
extern const char v86_gp_entry[];
void v86_gp_taken(const uint32_t *frame);

/* DS and ES are null after an interrupt from v86 mode (SDM vol. 3, 20.3.1.1): reload them. */
__asm__(".globl v86_gp_entry\n"
        "v86_gp_entry:\n"
        "	movl $0x10, %eax\n"
        "	movl %eax, %ds\n"
        "	movl %eax, %es\n"
        "	pushl %esp\n"
        "	call v86_gp_taken\n"
        "1:	hlt\n"
        "	jmp 1b\n");

void v86_gp_taken(const uint32_t *frame)
{
	uint32_t top = (uint32_t)(uintptr_t)(v86_ring0_stack + sizeof(v86_ring0_stack));
	test_check((uint32_t)(uintptr_t)frame == top - V86_FRAME,
	           "#GP from v86 mode on the TSS's ring-0 stack (frame at 0x%x)",
	           (uint32_t)(uintptr_t)frame);
	test_check(frame[0] == 0, "#GP error code 0 (0x%x)", frame[0]);
	test_check(frame[1] == 0, "EIP of INT 0x21 in the v86 code segment (0x%x)", frame[1]);
	test_check(frame[3] & EFLAGS_VM, "EFLAGS.VM set in the frame (0x%x)", frame[3]);
	test_done();
}

static void case_v86(void)
{
	uint32_t *low = (uint32_t *)(uintptr_t)0;
	__asm__ volatile("" : "+r"(low)); /* linear 0 is RAM here, not a null pointer */
	uint32_t top = (uint32_t)(uintptr_t)(v86_ring0_stack + sizeof(v86_ring0_stack));
	volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)V86_CODE;
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr;

	((volatile uint32_t *)low)[1] = top;     /* TSS ESP0 */
	((volatile uint32_t *)low)[2] = 0x10;    /* TSS SS0: the flat data segment */
	code[0] = 0xcd;                          /* int $0x21 */
	code[1] = 0x21;
	code[2] = 0xeb;                          /* jmp . */
	code[3] = 0xfe;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	volatile uint32_t *gate = (volatile uint32_t *)(uintptr_t)(idtr.base + 8 * VEC_GP);
	uint32_t entry = (uint32_t)(uintptr_t)v86_gp_entry;
	gate[0] = (0x08u << 16) | (entry & 0xffff);   /* BOOT_CS */
	gate[1] = (entry & 0xffff0000u) | 0x8e00u;   /* present 32-bit interrupt gate, DPL 0 */
	printf("hostile: entering virtual-8086 mode at %x:0 (no TSS loaded by the guest)\n",
	       V86_CODE >> 4);
	__asm__ volatile("pushl $0\n" /* GS */
	                 "pushl $0\n" /* FS */
	                 "pushl $0\n" /* DS */
	                 "pushl $0\n" /* ES */
	                 "pushl $0\n" /* SS */
	                 "pushl %0\n" /* ESP */
	                 "pushl %1\n" /* EFLAGS: VM, IOPL 0, IF 0 */
	                 "pushl %2\n" /* CS */
	                 "pushl $0\n" /* EIP */
	                 "iret"
	                 :
	                 : "i"(V86_STACK_TOP), "i"(EFLAGS_VM | 2), "i"(V86_CODE >> 4)
	                 : "memory");
	test_check(false, "IRET to v86 mode returned");
}

/* INS/OUTS with REP, as firmware and Linux use them on fw_cfg and the UART: the fw_cfg signature
 * read with REP INSB after selecting key 0 (QEMU's "QEMU"), a line written to COM1 with REP OUTSB
 * (it appears in the log), and a DF=1 REP INSB that fills backwards. doorbell stopped the VM on
 * any of them ("string I/O is not emulated"). */
static void case_string_io(void)
{
	char sig[5] = {0};
	void *dst = sig;
	uint32_t count = 4;
	outw(0x510, 0);
	__asm__ volatile("cld; rep insb" : "+D"(dst), "+c"(count) : "d"(0x511) : "memory");
	test_check(sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U' && count == 0,
	           "rep insb from fw_cfg: signature '%s'", sig);
	static const char line[] = "hostile: written by rep outsb\n";
	const void *src = line;
	count = sizeof(line) - 1;
	__asm__ volatile("cld; rep outsb" : "+S"(src), "+c"(count) : "d"(0x3f8) : "memory");
	test_check(count == 0 && src == line + sizeof(line) - 1, "rep outsb to COM1: count and ESI");
	char back[6] = {0};
	outw(0x510, 0);
	dst = &back[4];
	count = 4;
	__asm__ volatile("std; rep insb; cld" : "+D"(dst), "+c"(count) : "d"(0x511) : "memory");
	test_check(back[4] == 'Q' && back[1] == 'U' && dst == &back[0],
	           "rep insb with DF=1 fills downwards ('%c'..'%c')", back[4], back[1]);
}

/* EFER.LME=1 with paging off (architecturally harmless: long mode starts only with CR0.PG, APM
 * vol. 2, 14.6.1), for half a second of exits. On QEMU 7.2 without tools/qemu patch 13 the next
 * #VMEXIT left the host without paging and took the machine down; doorbell keeps LME out of the
 * VMCB until paging is enabled. */
#define MSR_EFER 0xc0000080u
#define EFER_LME BIT(8)
static void case_efer_lme(void)
{
	uint64_t efer = rdmsr(MSR_EFER);
	wrmsr(MSR_EFER, efer | EFER_LME);
	test_check(rdmsr(MSR_EFER) & EFER_LME, "EFER.LME reads back set with paging off");
	for (unsigned i = 0; i < 1000; i++)
		(void)cpuid(0, 0);
	tsc_delay_us(500000);
	test_check(rdmsr(MSR_EFER) & EFER_LME, "EFER.LME still set after 1000 exits and 0.5 s");
	wrmsr(MSR_EFER, efer);
	test_check(!(rdmsr(MSR_EFER) & EFER_LME), "EFER.LME cleared again");
}

static volatile uint32_t steps;

static void count_step(struct trap_frame *f)
{
	(void)f;
	steps++;
}

/* EFLAGS.TF set by POPF: a #DB after every following instruction; the handler's IRET restores
 * TF from the frame, so it goes on until the code below clears it. */
static void case_db_loop(uint32_t seconds)
{
	idt_set_handler(VEC_DB, count_step);
	steps = 0;
	uint64_t end = tsc_deadline((uint64_t)seconds * US_PER_SECOND);
	uint32_t rounds = 0;
	printf("hostile: single-stepping for %u s\n", seconds);
	__asm__ volatile("pushfl; orl %0, (%%esp); popfl" : : "i"(EFLAGS_TF) : "memory", "cc");
	while (!tsc_expired(end))
		rounds++;
	__asm__ volatile("pushfl; andl %0, (%%esp); popfl" : : "i"(~EFLAGS_TF) : "memory", "cc");
	idt_set_handler(VEC_DB, NULL);
	printf("info: %u #DB in %u loop rounds\n", steps, rounds);
	test_check(steps > rounds, "a #DB after every instruction (%u in %u rounds)", steps, rounds);
	uint32_t n = exits();
	test_check_doorbell(n >= steps, "doorbell intercepted every #DB (%u exits)", n);
}

static volatile uint32_t low_taken[32], low_bad_frame;
static volatile uint32_t gp_error = ~0u;

static void count_low_vector(struct trap_frame *f)
{
	low_taken[f->vector & 31]++;
	if (f->error_code != 0 || f->cs != BOOT_CS)
		low_bad_frame++;
	apic_eoi();
}

static void take_gp(struct trap_frame *f)
{
	gp_error = f->error_code;
	f->eip = idt_fixup_eip;
	idt_fixup_eip = 0;
}

/* An interrupt on a vector whose exception pushes an error code pushes none: the guest library
 * must not take the interrupted EIP for one (before: IRET loaded the interrupted EFLAGS as CS, a
 * #GP on every return from the #GP handler, and the VM ran to doorbell's timeout=). */
static void case_low_vectors(void)
{
	for (unsigned v = 16; v < 32; v++)
		idt_set_handler(v, count_low_vector);
	uint32_t missing = 0;
	for (unsigned v = 16; v < 32; v++) {
		apic_self_ipi(v);
		sti();
		for (volatile int k = 0; k < 1000 && !low_taken[v]; k++)
			;
		cli();
		if (low_taken[v] != 1) {
			printf("hostile: vector %u taken %u times\n", v, low_taken[v]);
			missing++;
		}
	}
	test_check(missing == 0, "a self-IPI on each of the vectors 16-31 taken once");
	test_check(low_bad_frame == 0, "every one with an interrupt's frame (%u not)", low_bad_frame);
	/* a selector past the end of the GDT: #GP with the selector as its error code (SDM vol. 3,
	 * 6.15, interrupt 13); take_gp resumes after the instruction */
	idt_set_handler(VEC_GP, take_gp);
	__asm__ volatile("movl $1f, %[fix]\n\tmovw %w[sel], %%fs\n1:"
	                 : [fix] "=m"(idt_fixup_eip)
	                 : [sel] "r"(0xfff8u)
	                 : "memory");
	idt_set_handler(VEC_GP, NULL);
	test_check(gp_error == 0xfff8, "#GP with its error code 0xfff8 (0x%x)", gp_error);
}

static volatile uint32_t busy_ipis;

static void count_busy_ipi(struct trap_frame *f)
{
	(void)f;
	busy_ipis++;
	apic_eoi();
}

static void case_icr_busy(void)
{
	idt_set_handler(SELF_IPI_VECTOR, count_busy_ipi);
	uint32_t icr = APIC_ICR_SELF | APIC_ICR_FIXED | APIC_ICR_BUSY | SELF_IPI_VECTOR;
	apic_write(APIC_ICR_LOW, icr);
	uint64_t start = rdtsc(), end = tsc_deadline(US_PER_SECOND);
	uint32_t reads = 0, now;
	while ((now = apic_read(APIC_ICR_LOW)) & APIC_ICR_BUSY) {
		reads++;
		if (tsc_expired(end))
			break;
		pause();
	}
	uint64_t us = tsc_to_us(rdtsc() - start);
	printf("info: ICR low 0x%x after %u reads, %u us\n", now, reads, (uint32_t)us);
	test_check(!(now & APIC_ICR_BUSY), "the ICR reads idle again within 1 s (0x%x)", now);
	sti();
	for (volatile int k = 0; k < 100000 && !busy_ipis; k++)
		;
	cli();
	test_check(busy_ipis == 1, "the self-IPI arrived once (%u)", busy_ipis);
}

void guest_main(const struct multiboot_info *mbi)
{
	uint32_t seconds = multiboot_cmdline_uint(mbi, "seconds", 2);
	if (multiboot_cmdline_has(mbi, "case=timer"))
		case_timer(seconds);
	else if (multiboot_cmdline_has(mbi, "case=apic-narrow"))
		case_apic_narrow();
	else if (multiboot_cmdline_has(mbi, "case=apic-movs"))
		case_apic_movs();
	else if (multiboot_cmdline_has(mbi, "case=string-io"))
		case_string_io();
	else if (multiboot_cmdline_has(mbi, "case=efer-lme"))
		case_efer_lme();
	else if (multiboot_cmdline_has(mbi, "case=v86"))
		case_v86();
	else if (multiboot_cmdline_has(mbi, "case=db-loop"))
		case_db_loop(seconds);
	else if (multiboot_cmdline_has(mbi, "case=icr-busy"))
		case_icr_busy();
	else if (multiboot_cmdline_has(mbi, "case=low-vectors"))
		case_low_vectors();
	else
		test_check(false, "case= names a case of guests/hostile.c");
}
