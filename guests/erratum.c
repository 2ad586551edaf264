/* The erratum #1235 experiment as a guest: CPU 1 halts again and again with nothing but CPU 0's
 * IPI to wake it (no timer); CPU 0 waits until CPU 1 is about to halt, waits a little longer so
 * that CPU 1's HLT has left guest mode (its vCPU scheduled out), and sends the IPI, then waits a
 * bounded time for CPU 1 to count it. On hardware (or the AVIC platform) with the erratum, an
 * ICR write that still sees the target's IsRunning from before it was cleared rings a doorbell
 * at a CPU that no longer runs the target and takes no exit: the target sleeps with the vector
 * in its IRR, and this guest reports the lost wake-up. rounds= (default 200), gap_us= (the wait
 * after CPU 1 announced its halt, default 200). An IPI not taken within 500 ms is reported with
 * CPU 1's state as doorbell sees it (HC_DEBUG_VCPU, which also asks a traced VM for its exit
 * trace from the ICR write on) and the TSCs around the ICR write as a trace mark
 * (docs/trace.md); CPU 0 then waits late_ms= (default 10000)
 * more: taken by then, it was late (a loaded host can starve QEMU's threads for seconds), which
 * is reported and not a failure; else it is the lost wake-up.
 * busy_us= (default 0): CPU 1 stays busy that long in guest mode after each wake-up before it
 * announces its next halt. The erratum needs CPU 0's latest VMRUN before an IPI to come while
 * CPU 1 still runs; under KVM (docs/kvm.md, "The erratum") CPU 0's latest VMRUN is mostly the one
 * after its previous IPI's exit, before CPU 1 was woken, and CPU 1 takes the IPI and halts again
 * in about 0.1 ms: a busy CPU 1 makes the window open in most rounds instead of a few. */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/smp.h"
#include "guests/lib/test.h"
#include "guests/lib/trace_mark.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

#define VEC_WAKE 0x70
#define STALL_US 500000 /* a delivered IPI is counted in microseconds; this is a lost one */
#define DEFAULT_ROUNDS 200
#define DEFAULT_GAP_US 200
#define DEFAULT_LATE_MS 10000

const char guest_name[] = "erratum";

static volatile uint32_t halting = ~0u; /* round CPU 1 is about to halt in */
static volatile uint32_t received;     /* IPIs CPU 1 took */
static volatile bool done;
static uint32_t busy_us; /* set by CPU 0 before it starts CPU 1 */

static void wake_interrupt(struct trap_frame *f)
{
	(void)f;
	__atomic_fetch_add(&received, 1, __ATOMIC_RELEASE);
	apic_eoi();
}

static void target(unsigned cpu)
{
	(void)cpu;
	for (uint32_t round = 0; !__atomic_load_n(&done, __ATOMIC_ACQUIRE); round++) {
		cli();
		__atomic_store_n(&halting, round, __ATOMIC_RELEASE);
		sti_hlt(); /* only CPU 0's IPI ends this */
		while (__atomic_load_n(&received, __ATOMIC_ACQUIRE) <= round &&
		       !__atomic_load_n(&done, __ATOMIC_ACQUIRE))
			pause(); /* an unrelated wake-up: wait for the round's IPI */
		if (busy_us)
			tsc_delay_us(busy_us);
	}
}

static bool taken(uint32_t round)
{
	return __atomic_load_n(&received, __ATOMIC_ACQUIRE) > round;
}

/* Waits up to us for round's IPI to be counted; true if it was. */
static bool wait_taken(uint32_t round, uint64_t us)
{
	uint64_t deadline = tsc_deadline(us);
	while (!taken(round) && !tsc_expired(deadline))
		pause();
	return taken(round);
}

/* Round's IPI, its ICR written between TSC sent_tsc and done_tsc, was not taken within STALL_US:
 * CPU 1's state under doorbell and, if the VM traces, the exit trace from the ICR write on
 * (docs/trace.md, "Snapshots"), the ICR write as a trace mark, then up to late_ms more to tell a
 * late IPI from a lost one. True if it was taken (late). */
static bool late_or_lost(uint32_t round, uint32_t late_ms, uint64_t sent_tsc, uint64_t done_tsc)
{
	uint64_t start = rdtsc();
	if (doorbell_present())
		doorbell_hypercall(HC_DEBUG_VCPU, 1, (uint32_t)sent_tsc, (uint32_t)(sent_tsc >> 32));
	trace_mark(0, sent_tsc, "icr_write", 1, APIC_ICR_FIXED | VEC_WAKE, done_tsc);
	printf("info: round %u: IPI to the halted CPU 1 not taken within %u ms\n", round,
	       STALL_US / 1000);
	bool late = wait_taken(round, (uint64_t)late_ms * 1000);
	uint32_t ms = STALL_US / 1000 + (uint32_t)(tsc_to_us(rdtsc() - start) / 1000);
	if (late) {
		printf("info: round %u: IPI to the halted CPU 1 taken late, after %u ms\n", round, ms);
		return true;
	}
	printf("info: round %u: IPI to the halted CPU 1 not taken within %u ms: lost wake-up\n",
	       round, ms);
	if (doorbell_present())
		doorbell_hypercall(HC_DEBUG_VCPU, 1, 0, 0);
	return false;
}

void guest_main(const struct multiboot_info *mbi)
{
	uint32_t rounds = multiboot_cmdline_uint(mbi, "rounds", DEFAULT_ROUNDS);
	uint32_t gap_us = multiboot_cmdline_uint(mbi, "gap_us", DEFAULT_GAP_US);
	uint32_t late_ms = multiboot_cmdline_uint(mbi, "late_ms", DEFAULT_LATE_MS);
	busy_us = multiboot_cmdline_uint(mbi, "busy_us", 0);
	idt_set_handler(VEC_WAKE, wake_interrupt);
	unsigned cpus = smp_init();
	if (!test_check(cpus >= 2, "at least 2 CPUs online"))
		return;
	smp_start_all(target);
	uint32_t lost_round = ~0u, late = 0;
	for (uint32_t round = 0; round < rounds; round++) {
		uint64_t deadline = tsc_deadline(STALL_US);
		while (__atomic_load_n(&halting, __ATOMIC_ACQUIRE) != round && !tsc_expired(deadline))
			pause();
		tsc_delay_us(gap_us);
		uint64_t sent_tsc = rdtsc();
		apic_send_ipi(smp_apic_id(1), APIC_ICR_FIXED | VEC_WAKE);
		uint64_t done_tsc = rdtsc();
		if (wait_taken(round, STALL_US))
			continue;
		if (!late_or_lost(round, late_ms, sent_tsc, done_tsc)) {
			lost_round = round;
			break;
		}
		late++;
	}
	__atomic_store_n(&done, true, __ATOMIC_RELEASE);
	printf("info: %u round(s) with a late wake-up\n", late);
	test_check(lost_round == ~0u, "every wake-up IPI to a halted CPU arrived (%u rounds)",
		   rounds);
}
