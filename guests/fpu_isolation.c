/* Guest register state that VMRUN does not switch stays this vCPU's own: x87 (its eight stack
 * registers and control word), MXCSR, XMM0-7 and, when XCR0 enables AVX, the whole of YMM0-7,
 * DR0-DR3 and XCR0. Every CPU of the VM fills all of it with a pattern of its own (seed= and its
 * index), leaves guest mode many times (CPUID exits, and a HLT that its periodic LAPIC timer ends, during
 * which other vCPUs run on the same host CPU when the VMs are pinned there) and checks that every
 * register still holds its pattern; rounds= times. Run as two VMs pinned to one host CPU with
 * different seeds and XCR0 values (tests/qemu/guests.py "fpu-isolation"), a vCPU that sees another
 * one's values fails here.
 *
 * Before the rounds the boot CPU checks XSETBV and INVD: XSETBV with ECX != 0, without x87, with
 * AVX but not SSE, or with a component CPUID.0xD does not advertise raises #GP and leaves XCR0
 * unchanged (SDM vol. 2, XSETBV; APM vol. 3); CPUID.1:ECX[27] (OSXSAVE) follows CR4.OSXSAVE; a
 * write just before INVD survives it. With intercepts=1, on a platform that implements the SVM
 * XSETBV and INVD intercepts as AMD CPUs do (the AVIC platform, tools/qemu patch 9; stock QEMU 7.2
 * implements neither), both must exit to doorbell, which never executes INVD.
 *
 * Command line: seed=N (default 1), rounds=N (default 1000), xcr0=N (default: x87|SSE|AVX as far
 * as CPUID.0xD offers them), intercepts=0|1. Paging is off and the guest is 32-bit, so the
 * registers are XMM0-7/YMM0-7. DR6 (B0-B3) and DR7 (its R/W and LEN fields, no breakpoint
 * enabled) are checked too: they live in each vCPU's VMCB. */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/smp.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"
#include "kernel/format.h"

const char guest_name[] = "fpu_isolation";

#define CR0_MP          BIT(1)
#define CR0_EM          BIT(2)
#define CR0_TS          BIT(3)
#define CR0_NE          BIT(5)
#define CR4_OSFXSR      BIT(9)
#define CR4_OSXMMEXCPT  BIT(10)
#define CR4_OSXSAVE     BIT(18)
#define CPUID_1_ECX_XSAVE   BIT(26)
#define CPUID_1_ECX_OSXSAVE BIT(27)
#define CPUID_1_ECX_AVX     BIT(28)
#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_YMM BIT(2)

#define TIMER_VECTOR  0x41
#define TIMER_US      200
#define CPUIDS_PER_ROUND 4
#define WAIT_US       300000000u /* the other CPUs' rounds, on a loaded TCG host */

enum part { P_XMM, P_YMM, P_X87, P_FCW, P_MXCSR, P_DR, P_DR67, P_XCR0, PARTS };
static const char *const part_name[PARTS] = {"xmm", "ymm upper halves", "x87 registers",
                                             "x87 control word", "mxcsr", "dr0-dr3",
                                             "dr6/dr7", "xcr0"};

struct cpu_result {
	uint32_t rounds;
	uint32_t bad_rounds;
	uint32_t bad[PARTS];
	uint32_t exits;
	char first[120];
};

static uint32_t seed = 1, rounds = 1000;
static uint64_t xcr0_want;
static bool has_xsave, intercepts;
static struct cpu_result result[SMP_MAX_CPUS];

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* XSETBV that survives a fault: the vector it raised, or -1 (boot CPU only, like the fixup). */
static int xsetbv_safe(uint32_t index, uint64_t value)
{
	idt_fixup_vector = -1;
	__asm__ volatile("movl $1f, idt_fixup_eip\n\t"
	                 "xsetbv\n"
	                 "1:" ::"c"(index),
	                 "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
	                 : "memory");
	return idt_fixup_take();
}

/* An AVX instruction: #UD unless CR4.OSXSAVE and XCR0[2:1] = 11b (SDM vol. 1, 14.3). */
static int avx_safe(void)
{
	idt_fixup_vector = -1;
	__asm__ volatile("movl $1f, idt_fixup_eip\n\t"
	                 "vmovdqu %%ymm0, %%ymm0\n"
	                 "1:" ::
	                     : "memory");
	return idt_fixup_take();
}

static uint32_t exit_count(void)
{
	return doorbell_present() ? (uint32_t)doorbell_hypercall(HC_EXIT_COUNT, 0, 0, 0) : 0;
}

/* What each CPU needs before touching the registers: x87 and SSE on, XSAVE on where there is
 * one, and its XCR0. */
static void cpu_setup(void)
{
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT | (has_xsave ? CR4_OSXSAVE : 0));
	if (has_xsave)
		__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)xcr0_want),
		                 "d"((uint32_t)(xcr0_want >> 32))
		                 : "memory");
}

static void timer_tick(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
}

/* The pattern of one CPU in one round: distinct per seed, CPU, round and register. */
struct pattern {
	uint32_t vec[8][8] __attribute__((aligned(32))); /* YMM0-7 (XMM0-7 = the low 4 words) */
	int32_t x87[8];
	uint16_t fcw;
	uint32_t mxcsr;
	uint32_t dr[4];
	uint32_t dr6, dr7; /* DR6 B0-B3; DR7 R/W and LEN fields only, no breakpoint enabled */
};

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static void pattern_make(struct pattern *p, unsigned cpu, uint32_t round)
{
	uint32_t base = seed << 24 | cpu << 16 | (round & 0xffff);
	for (unsigned r = 0; r < 8; r++)
		for (unsigned w = 0; w < 8; w++)
			p->vec[r][w] = mix(base * 64 + r * 8 + w + 1);
	for (unsigned i = 0; i < 8; i++)
		p->x87[i] = (int32_t)(mix(base ^ (0x1000u + i)) >> 2);
	/* all exceptions masked, 64-bit precision, rounding control from the pattern */
	p->fcw = (uint16_t)(0x037f | (mix(base ^ 0x2000u) & 3) << 10);
	/* all exceptions masked; rounding control and flush-to-zero from the pattern */
	uint32_t m = mix(base ^ 0x3000u);
	p->mxcsr = 0x1f80u | (m & 3) << 13 | (m & 4 ? BIT(15) : 0);
	for (unsigned i = 0; i < 4; i++)
		p->dr[i] = mix(base ^ (0x4000u + i)) & ~3u;
	p->dr6 = 0xffff0ff0u | (mix(base ^ 0x5000u) & 0xf);
	p->dr7 = 0x400u | (mix(base ^ 0x6000u) & 0xffff0000u);
}

static void fill(const struct pattern *p, bool ymm)
{
	if (ymm)
		__asm__ volatile("vmovdqu 0(%0), %%ymm0\n\tvmovdqu 32(%0), %%ymm1\n\t"
		                 "vmovdqu 64(%0), %%ymm2\n\tvmovdqu 96(%0), %%ymm3\n\t"
		                 "vmovdqu 128(%0), %%ymm4\n\tvmovdqu 160(%0), %%ymm5\n\t"
		                 "vmovdqu 192(%0), %%ymm6\n\tvmovdqu 224(%0), %%ymm7" ::"r"(p->vec)
		                 : "memory");
	else
		__asm__ volatile("movdqu 0(%0), %%xmm0\n\tmovdqu 32(%0), %%xmm1\n\t"
		                 "movdqu 64(%0), %%xmm2\n\tmovdqu 96(%0), %%xmm3\n\t"
		                 "movdqu 128(%0), %%xmm4\n\tmovdqu 160(%0), %%xmm5\n\t"
		                 "movdqu 192(%0), %%xmm6\n\tmovdqu 224(%0), %%xmm7" ::"r"(p->vec)
		                 : "memory");
	__asm__ volatile("fninit\n\tfldcw %0" ::"m"(p->fcw));
	for (unsigned i = 0; i < 8; i++)
		__asm__ volatile("fildl %0" ::"m"(p->x87[i]));
	__asm__ volatile("ldmxcsr %0" ::"m"(p->mxcsr));
	__asm__ volatile("mov %0, %%dr0\n\tmov %1, %%dr1\n\tmov %2, %%dr2\n\tmov %3, %%dr3" ::"r"(
	                     p->dr[0]),
	                 "r"(p->dr[1]), "r"(p->dr[2]), "r"(p->dr[3]));
	__asm__ volatile("mov %0, %%dr6\n\tmov %1, %%dr7" ::"r"(p->dr6), "r"(p->dr7));
}

/* Reads everything back (the x87 stack is emptied by it) into q. */
static void dump(struct pattern *q, bool ymm, uint64_t *xcr0)
{
	if (ymm)
		__asm__ volatile("vmovdqu %%ymm0, 0(%0)\n\tvmovdqu %%ymm1, 32(%0)\n\t"
		                 "vmovdqu %%ymm2, 64(%0)\n\tvmovdqu %%ymm3, 96(%0)\n\t"
		                 "vmovdqu %%ymm4, 128(%0)\n\tvmovdqu %%ymm5, 160(%0)\n\t"
		                 "vmovdqu %%ymm6, 192(%0)\n\tvmovdqu %%ymm7, 224(%0)" ::"r"(q->vec)
		                 : "memory");
	else
		__asm__ volatile("movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 32(%0)\n\t"
		                 "movdqu %%xmm2, 64(%0)\n\tmovdqu %%xmm3, 96(%0)\n\t"
		                 "movdqu %%xmm4, 128(%0)\n\tmovdqu %%xmm5, 160(%0)\n\t"
		                 "movdqu %%xmm6, 192(%0)\n\tmovdqu %%xmm7, 224(%0)" ::"r"(q->vec)
		                 : "memory");
	__asm__ volatile("fnstcw %0" : "=m"(q->fcw));
	/* exact: the values are integers; popped in reverse order of the loads */
	for (int i = 7; i >= 0; i--)
		__asm__ volatile("fistpl %0" : "=m"(q->x87[i]));
	__asm__ volatile("stmxcsr %0" : "=m"(q->mxcsr));
	__asm__ volatile("mov %%dr0, %0\n\tmov %%dr1, %1\n\tmov %%dr2, %2\n\tmov %%dr3, %3"
	                 : "=r"(q->dr[0]), "=r"(q->dr[1]), "=r"(q->dr[2]), "=r"(q->dr[3]));
	__asm__ volatile("mov %%dr6, %0\n\tmov %%dr7, %1" : "=r"(q->dr6), "=r"(q->dr7));
	*xcr0 = has_xsave ? xgetbv0() : 0;
}

static void note(struct cpu_result *r, enum part part, uint32_t round, uint32_t want, uint32_t got)
{
	r->bad[part]++;
	if (!r->first[0])
		format(r->first, sizeof(r->first), "round %u: %s 0x%x, expected 0x%x", round,
		         part_name[part], got, want);
}

static bool compare(struct cpu_result *r, uint32_t round, const struct pattern *p,
                    const struct pattern *q, bool ymm, uint64_t xcr0)
{
	unsigned before = 0, after = 0;
	for (unsigned i = 0; i < PARTS; i++)
		before += r->bad[i];
	/* one count per part and round: the first register of the part that differs */
	for (enum part part = P_XMM; part <= P_YMM; part++) {
		if (part == P_YMM && !ymm)
			break;
		unsigned w0 = part == P_XMM ? 0 : 4;
		for (unsigned reg = 0, done = 0; reg < 8 && !done; reg++)
			for (unsigned w = w0; w < w0 + 4 && !done; w++)
				if (p->vec[reg][w] != q->vec[reg][w]) {
					note(r, part, round, p->vec[reg][w], q->vec[reg][w]);
					done = 1;
				}
	}
	for (unsigned i = 0; i < 8; i++)
		if (p->x87[i] != q->x87[i]) {
			note(r, P_X87, round, (uint32_t)p->x87[i], (uint32_t)q->x87[i]);
			break;
		}
	if ((p->fcw & 0x1f3f) != (q->fcw & 0x1f3f))
		note(r, P_FCW, round, p->fcw, q->fcw);
	if (p->mxcsr != (q->mxcsr & ~0x3fu)) /* the flags (5:0) may be set by the integer loads */
		note(r, P_MXCSR, round, p->mxcsr, q->mxcsr);
	for (unsigned i = 0; i < 4; i++)
		if (p->dr[i] != q->dr[i]) {
			note(r, P_DR, round, p->dr[i], q->dr[i]);
			break;
		}
	if ((p->dr6 & 0xf) != (q->dr6 & 0xf))
		note(r, P_DR67, round, p->dr6, q->dr6);
	else if ((p->dr7 & 0xffff0000u) != (q->dr7 & 0xffff0000u))
		note(r, P_DR67, round, p->dr7, q->dr7);
	if (has_xsave && xcr0 != xcr0_want)
		note(r, P_XCR0, round, (uint32_t)xcr0_want, (uint32_t)xcr0);
	for (unsigned i = 0; i < PARTS; i++)
		after += r->bad[i];
	return after == before;
}

static void rounds_on(unsigned cpu)
{
	struct cpu_result *r = &result[cpu];
	bool ymm = has_xsave && (xcr0_want & XCR0_YMM);
	struct pattern p, q;
	uint32_t exits0 = exit_count();
	if (cpu != 0)
		cpu_setup();
	/* periodic, so that a tick the HLT missed delays a round instead of ending the test */
	apic_timer_periodic(TIMER_VECTOR, (uint32_t)(apic_timer_hz() * TIMER_US / 1000000) + 1, 1);
	for (uint32_t round = 0; round < rounds; round++) {
		pattern_make(&p, cpu, round);
		cli();
		fill(&p, ymm);
		/* exits that return to this vCPU at once */
		for (unsigned i = 0; i < CPUIDS_PER_ROUND; i++)
			cpuid(0, 0);
		/* a halt that gives the host CPU to another vCPU until the timer ends it */
		sti_hlt();
		cli();
		for (unsigned i = 0; i < CPUIDS_PER_ROUND; i++)
			cpuid(0, 0);
		uint64_t xcr0;
		dump(&q, ymm, &xcr0);
		sti();
		if (!compare(r, round, &p, &q, ymm, xcr0))
			r->bad_rounds++;
		r->rounds++;
	}
	apic_timer_stop();
	r->exits = exit_count() - exits0;
}

static void check_xsetbv(void)
{
	struct cpuid_regs d = cpuid(0xd, 0);
	uint64_t supported = (uint64_t)d.edx << 32 | d.eax;
	uint64_t before = xgetbv0();
	struct {
		uint32_t index;
		uint64_t value;
		const char *what;
	} bad[] = {
		{1, XCR0_X87, "ECX=1 (no such XCR)"},
		{0, 0, "x87 (bit 0) clear"},
		{0, XCR0_X87 | XCR0_YMM, "AVX without SSE"},
		{0, 0, "a component CPUID.0xD does not advertise"},
		{0, XCR0_X87 | BIT(63), "bit 63"},
	};
	/* the lowest component above AVX that CPUID.0xD leaves out */
	for (unsigned bit = 3; bit < 63; bit++)
		if (!(supported & BIT(bit))) {
			bad[3].value = supported | BIT(bit);
			break;
		}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].value & XCR0_YMM && !(supported & XCR0_YMM))
			continue;
		int vec = xsetbv_safe(bad[i].index, bad[i].value);
		test_check(vec == VEC_GP && xgetbv0() == before,
		           "XSETBV %s (ECX=%u, 0x%llx): #GP, XCR0 stays 0x%llx", bad[i].what,
		           bad[i].index, (unsigned long long)bad[i].value,
		           (unsigned long long)before);
	}
	uint32_t e0 = exit_count();
	int vec = xsetbv_safe(0, xcr0_want);
	uint32_t e1 = exit_count();
	test_check(vec < 0 && xgetbv0() == xcr0_want, "XSETBV 0x%llx is taken and read back",
	           (unsigned long long)xcr0_want);
	if (intercepts)
		test_check_doorbell(e1 - e0 >= 2, "XSETBV exits to doorbell (HC_EXIT_COUNT grew by %u)",
		                    e1 - e0);
}

void guest_main(const struct multiboot_info *mbi)
{
	seed = multiboot_cmdline_uint(mbi, "seed", 1);
	rounds = multiboot_cmdline_uint(mbi, "rounds", 1000);
	intercepts = multiboot_cmdline_uint(mbi, "intercepts", 0);
	has_xsave = cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE;
	uint64_t supported = 0;
	if (has_xsave) {
		struct cpuid_regs d = cpuid(0xd, 0);
		supported = (uint64_t)d.edx << 32 | d.eax;
	}
	xcr0_want = multiboot_cmdline_uint(mbi, "xcr0",
	                                   (uint32_t)(supported & (XCR0_X87 | XCR0_SSE | XCR0_YMM)));
	printf("info: seed %u, %u rounds, XSAVE %s, CPUID.0xD XCR0 components 0x%llx, xcr0 0x%llx\n",
	       seed, rounds, has_xsave ? "yes" : "no", (unsigned long long)supported,
	       (unsigned long long)xcr0_want);
	idt_set_handler(TIMER_VECTOR, timer_tick);

	test_check(!(cpuid(1, 0).ecx & CPUID_1_ECX_OSXSAVE),
	           "CPUID.1:ECX[27] (OSXSAVE) is clear while CR4.OSXSAVE is clear");
	cpu_setup();
	if (has_xsave) {
		test_check(cpuid(1, 0).ecx & CPUID_1_ECX_OSXSAVE,
		           "CPUID.1:ECX[27] (OSXSAVE) is set once CR4.OSXSAVE is set");
		check_xsetbv();
	}

	/* INVD: a write just before it is still there after it */
	static volatile uint32_t canary;
	canary = 0x1badcafe ^ seed;
	uint32_t e0 = exit_count();
	__asm__ volatile("invd" ::: "memory");
	uint32_t e1 = exit_count();
	test_check(canary == (0x1badcafe ^ seed), "a write before INVD survives it");
	if (intercepts)
		test_check_doorbell(e1 - e0 >= 2, "INVD exits to doorbell (HC_EXIT_COUNT grew by %u)",
		                    e1 - e0);

	unsigned n = smp_start_all(rounds_on);
	rounds_on(0);
	test_check(smp_wait_all(WAIT_US), "every CPU finished its %u rounds", rounds);
	for (unsigned c = 0; c < n; c++) {
		struct cpu_result *r = &result[c];
		test_check(r->rounds == rounds && r->bad_rounds == 0,
		           "CPU %u: %u of %u rounds found every register as it left it%s%s", c,
		           r->rounds - r->bad_rounds, rounds, r->first[0] ? "; first: " : "",
		           r->first);
		for (unsigned i = 0; i < PARTS; i++)
			if (r->bad[i])
				printf("info: CPU %u: %s wrong in %u rounds\n", c, part_name[i], r->bad[i]);
		test_check_doorbell(r->exits >= rounds * CPUIDS_PER_ROUND * 2,
		                    "CPU %u: its rounds made %u exits", c, r->exits);
	}
	if (has_xsave && !(xcr0_want & XCR0_YMM) && (supported & XCR0_YMM))
		test_check(avx_safe() == VEC_UD, "with XCR0 0x%llx an AVX instruction raises #UD",
		           (unsigned long long)xcr0_want);
}
