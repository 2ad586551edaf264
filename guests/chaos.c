/* The chaos guest (issue 18): one thread of seeded random hostile operations per CPU, against
 * every intercept doorbell handles. Its own failures do not matter; what is tested is that
 * doorbell survives it, answers architecturally or stops the VM with a reason, and that a
 * well-behaved VM next to it passes (tests/qemu/chaos.py, docs/chaos.md).
 *
 * Arguments: seed= (default 1), ops= operations per CPU (default 500), quiet=1 prints every 100th
 * operation instead of each. Every operation is printed before it runs ("c<cpu> #<n> <op> <a>
 * <b>"), so the last line of a CPU names what it was doing; the same seed replays the same
 * operations on each CPU (the interleaving between CPUs differs).
 *
 * The operations: RDMSR/WRMSR of random and interesting indexes; port I/O of every size, IN/OUT
 * and REP INS/OUTS; xAPIC MMIO reads and writes at every offset and size, aligned or not; x2APIC
 * MSRs (xAPIC mode: #GP); ICR writes in every delivery mode, shorthand and destination mode,
 * illegal vectors included; IOAPIC registers with junk; CR0/CR4 with reserved or invalid bits and
 * EFER with reserved bits (#GP expected, counted when absent); the SVM instructions (#UD); VMMCALL
 * with every number and junk arguments; random CPUID leaves; an STI window that takes the
 * interrupts the others sent; and on CPUs other than 0, CLI;HLT (CPU 0 ends it with NMIs).
 * Left out because they would end the VM or the test rather than test doorbell: writes to the
 * APIC ID and ICR by plain MMIO (the ICR operation covers it), INIT to existing CPUs (it stops
 * their thread; also not by the physical broadcast 0xff), IA32_APIC_BASE and TSC writes, EFER.LME (tests/platform svm-efer-lme), ports
 * 0xf4 (isa-debug-exit) and COM1, HC_EXIT and HC_TEST_RESULT, and unmapped MMIO (doorbell stops
 * the VM: tests/qemu/guests.py unmapped-isolated), including an xAPIC access that straddles the
 * end of the APIC page (chaos seed 8 on 4 vCPUs: "write to unmapped guest-physical address
 * 0xfee01000"). */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/smp.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "chaos";

#define DEFAULT_OPS     500
#define IOAPIC_BASE     0xfec00000u
#define VEC_NMI         2
#define VEC_UD          6
#define RESCUE_US       20000   /* CPU 0 sends NMIs this often until every CPU is done */
#define FINISH_US       600000000ull
#define CR0_NW          BIT(29)
#define CR0_CD          BIT(30)

struct chaos_cpu {
	uint64_t rng;
	volatile uint32_t resume;  /* EIP to resume at after an exception, 0: none expected */
	volatile int vector;       /* the exception taken by the current operation, or -1 */
	uint32_t faults[32];
	uint32_t stray;            /* vectors below 32 taken without an operation expecting one */
	volatile uint32_t irqs, nmis;
	uint32_t missing_gp, missing_ud;
	volatile bool done;
} __attribute__((aligned(64)));

static struct chaos_cpu chaos[SMP_MAX_CPUS];
static uint32_t ops_per_cpu, seed, verbose_every;
static volatile uint32_t io_buffer[64];

static uint64_t rng_next(struct chaos_cpu *c)
{
	/* xorshift64* (Vigna) */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd(struct chaos_cpu *c, uint32_t n)
{
	return (uint32_t)((rng_next(c) >> 32) % n);
}

static struct chaos_cpu *self(void)
{
	return &chaos[smp_cpu_index()];
}

/* Exceptions 0-31: an operation that armed `resume` continues there; anything else is an
 * external interrupt on a low vector (an IPI or IOAPIC entry the operations programmed), counted
 * and ended with an EOI. */
static void chaos_trap(struct trap_frame *f)
{
	struct chaos_cpu *c = self();
	if (c->resume) {
		c->vector = (int)f->vector;
		c->faults[f->vector & 31]++;
		f->eip = c->resume;
		c->resume = 0;
		return;
	}
	c->stray++;
	/* an IPI or IOAPIC interrupt on a vector below 32 (the ICR and IOAPIC operations send any) */
	if (apic_isr_test(f->vector))
		apic_eoi();
}

static void chaos_nmi(struct trap_frame *f)
{
	(void)f;
	self()->nmis++;
}

static void chaos_irq(struct trap_frame *f)
{
	(void)f;
	self()->irqs++;
	apic_eoi();
}

/* Runs `insn` with exceptions resumed at its end; c->vector says which one it took, if any.
 * `resume` is only stored before the instruction: after it, the register addressing it may hold
 * the instruction's result. */
#define SAFE(c, insn, ...)                                                                         \
	do {                                                                                       \
		(c)->vector = -1;                                                                  \
		__asm__ volatile("movl $1f, %[resume]\n\t" insn "\n1:"                             \
		                 : [resume] "+m"((c)->resume)__VA_ARGS__);                        \
		(c)->resume = 0;                                                                   \
	} while (0)

static const uint32_t interesting_msrs[] = {
    0x0, 0x1, 0x6e0, 0x8b, 0xfe, 0x174, 0x175, 0x176, 0x179, 0x17a, 0x17b, 0x1d9, 0x200, 0x201,
    0x250, 0x258, 0x268, 0x277, 0x2ff, 0x400, 0x401, 0x402, 0x403, 0x48, 0x49, 0xe7, 0xe8,
    0x3a, 0x800, 0x802, 0x808, 0x80b, 0x80f, 0x830, 0x83f, 0x8ff, 0xc0000081, 0xc0000082,
    0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010000,
    0xc0010004, 0xc0010010, 0xc0010015, 0xc0010114, 0xc0010117, 0xc001011b, 0xc0010140,
    0xc0011029, 0xc0000104, 0x48, 0xc0010200, 0xc0010201,
};

static uint32_t random_msr(struct chaos_cpu *c)
{
	static const uint32_t bases[] = {0, 0x800, 0x40000000, 0xc0000000, 0xc0010000, 0xc0011000};
	if (rnd(c, 2))
		return interesting_msrs[rnd(c, ARRAY_SIZE(interesting_msrs))];
	if (rnd(c, 8) == 0)
		return (uint32_t)rng_next(c);
	return bases[rnd(c, ARRAY_SIZE(bases))] + rnd(c, 0x1000);
}

static bool msr_writable(uint32_t msr)
{
	/* TSC, APIC_BASE, TSC_ADJUST, EFER: would change the guest's own clock or mode */
	return msr != 0x10 && msr != 0x1b && msr != 0x3b && msr != 0xc0000080;
}

static void op_rdmsr(struct chaos_cpu *c, uint32_t msr)
{
	uint32_t lo, hi;
	SAFE(c, "rdmsr", , "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	(void)lo;
	(void)hi;
}

static void op_wrmsr(struct chaos_cpu *c, uint32_t msr, uint64_t v)
{
	if (!msr_writable(msr))
		return;
	SAFE(c, "wrmsr", : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static bool port_allowed(uint16_t port)
{
	return !(port >= 0xf4 && port <= 0xf7) && !(port >= 0x3f8 && port <= 0x3ff);
}

static uint16_t random_port(struct chaos_cpu *c)
{
	static const uint16_t ports[] = {0x20, 0x21, 0x40, 0x43, 0x61, 0x70, 0x71, 0x80, 0xa0,
	                                 0xa1, 0x2f8, 0x510, 0x511, 0xcf8, 0xcfc, 0xcfe, 0x3e0};
	return rnd(c, 2) ? ports[rnd(c, ARRAY_SIZE(ports))] : (uint16_t)rnd(c, 0x10000);
}

static void op_io(struct chaos_cpu *c, uint16_t port, unsigned kind, uint32_t v)
{
	if (!port_allowed(port) || !port_allowed((uint16_t)(port + 3)))
		return;
	uint32_t count = 1 + (v & 7);
	void *buf = (void *)io_buffer;
	switch (kind) {
	case 0: SAFE(c, "outb %%al, %%dx", : "a"(v), "d"(port) : "memory"); break;
	case 1: SAFE(c, "outw %%ax, %%dx", : "a"(v), "d"(port) : "memory"); break;
	case 2: SAFE(c, "outl %%eax, %%dx", : "a"(v), "d"(port) : "memory"); break;
	case 3: SAFE(c, "inb %%dx, %%al", , "+a"(v) : "d"(port) : "memory"); break;
	case 4: SAFE(c, "inw %%dx, %%ax", , "+a"(v) : "d"(port) : "memory"); break;
	case 5: SAFE(c, "inl %%dx, %%eax", , "+a"(v) : "d"(port) : "memory"); break;
	case 6: SAFE(c, "cld; rep outsb", , "+S"(buf), "+c"(count) : "d"(port) : "memory"); break;
	case 7: SAFE(c, "cld; rep outsw", , "+S"(buf), "+c"(count) : "d"(port) : "memory"); break;
	case 8: SAFE(c, "cld; rep outsl", , "+S"(buf), "+c"(count) : "d"(port) : "memory"); break;
	case 9: SAFE(c, "cld; rep insb", , "+D"(buf), "+c"(count) : "d"(port) : "memory"); break;
	case 10: SAFE(c, "cld; rep insw", , "+D"(buf), "+c"(count) : "d"(port) : "memory"); break;
	case 11: SAFE(c, "cld; rep insl", , "+D"(buf), "+c"(count) : "d"(port) : "memory"); break;
	default: SAFE(c, "cld; outsb", , "+S"(buf) : "d"(port) : "memory"); break;
	}
}

/* xAPIC page: every offset and size, aligned or not. No plain writes to the ID (the runtime finds
 * its CPU by it) or the ICR (op_icr); SVR writes keep the APIC enabled. */
static void op_xapic(struct chaos_cpu *c, uint32_t off, unsigned size, bool write, uint32_t v)
{
	/* not across the page's end: 0xfee01000 is unmapped and doorbell stops the VM there */
	off &= 0xfff;
	if (off + size > 0x1000)
		off = 0x1000 - size;
	uintptr_t a = APIC_BASE_ADDR + off;
	if (write && ((off & 0xff0) == APIC_ID || (off & 0xfe0) == APIC_ICR_LOW))
		return;
	if (write && (off & 0xff0) == APIC_SVR)
		v |= APIC_SVR_ENABLE;
	if (size == 1) {
		if (write)
			SAFE(c, "movb %b[v], (%[a])", : [v] "q"(v), [a] "r"(a) : "memory");
		else
			SAFE(c, "movb (%[a]), %b[v]", , [v] "+q"(v) : [a] "r"(a) : "memory");
	} else if (size == 2) {
		if (write)
			SAFE(c, "movw %w[v], (%[a])", : [v] "r"(v), [a] "r"(a) : "memory");
		else
			SAFE(c, "movw (%[a]), %w[v]", , [v] "+r"(v) : [a] "r"(a) : "memory");
	} else if (write) {
		SAFE(c, "movl %[v], (%[a])", : [v] "r"(v), [a] "r"(a) : "memory");
	} else {
		SAFE(c, "movl (%[a]), %[v]", , [v] "+r"(v) : [a] "r"(a) : "memory");
	}
}

/* ICR: any vector (illegal ones included), every delivery mode and shorthand, physical or logical
 * destinations. INIT only to APIC IDs no CPU has; STARTUP goes anywhere (running CPUs ignore
 * it). */
static void op_icr(struct chaos_cpu *c, uint32_t low, uint32_t dest)
{
	uint32_t mode = low & (7u << 8);
	if (mode == APIC_ICR_INIT) {
		low &= ~(3u << 18);
		/* 0x80-0xfe: 0xff is the xAPIC physical broadcast (SDM vol. 3, 10.6.2.1), which INITs
		 * every CPU (chaos seed 14 on 4 vCPUs: CPUs 1-3 waited for a SIPI until timeout=) */
		dest = 0x80 | (dest % 0x7f);
		low &= ~APIC_ICR_LOGICAL;
	}
	mmio_write32(APIC_BASE_ADDR + APIC_ICR_HIGH, dest << 24);
	SAFE(c, "movl %[v], (%[a])", : [v] "r"(low), [a] "r"(APIC_BASE_ADDR + APIC_ICR_LOW) : "memory");
}

/* IOAPIC: a random register index and value; redirection entries never get INIT delivery. */
static void op_ioapic(struct chaos_cpu *c, uint32_t reg, uint32_t v, bool write)
{
	mmio_write32(IOAPIC_BASE, reg & 0xff);
	if (!write) {
		(void)mmio_read32(IOAPIC_BASE + 0x10);
		return;
	}
	if ((reg & 0xff) >= 0x10 && !(reg & 1) && ((v >> 8) & 7) == 5)
		v &= ~(7u << 8);
	(void)c;
	mmio_write32(IOAPIC_BASE + 0x10, v);
}

static void expect_gp(struct chaos_cpu *c)
{
	if (c->vector != VEC_GP)
		c->missing_gp++;
}

static void op_control(struct chaos_cpu *c, unsigned kind, uint32_t bit)
{
	uint32_t cr0, cr4;
	__asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	switch (kind) {
	case 0: { /* CR0.NW without CD: #GP */
		uint32_t v = (cr0 | CR0_NW) & ~CR0_CD;
		SAFE(c, "mov %[v], %%cr0", : [v] "r"(v) : "memory");
		expect_gp(c);
		break;
	}
	case 1: { /* a reserved CR4 bit: #GP */
		static const uint8_t reserved[] = {15, 25, 26, 27, 28, 29, 30, 31};
		uint32_t v = cr4 | BIT(reserved[bit % ARRAY_SIZE(reserved)]);
		SAFE(c, "mov %[v], %%cr4", : [v] "r"(v) : "memory");
		expect_gp(c);
		break;
	}
	case 2: { /* a reserved EFER bit: #GP */
		static const uint8_t reserved[] = {1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19, 20, 31, 40, 63};
		uint32_t lo, hi;
		SAFE(c, "rdmsr", , "=a"(lo), "=d"(hi) : "c"(0xc0000080u) : "memory");
		uint64_t v = ((uint64_t)hi << 32 | lo) | (1ull << reserved[bit % ARRAY_SIZE(reserved)]);
		SAFE(c, "wrmsr", : "c"(0xc0000080u), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
		expect_gp(c);
		break;
	}
	default: { /* CR3 with junk in the bits paging off ignores */
		uint32_t cr3;
		__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
		uint32_t v = cr3 | (bit & 0xfe7);
		SAFE(c, "mov %[v], %%cr3", : [v] "r"(v) : "memory");
		SAFE(c, "mov %[v], %%cr3", : [v] "r"(cr3) : "memory");
		break;
	}
	}
}

static void op_svm(struct chaos_cpu *c, unsigned which)
{
	switch (which % 7) {
	case 0: SAFE(c, "vmrun", : "a"(0) : "memory"); break;
	case 1: SAFE(c, "vmload", : "a"(0) : "memory"); break;
	case 2: SAFE(c, "vmsave", : "a"(0) : "memory"); break;
	case 3: SAFE(c, "clgi", : : "memory"); break;
	case 4: SAFE(c, "stgi", : : "memory"); break;
	case 5: SAFE(c, "skinit", : "a"(0) : "memory"); break;
	default: SAFE(c, "invlpga", : "a"(0), "c"(0) : "memory"); break;
	}
	if (c->vector != VEC_UD)
		c->missing_ud++;
}

static void op_vmmcall(struct chaos_cpu *c, uint32_t nr, uint32_t a, uint32_t b, uint32_t d)
{
	if (nr == HC_EXIT || nr == HC_TEST_RESULT)
		nr = HC_VERSION;
	uint32_t rax = nr;
	SAFE(c, "vmmcall", , "+a"(rax), "+b"(a), "+c"(b), "+d"(d) : : "memory");
}

static void op_cpuid(struct chaos_cpu *c, uint32_t leaf, uint32_t sub)
{
	static const uint32_t bases[] = {0, 0x40000000, 0x80000000, 0x8fff0000};
	leaf = bases[leaf & 3] + ((leaf >> 2) & 0x3f);
	uint32_t b, d;
	SAFE(c, "cpuid", , "+a"(leaf), "=b"(b), "+c"(sub), "=d"(d) : : "memory");
	(void)b;
	(void)d;
}

static const char *const op_names[] = {
    "rdmsr", "wrmsr", "io", "xapic-read", "xapic-write", "x2apic", "icr", "ioapic",
    "control", "svm", "vmmcall", "cpuid", "sti-window", "cli-hlt",
};

static void chaos_op(struct chaos_cpu *c, unsigned cpu, uint32_t n)
{
	unsigned op = rnd(c, ARRAY_SIZE(op_names));
	uint32_t a = (uint32_t)rng_next(c), b = (uint32_t)rng_next(c), d = rnd(c, 16);
	if (op == 1 || op == 0)
		a = random_msr(c);
	if (op == 2)
		a = random_port(c);
	if (op == 3 || op == 4)
		d = 1u << rnd(c, 3);
	if (op == 13 && cpu == 0)
		op = 12; /* CPU 0 rescues the others from CLI;HLT: it must not halt itself */
	if (!verbose_every || n % verbose_every == 0)
		printf("c%u #%u %s %x %x %u\n", cpu, n, op_names[op], a, b, d);
	switch (op) {
	case 0: op_rdmsr(c, a); break;
	case 1: op_wrmsr(c, a, (uint64_t)b << (d & 32) | rnd(c, 2) * 0xffffffffull); break;
	case 2: op_io(c, (uint16_t)a, d % 13, b); break;
	case 3: op_xapic(c, a, d, false, b); break;
	case 4: op_xapic(c, a, d, true, b); break;
	case 5:
		if (d & 1)
			op_rdmsr(c, 0x800 + (a & 0xff));
		else
			op_wrmsr(c, 0x800 + (a & 0xff), b);
		break;
	case 6: op_icr(c, a, b); break;
	case 7: op_ioapic(c, a, b, d & 1); break;
	case 8: op_control(c, d & 3, b); break;
	case 9: op_svm(c, d); break;
	case 10: op_vmmcall(c, d < 8 ? d : a, a, b, d); break;
	case 11: op_cpuid(c, a, b); break;
	case 12:
		sti();
		for (volatile int k = 0; k < 100; k++)
			;
		cli();
		break;
	default:
		__asm__ volatile("cli; hlt" ::: "memory");
		break;
	}
}

static void chaos_thread(unsigned cpu)
{
	struct chaos_cpu *c = &chaos[cpu];
	cli();
	c->rng = (seed * 0x9e3779b97f4a7c15ull) ^ (cpu + 1) * 0xbf58476d1ce4e5b9ull;
	if (!c->rng)
		c->rng = 1;
	for (uint32_t n = 0; n < ops_per_cpu; n++)
		chaos_op(c, cpu, n);
	__atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
}

void guest_main(const struct multiboot_info *mbi)
{
	seed = multiboot_cmdline_uint(mbi, "seed", 1);
	ops_per_cpu = multiboot_cmdline_uint(mbi, "ops", DEFAULT_OPS);
	verbose_every = multiboot_cmdline_has(mbi, "quiet=1") ? 100 : 0;
	for (unsigned v = 0; v < 32; v++)
		idt_set_handler(v, v == VEC_NMI ? chaos_nmi : chaos_trap);
	for (unsigned v = 32; v < SMP_WAKE_VECTOR; v++)
		idt_set_handler(v, chaos_irq);
	unsigned cpus = smp_init();
	printf("chaos: seed %u, %u operations per CPU, %u CPUs\n", seed, ops_per_cpu, cpus);
	smp_start_all(chaos_thread);
	chaos_thread(0);
	/* the others: an NMI now and then ends a CLI;HLT */
	uint64_t end = tsc_deadline(FINISH_US);
	for (;;) {
		bool all = true;
		for (unsigned i = 1; i < cpus; i++)
			all &= __atomic_load_n(&chaos[i].done, __ATOMIC_ACQUIRE);
		if (all || tsc_expired(end))
			break;
		mmio_write32(APIC_BASE_ADDR + APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
		apic_send_ipi(0, APIC_ICR_NMI | APIC_ICR_ALL_EXCLUDING);
		tsc_delay_us(RESCUE_US);
	}
	uint32_t total_faults = 0, missing = 0;
	for (unsigned i = 0; i < cpus; i++) {
		struct chaos_cpu *c = &chaos[i];
		uint32_t f = 0;
		for (unsigned v = 0; v < 32; v++)
			f += c->faults[v];
		total_faults += f;
		missing += c->missing_gp + c->missing_ud;
		printf("info: cpu %u: %s, %u exceptions (#GP %u, #UD %u, #PF %u), %u interrupts, %u NMIs, "
		       "%u stray, no #GP %u times, no #UD %u times\n",
		       i, c->done ? "done" : "NOT DONE", f, c->faults[VEC_GP], c->faults[VEC_UD],
		       c->faults[VEC_PF], c->irqs, c->nmis, c->stray, c->missing_gp, c->missing_ud);
		test_check(c->done, "cpu %u ran its %u operations", i, ops_per_cpu);
	}
	printf("info: chaos seed %u: %u operations on %u CPUs, %u exceptions taken, %u expected "
	       "#GP/#UD missing\n", seed, ops_per_cpu * cpus, cpus, total_faults, missing);
}
