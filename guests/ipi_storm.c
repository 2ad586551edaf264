/* An IPI storm: every CPU sends count= (default 2000) IPIs to randomly chosen other CPUs, and
 * between sends randomly computes for a while or halts (a one-shot timer bounds each halt), so
 * that targets are found both running and halted. Each sender has its own vector and sends to a
 * target only once the target has counted the previous IPI from it: nothing may merge in an IRR
 * (one bit per vector), so every IPI must be counted, and the sums must match exactly. An IPI not
 * counted within stall_ms= (default 2000) is reported as a stall, under doorbell with the target's
 * interrupt state (HC_DEBUG_VCPU); the sender then waits LATE_US more: counted by then, it was
 * late (reported, not a failure: QEMU's TCG on a loaded host can starve a vCPU for seconds), else
 * it is lost, a failure. seed= changes the random choices. */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/smp.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "ipi_storm";

#define DEFAULT_COUNT     2000
#define DEFAULT_SEED      1
#define VEC_FROM_CPU0     0x60 /* sender s uses vector 0x60 + s */
#define VEC_HALT_TIMER    0x40
#define HALT_TIMER_US     500 /* a halt ends by this timer if no IPI comes first */
#define BUSY_MAX_LOOPS    2000
#define DEFAULT_STALL_MS  2000
#define LATE_US           30000000 /* after a stall: how long to wait to tell late from lost */
#define FINISH_BASE_US    30000000 /* the whole storm: 30 s plus 10 ms per IPI per CPU, */
#define FINISH_PER_IPI_US 10000    /* 2-3x what QEMU's TCG needs on 2 idle host cores */

static uint32_t count;
static unsigned cpus;
static uint32_t sent[SMP_MAX_CPUS][SMP_MAX_CPUS];     /* [sender][target], written by sender */
static uint32_t received[SMP_MAX_CPUS][SMP_MAX_CPUS]; /* [target][sender], written by target */
static uint32_t halts[SMP_MAX_CPUS], timer_wakes[SMP_MAX_CPUS];
static uint32_t max_wait_us[SMP_MAX_CPUS]; /* longest wait for a target's count */
static uint32_t halt_us, stall_ms;
static uint32_t finished, stalls, lost;
static uint32_t seed_base;

static void ipi_interrupt(struct trap_frame *f)
{
	unsigned self = smp_cpu_index(), sender = f->vector - VEC_FROM_CPU0;
	__atomic_store_n(&received[self][sender], received[self][sender] + 1, __ATOMIC_RELEASE);
	apic_eoi();
}

static void halt_timer_interrupt(struct trap_frame *f)
{
	(void)f;
	timer_wakes[smp_cpu_index()]++;
	apic_eoi();
}

/* xorshift32 (Marsaglia, "Xorshift RNGs", 2003) */
static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

static void pause_randomly(unsigned self, uint32_t *rng)
{
	uint32_t r = next_random(rng);
	if (r & 1) {
		cli();
		apic_timer_oneshot(VEC_HALT_TIMER,
		                   (uint32_t)(apic_timer_hz() * halt_us / 1000000), 1);
		halts[self]++;
		sti_hlt();
		apic_timer_stop();
	} else {
		for (uint32_t i = (r >> 1) % BUSY_MAX_LOOPS; i; i--)
			__asm__ volatile("" : "+r"(i));
	}
}

static bool counted(unsigned self, unsigned target)
{
	return __atomic_load_n(&received[target][self], __ATOMIC_ACQUIRE) == sent[self][target];
}

/* Waits, taking interrupts, until target has counted every IPI this CPU sent it or stall_ms
 * have passed; keeps the longest wait. */
static bool await_counted(unsigned self, unsigned target)
{
	if (counted(self, target))
		return true;
	uint64_t start = rdtsc(), deadline = tsc_deadline((uint64_t)stall_ms * 1000);
	while (!counted(self, target)) {
		if (tsc_expired(deadline))
			return false;
		pause();
	}
	uint32_t us = (uint32_t)tsc_to_us(rdtsc() - start);
	if (us > max_wait_us[self])
		max_wait_us[self] = us;
	return true;
}

/* Under doorbell: the target's interrupt state, printed by the hypervisor (HC_DEBUG_VCPU). */
static void dump_target(unsigned target)
{
	if (doorbell_present())
		doorbell_hypercall(HC_DEBUG_VCPU, target, 0, 0);
}

/* An IPI was not counted within stall_ms: report it, with the target's state, then wait up to
 * LATE_US more to tell an IPI that was only late from one that was lost. True if it was counted
 * (late). */
static bool report_stall(unsigned self, unsigned target)
{
	uint64_t start = rdtsc();
	__atomic_fetch_add(&stalls, 1, __ATOMIC_RELAXED);
	printf("info: CPU %u: IPI %u to CPU %u not counted within %u ms\n", self,
	       sent[self][target], target, stall_ms);
	dump_target(target);
	uint64_t deadline = tsc_deadline(LATE_US);
	while (!counted(self, target) && !tsc_expired(deadline))
		pause();
	uint32_t ms = stall_ms + (uint32_t)(tsc_to_us(rdtsc() - start) / 1000);
	if (counted(self, target)) {
		printf("info: CPU %u: IPI %u to CPU %u counted late, after %u ms\n", self,
		       sent[self][target], target, ms);
		if (ms * 1000 > max_wait_us[self])
			max_wait_us[self] = ms * 1000;
		return true;
	}
	__atomic_fetch_add(&lost, 1, __ATOMIC_RELAXED);
	printf("info: CPU %u: IPI %u to CPU %u lost: not counted after %u ms\n", self,
	       sent[self][target], target, ms);
	dump_target(target);
	return false;
}

static void storm(unsigned self)
{
	uint32_t rng = seed_base * 2654435761u + self + 1;
	sti();
	for (uint32_t i = 0; i < count; i++) {
		unsigned target = (self + 1 + next_random(&rng) % (cpus - 1)) % cpus;
		if (!await_counted(self, target) && !report_stall(self, target))
			break;
		sent[self][target]++;
		apic_send_ipi(smp_apic_id(target), APIC_ICR_FIXED | (VEC_FROM_CPU0 + self));
		pause_randomly(self, &rng);
	}
	for (unsigned t = 0; t < cpus; t++)
		if (t != self && !await_counted(self, t))
			report_stall(self, t);
	__atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE);
}

static uint32_t sum_sent(unsigned s)
{
	uint32_t n = 0;
	for (unsigned t = 0; t < cpus; t++)
		n += sent[s][t];
	return n;
}

static uint32_t sum_received(unsigned t)
{
	uint32_t n = 0;
	for (unsigned s = 0; s < cpus; s++)
		n += received[t][s];
	return n;
}

void guest_main(const struct multiboot_info *mbi)
{
	count = multiboot_cmdline_uint(mbi, "count", DEFAULT_COUNT);
	/* halt_us= longer than stall_ms turns a lost wake-up, which only the halt timer would
	 * otherwise rescue, into a reported stall; longer than stall_ms + LATE_US, into a lost
	 * IPI (the erratum #1235 experiment) */
	halt_us = multiboot_cmdline_uint(mbi, "halt_us", HALT_TIMER_US);
	seed_base = multiboot_cmdline_uint(mbi, "seed", DEFAULT_SEED);
	/* a short stall_ms= shows how late IPIs get, and exercises the stall report */
	stall_ms = multiboot_cmdline_uint(mbi, "stall_ms", DEFAULT_STALL_MS);
	for (unsigned s = 0; s < SMP_MAX_CPUS; s++)
		idt_set_handler(VEC_FROM_CPU0 + s, ipi_interrupt);
	idt_set_handler(VEC_HALT_TIMER, halt_timer_interrupt);
	apic_timer_hz();
	cpus = smp_init();
	if (!test_check(cpus >= 2, "at least 2 CPUs online"))
		return;
	printf("ipi_storm: %u CPUs, %u IPIs each\n", cpus, count);
	uint64_t start = rdtsc();
	smp_start_all(storm);
	storm(0);
	/* plus one LATE_US, so that a CPU still telling late from lost is waited for; limit_s=
	 * sets it instead (a long storm on a host that may be loaded) */
	uint64_t limit_us = FINISH_BASE_US + LATE_US + (uint64_t)FINISH_PER_IPI_US * count;
	limit_us = (uint64_t)multiboot_cmdline_uint(mbi, "limit_s", (uint32_t)(limit_us / 1000000)) *
	           1000000;
	/* counted from the start of the storm, CPU 0's own part included */
	uint64_t deadline = start + tsc_from_us(limit_us);
	while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < cpus && !tsc_expired(deadline))
		pause();
	bool in_time = __atomic_load_n(&finished, __ATOMIC_ACQUIRE) == cpus && !tsc_expired(deadline);
	cli();
	uint32_t elapsed_ms = (uint32_t)(tsc_to_us(rdtsc() - start) / 1000);
	test_check(in_time, "every CPU finished sending within its time limit");
	printf("info: time limit %u s\n", (uint32_t)(limit_us / 1000000));
	/* A late IPI is reported (with the target's state) but is no failure: on a loaded host
	 * QEMU's threads lose their CPU for seconds. A lost one is never counted. */
	test_check(lost == 0, "no IPI lost: every IPI counted within %u ms of the wait for it",
	           stall_ms + LATE_US / 1000);
	printf("info: %u IPI(s) counted late (after %u ms), %u lost\n", stalls - lost, stall_ms,
	       lost);
	uint32_t total_sent = 0, total_received = 0;
	for (unsigned c = 0; c < cpus; c++) {
		bool pairs = true;
		for (unsigned s = 0; s < cpus; s++)
			pairs &= received[c][s] == sent[s][c];
		test_check(sum_sent(c) == count, "CPU %u sent %u IPIs", c, count);
		test_check(pairs, "CPU %u counted exactly the IPIs each CPU sent it", c);
		total_sent += sum_sent(c);
		total_received += sum_received(c);
		printf("info: CPU %u: received %u, halted %u times, %u woken by the timer, longest "
		       "wait for a count %u us\n",
		       c, sum_received(c), halts[c], timer_wakes[c], max_wait_us[c]);
	}
	test_check(total_received == total_sent && total_sent == cpus * count,
	           "total: %u sent, as many received, none lost", cpus * count);
	printf("info: %u IPIs in %u ms\n", total_sent, elapsed_ms);
}
