/* Costs in TSC cycles of the operations that exit to a hypervisor, averaged over iterations=
 * (default 1000) rounds, printed as machine-readable lines "bench: <metric> <value> cycles":
 *   cpuid         one CPUID (leaf 0)
 *   ipi_running   an IPI to a CPU spinning with interrupts enabled, and its IPI back
 *   ipi_halted    the same to a CPU waiting in HLT
 *   hlt_wake      the same with both CPUs in HLT: each is woken by the other's IPI
 * Under doorbell it also prints "bench: <metric>_exits <value> exits" per operation, the
 * difference of HC_EXIT_COUNT (exits of the calling vCPU) over the rounds, two decimals. Under
 * Linux KVM it marks the same two points of each vCPU in KVM's trace instead (kvm_mark: the label
 * is the metric, the value 0 at the start and 1 at the end), and `make compare` counts KVM's exits
 * between them (docs/kvm.md, "Exits between marks").
 * Every wait is bounded and says what it waited for when it gives up: a one-second APIC timer on
 * each CPU (the watchdog) ends any HLT, so a lost wake-up shows as a round that timed out, not as
 * a guest that hangs (it adds about one interrupt per second to the counts). */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/idt.h"
#include "guests/lib/insn_mark.h"
#include "guests/lib/kvm.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/smp.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"
#include "kernel/format.h"

const char guest_name[] = "bench";

#define DEFAULT_ITERATIONS 1000
#define VEC_PING           0x70 /* boot CPU -> CPU 1 */
#define VEC_PONG           0x71 /* CPU 1 -> boot CPU */
#define VEC_WATCHDOG       0x60 /* each CPU's periodic APIC timer: ends any HLT */
#define ROUND_TIMEOUT_US   10000000 /* generous: a loaded host may miscalibrate the TSC (docs/guests.md) */
#define READY_TIMEOUT_US   5000000
#define WATCHDOG_US        1000000
#define WATCHDOG_DIVIDE    16

enum wait { SPIN, HALT };

static uint32_t iterations;
static volatile uint32_t pings, pongs; /* taken by CPU 1 and by the boot CPU */
static volatile enum wait responder_wait;
static volatile uint32_t responder_ready, responder_stop;
static volatile uint32_t responder_exits; /* exits of CPU 1 during a run, under doorbell */
static volatile uint32_t watchdog_ticks[2];
static const char *volatile measuring; /* the metric being measured, for CPU 1's marks */

static void watchdog_interrupt(struct trap_frame *f)
{
	(void)f;
	watchdog_ticks[smp_cpu_index() & 1]++;
	apic_eoi();
}

static void watchdog_start(void)
{
	apic_timer_periodic(VEC_WATCHDOG,
	                    (uint32_t)(apic_timer_hz() / WATCHDOG_DIVIDE * WATCHDOG_US / 1000000),
	                    WATCHDOG_DIVIDE);
}

static const char *wait_name(enum wait w)
{
	return w == HALT ? "in HLT" : "spinning";
}

/* Exits of this vCPU so far under doorbell; under KVM a mark of the start (end 0) or the end
 * (end 1) of this vCPU's part of the metric being measured. Everywhere a mark for the outer
 * QEMU's instruction count (docs/bench.md, "Instructions per operation"): CPU 0 marks the start
 * and the end of each of the four metrics, in order, CPU 1 those of the last three. */
static uint32_t exit_count(uint32_t end)
{
	insn_mark();
	if (doorbell_present())
		return (uint32_t)doorbell_hypercall(HC_EXIT_COUNT, 0, 0, 0);
	kvm_mark(measuring, end);
	return 0;
}

/* hundredths of exits per operation */
static void print_exits(const char *metric, uint32_t exits)
{
	if (!doorbell_present())
		return;
	uint32_t centi = (uint32_t)((uint64_t)exits * 100 / iterations);
	printf("bench: %s_exits %u.%02u exits\n", metric, centi / 100, centi % 100);
}

static void print_cycles(const char *metric, uint64_t cycles)
{
	printf("bench: %s %u cycles\n", metric, (uint32_t)(cycles / iterations));
}

static void ping_interrupt(struct trap_frame *f)
{
	(void)f;
	pings++;
	apic_eoi();
	apic_send_ipi(smp_apic_id(0), APIC_ICR_FIXED | VEC_PONG);
}

static void pong_interrupt(struct trap_frame *f)
{
	(void)f;
	pongs++;
	apic_eoi();
}

/* CPU 1: answers each ping with a pong from its interrupt handler, waiting in between by spinning
 * or in HLT. */
static void responder(unsigned cpu)
{
	if (cpu != 1)
		return;
	uint32_t exits = exit_count(0);
	cli();
	watchdog_start();
	responder_ready = 1;
	if (responder_wait == HALT) {
		while (!responder_stop) {
			sti_hlt();
			cli();
		}
	} else {
		/* IF stays set while spinning: an emulator may look for interrupts only between
		 * blocks of instructions, never in a one-instruction STI window */
		sti();
		while (!responder_stop)
			pause();
		cli();
	}
	apic_timer_stop();
	responder_exits = exit_count(1) - exits;
}

static void bench_cpuid(void)
{
	measuring = "cpuid";
	uint32_t exits = exit_count(0);
	uint64_t start = rdtsc();
	for (uint32_t i = 0; i < iterations; i++)
		cpuid(0, 0);
	uint64_t cycles = rdtsc() - start;
	exits = exit_count(1) - exits;
	print_cycles("cpuid", cycles);
	print_exits("cpuid", exits);
	test_check_doorbell(exits >= iterations, "every CPUID exits (HC_EXIT_COUNT grew by %u)",
	                    iterations);
}

/* Ping-pong rounds with CPU 1 waiting as responder_wait says and the boot CPU as me. */
static void bench_round_trips(const char *metric, enum wait them, enum wait me)
{
	responder_wait = them;
	measuring = metric;
	responder_ready = responder_stop = 0;
	pings = pongs = 0;
	smp_start_all(responder);
	uint64_t deadline = tsc_deadline(READY_TIMEOUT_US);
	while (!responder_ready && !tsc_expired(deadline))
		pause();
	if (!test_check(responder_ready, "%s: CPU 1 ready within %u s", metric,
	                READY_TIMEOUT_US / 1000000))
		return;
	tsc_delay_us(1000); /* CPU 1 reaches its HLT */
	uint32_t exits = exit_count(0), done = 0;
	uint64_t start = rdtsc();
	cli();
	for (; done < iterations; done++) {
		apic_send_ipi(smp_apic_id(1), APIC_ICR_FIXED | VEC_PING);
		uint64_t limit = tsc_deadline(ROUND_TIMEOUT_US);
		if (me == HALT) {
			while (pongs == done && !tsc_expired(limit)) {
				sti_hlt();
				cli();
			}
		} else {
			sti();
			while (pongs == done && !tsc_expired(limit))
				pause();
			cli();
		}
		if (pongs == done) {
			printf("bench: %s: round %u of %u: no pong within %u ms (CPU 0 waited %s, CPU 1 "
			       "%s; CPU 1 took %u pings; watchdog ticks %u and %u)\n",
			       metric, done + 1, iterations, ROUND_TIMEOUT_US / 1000, wait_name(me),
			       wait_name(them), pings, watchdog_ticks[0], watchdog_ticks[1]);
			break;
		}
	}
	uint64_t cycles = rdtsc() - start;
	exits = exit_count(1) - exits;
	sti();
	responder_stop = 1;
	apic_send_ipi(smp_apic_id(1), APIC_ICR_FIXED | VEC_PING);
	bool finished = smp_wait_all(READY_TIMEOUT_US);
	cli();
	test_check(finished, "%s: CPU 1 left its wait within %u s of the stop", metric,
	           READY_TIMEOUT_US / 1000000);
	test_check(done == iterations, "%s: %u round trips, none lost", metric, iterations);
	print_cycles(metric, cycles);
	print_exits(metric, exits);
	if (doorbell_present()) {
		char name[32];
		format(name, sizeof(name), "%s_responder", metric);
		print_exits(name, responder_exits);
	}
}

void guest_main(const struct multiboot_info *mbi)
{
	iterations = multiboot_cmdline_uint(mbi, "iterations", DEFAULT_ITERATIONS);
	if (!iterations)
		iterations = 1;
	idt_set_handler(VEC_PING, ping_interrupt);
	idt_set_handler(VEC_PONG, pong_interrupt);
	idt_set_handler(VEC_WATCHDOG, watchdog_interrupt);
	printf("bench: tsc_hz %u Hz\n", (uint32_t)tsc_hz());
	bench_cpuid();
	if (!test_check(smp_init() >= 2, "a second CPU for the IPI measurements"))
		return;
	watchdog_start();
	bench_round_trips("ipi_running", SPIN, SPIN);
	bench_round_trips("ipi_halted", HALT, SPIN);
	bench_round_trips("hlt_wake", HALT, HALT);
	apic_timer_stop();
}
