#include "svm/cpu/lazy_regs.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "svm/cpu/xcr0.h"

#define CR4_OSXMMEXCPT BIT(10)
#define CR4_OSXSAVE BIT(18)
#define CPUID_1_ECX_XSAVE BIT(26)
#define FXSAVE_SIZE 512
#define FXSAVE_FCW 0
#define FXSAVE_MXCSR 24
#define FCW_INIT 0x037f   /* FNINIT's control word (SDM vol. 1 §8.1.5) */
#define MXCSR_INIT 0x1f80 /* all SIMD exceptions masked (SDM vol. 1 §10.2.3) */
#define BENCH_ROUNDS 200

/* xsave_layout.guest is also XCR0 while the CPU saves or restores */
#define have_xsave xsave_layout.present
#define guest_xcr0 xsave_layout.guest
static uint32_t area_size;

static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return (uint64_t)hi << 32 | lo;
}

static inline void xsetbv(uint32_t index, uint64_t value)
{
	__asm__ volatile("xsetbv" ::"c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			 : "memory");
}

/* The 64-bit forms keep the full x87 instruction and data pointers of a 64-bit guest. */
static void area_save(void *area)
{
	if (have_xsave)
		__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((uint32_t)guest_xcr0),
				 "d"((uint32_t)(guest_xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

static void area_restore(const void *area)
{
	if (have_xsave)
		__asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"((uint32_t)guest_xcr0),
				 "d"((uint32_t)(guest_xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

#define DR_ACCESS(n)                                                                               \
	static inline uint64_t read_dr##n(void)                                                    \
	{                                                                                          \
		uint64_t v;                                                                        \
		__asm__ volatile("mov %%dr" #n ", %0" : "=r"(v));                                  \
		return v;                                                                          \
	}                                                                                          \
	static inline void write_dr##n(uint64_t v)                                                 \
	{                                                                                          \
		__asm__ volatile("mov %0, %%dr" #n ::"r"(v));                                      \
	}
DR_ACCESS(0)
DR_ACCESS(1)
DR_ACCESS(2)
DR_ACCESS(3)
#undef DR_ACCESS

/* XSAVE and XRSTOR act only on the components XCR0 enables, and a guest may run SSE code with
 * XCR0 = 1 (legacy SSE needs only CR4.OSFXSR): its XCR0 is replaced by the full set around both,
 * so no component is ever left behind (SDM vol. 1 §13.7-13.8). */
/* A vCPU whose XCR0 enables nothing beyond x87 and SSE is switched with FXSAVE/FXRSTOR, which
 * cover both whatever XCR0 says: no XSETBV on the host around the switch. (Under QEMU 7.2's TCG any
 * FXRSTOR or XRSTOR on a CPU other than CPU 0 could rewrite CPU 0's SVM state: tools/qemu patch 14,
 * probe svm-fpu-race; docs/guests.md "Fixed".) */
static bool legacy_enough(uint64_t xcr0)
{
	return !(xcr0 & ~(uint64_t)3);
}

static void state_save(struct lazy_regs *l)
{
	if (have_xsave)
		l->xcr0 = xgetbv(0);
	l->legacy = !have_xsave || legacy_enough(l->xcr0);
	if (l->legacy) {
		__asm__ volatile("fxsave64 (%0)" ::"r"(l->area) : "memory");
	} else {
		if (l->xcr0 != guest_xcr0)
			xsetbv(0, guest_xcr0);
		area_save(l->area);
	}
	l->dr[0] = read_dr0();
	l->dr[1] = read_dr1();
	l->dr[2] = read_dr2();
	l->dr[3] = read_dr3();
	l->live_cpu = -1;
}

static void state_restore(struct lazy_regs *l, unsigned cpu)
{
	if (l->legacy) {
		__asm__ volatile("fxrstor64 (%0)" ::"r"(l->area) : "memory");
		if (have_xsave && xgetbv(0) != l->xcr0)
			xsetbv(0, l->xcr0);
	} else {
		if (have_xsave && xgetbv(0) != guest_xcr0)
			xsetbv(0, guest_xcr0); /* after a drop the CPU may still have the old owner's */
		area_restore(l->area);
		if (have_xsave && l->xcr0 != guest_xcr0)
			xsetbv(0, l->xcr0);
	}
	write_dr0(l->dr[0]);
	write_dr1(l->dr[1]);
	write_dr2(l->dr[2]);
	write_dr3(l->dr[3]);
	l->live_cpu = (int32_t)cpu;
	l->switches++;
}

bool lazy_regs_load(struct lazy_regs *l)
{
	struct percpu *cpu = this_cpu();
	if (l->live_cpu == (int32_t)cpu->index && cpu->lazy_owner == l)
		return true;
	if (l->live_cpu >= 0)
		return false;
	struct lazy_regs *owner = cpu->lazy_owner;
	if (owner)
		state_save(owner);
	state_restore(l, cpu->index);
	cpu->lazy_owner = l;
	return true;
}

void lazy_regs_drop(struct lazy_regs *l)
{
	struct percpu *cpu = this_cpu();
	if (cpu->lazy_owner == l)
		cpu->lazy_owner = NULL;
	if (l->live_cpu == (int32_t)cpu->index)
		l->live_cpu = -1;
}

/* An XRSTOR image whose XSTATE_BV is 0: the components it is asked for go to their initial
 * state (SDM vol. 1 §13.8.1). */
static uint8_t init_image[4096] __attribute__((aligned(64)));

void lazy_regs_set_xcr0(struct lazy_regs *l, uint64_t value)
{
	uint64_t fresh = value & ~l->xcr0 & ~(uint64_t)3;
	l->xcr0 = value;
	if (this_cpu()->lazy_owner == l) {
		xsetbv(0, value);
		/* a component the vCPU turns on starts in its initial state: after an FXRSTOR
		 * switch (x87/SSE only) the CPU still holds the previous owner's AVX/AVX-512 state */
		if (fresh)
			__asm__ volatile("xrstor64 (%0)" ::"r"(init_image), "a"((uint32_t)fresh),
					 "d"((uint32_t)(fresh >> 32))
					 : "memory");
	}
}

void lazy_regs_sync_xcr0(struct lazy_regs *l)
{
	if (have_xsave && this_cpu()->lazy_owner == l)
		l->xcr0 = xgetbv(0);
}

bool lazy_regs_init(struct lazy_regs *l)
{
	unsigned pages = ALIGN_UP(area_size, PAGE_SIZE) / PAGE_SIZE;
	uint64_t pa = frame_alloc_pages(pages, PAGE_SIZE, 0); /* XSAVE needs 64-byte alignment */
	if (!pa)
		return false;
	uint8_t *area = (uint8_t *)(uintptr_t)pa;
	memset(area, 0, (size_t)pages * PAGE_SIZE);
	/* XSTATE_BV = 0 (header at 512): XRSTOR puts every component in its initial state, except
	 * MXCSR, which it always loads from the image (SDM vol. 1 §13.8.1) */
	*(uint16_t *)(area + FXSAVE_FCW) = FCW_INIT;
	*(uint32_t *)(area + FXSAVE_MXCSR) = MXCSR_INIT;
	l->area = area;
	l->xcr0 = XCR0_RESET;
	l->legacy = true; /* the image above is a valid FXSAVE image too */
	memset(l->dr, 0, sizeof(l->dr));
	l->live_cpu = -1;
	l->switches = 0;
	return true;
}

void lazy_regs_free(struct lazy_regs *l)
{
	if (l->area)
		frame_free_pages((uintptr_t)l->area, ALIGN_UP(area_size, PAGE_SIZE) / PAGE_SIZE);
	l->area = NULL;
}

static void lazy_regs_size(void)
{
	have_xsave = cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE;
	if (!have_xsave) {
		area_size = FXSAVE_SIZE;
		return;
	}
	struct cpuid_regs r = cpuid(0xd, 0);
	guest_xcr0 = xcr0_guest_supported((uint64_t)r.edx << 32 | r.eax);
	for (unsigned i = 2; i < XCR0_LAYOUT_COMPONENTS; i++) {
		if (!(guest_xcr0 & BIT(i)))
			continue;
		struct cpuid_regs c = cpuid(0xd, i); /* EAX size, EBX offset (SDM vol. 1 §13.2) */
		xsave_layout.end[i] = c.ebx + c.eax;
	}
	area_size = xcr0_xsave_size(&xsave_layout, guest_xcr0);
}

/* Cycles of one switch as vcpu_load() makes it (save one vCPU's state, restore another's),
 * averaged over BENCH_ROUNDS pairs on this CPU (docs/bench.md). */
static uint64_t lazy_regs_bench(void)
{
	struct lazy_regs a, b;
	if (!lazy_regs_init(&a))
		return 0;
	if (!lazy_regs_init(&b)) {
		lazy_regs_free(&a);
		return 0;
	}
	lazy_regs_load(&a);
	uint64_t t0 = rdtsc();
	for (unsigned i = 0; i < BENCH_ROUNDS; i++) {
		lazy_regs_load(&b);
		lazy_regs_load(&a);
	}
	uint64_t cycles = (rdtsc() - t0) / (2 * BENCH_ROUNDS);
	lazy_regs_drop(&a);
	lazy_regs_free(&a);
	lazy_regs_free(&b);
	return cycles;
}

void lazy_regs_cpu_init(void)
{
	bool first = !area_size;
	if (first)
		lazy_regs_size();
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT | (have_xsave ? CR4_OSXSAVE : 0));
	/* XCR0 stays at its reset value (x87) until a vCPU that enables more is loaded
	 * (legacy_enough()) */
	this_cpu()->lazy_owner = NULL;
	if (!first)
		return;
	uint64_t cycles = lazy_regs_bench();
	if (have_xsave)
		printk("xstate: XSAVE, guest XCR0 components 0x%lx, %u-byte area per vCPU; with "
		       "DR0-DR3 switched when another vCPU is loaded\n",
		       guest_xcr0, area_size);
	else
		printk("xstate: no XSAVE: FXSAVE (x87, SSE), %u-byte area per vCPU; with DR0-DR3 "
		       "switched when another vCPU is loaded\n",
		       area_size);
	printk("bench: xstate_switch %lu cycles\n", cycles);
}
