/* Device interrupts remapped by the IOMMU to a vCPU, none lost: with iommu-test=edu-irq the
 * hypervisor binds QEMU's edu MSI to CPU 1 of this guest (hypercall HC_TEST_DEVICE_IRQ, op
 * BIND) and raises one edu interrupt per RAISE. The boot CPU raises them one at a time, each only
 * after the previous one arrived, while CPU 1 spins with interrupts enabled (phase 1) and while
 * it sits in HLT (phase 2, the GA log wake-up); with both vCPUs pinned to one host CPU (the
 * test's cpus=), CPU 1 is scheduled out while the boot CPU raises. After each phase it prints
 * CPU 1's IRTE counters (op COUNTER) for tests/qemu/iommu.py. Needs 2 CPUs and doorbell. */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/smp.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "device_irq";

#define TARGET_CPU         1
#define DEVICE_VECTOR      0x61
#define INTERRUPTS         20       /* per phase */
#define ARRIVAL_TIMEOUT_US 10000000 /* TCG on a loaded host: seconds pass between slices */
#define HALT_SETTLE_US     2000     /* for the target to reach HLT again after its handler */
#define WAIT_US            20000000

enum mode { SPIN, HALT, DONE };
static const char *const mode_names[] = {"running", "halted"};

static volatile enum mode mode;
static volatile uint32_t received, elsewhere;
static volatile uint32_t halting; /* set by the target just before each HLT */
static volatile uint32_t started; /* set by the target once it runs its loop */

static void device_interrupt(struct trap_frame *f)
{
	(void)f;
	if (smp_cpu_index() != TARGET_CPU)
		__atomic_fetch_add(&elsewhere, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&received, 1, __ATOMIC_RELEASE);
	apic_eoi();
}

static void target(unsigned cpu)
{
	(void)cpu;
	sti();
	started = 1;
	for (;;) {
		enum mode m = mode;
		if (m == DONE)
			break;
		if (m == HALT) {
			/* HLT right after STI: an interrupt between the flag and HLT ends the HLT
			 */
			halting = 1;
			__asm__ volatile("hlt" ::: "memory");
		}
	}
	cli();
}

static long counter(unsigned which)
{
	return doorbell_hypercall(HC_TEST_DEVICE_IRQ, HC_DEVICE_IRQ_COUNTER, which, 0);
}

/* Raises INTERRUPTS edu interrupts, each after the previous one arrived; returns how many
 * arrived. In HALT mode each waits until the target is back in HLT. */
static uint32_t raise_all(enum mode m)
{
	uint32_t base = received;
	for (uint32_t i = 0; i < INTERRUPTS; i++) {
		if (m == HALT) {
			uint64_t deadline = tsc_deadline(ARRIVAL_TIMEOUT_US);
			while (!__atomic_exchange_n(&halting, 0, __ATOMIC_ACQ_REL) &&
			       !tsc_expired(deadline))
				;
			tsc_delay_us(HALT_SETTLE_US);
		}
		if (doorbell_hypercall(HC_TEST_DEVICE_IRQ, HC_DEVICE_IRQ_RAISE, 0, 0) != HC_OK)
			break;
		uint64_t deadline = tsc_deadline(ARRIVAL_TIMEOUT_US);
		while (__atomic_load_n(&received, __ATOMIC_ACQUIRE) - base < i + 1 &&
		       !tsc_expired(deadline))
			;
		if (received - base < i + 1)
			break; /* lost: the next ones would only blur the count */
	}
	return received - base;
}

void guest_main(const struct multiboot_info *mbi)
{
	(void)mbi;
	if (!test_check(doorbell_present(), "running under doorbell"))
		return;
	idt_set_handler(DEVICE_VECTOR, device_interrupt);
	long bound =
	    doorbell_hypercall(HC_TEST_DEVICE_IRQ, HC_DEVICE_IRQ_BIND, TARGET_CPU, DEVICE_VECTOR);
	if (!test_check(bound == HC_OK,
	                "edu's MSI bound to CPU %u, vector 0x%x (iommu-test=edu-irq)", TARGET_CPU,
	                DEVICE_VECTOR))
		return;
	printf("info: edu's MSI goes to CPU %u through a %s IRTE\n", TARGET_CPU,
	       counter(HC_DEVICE_IRQ_GUEST_MODE) ? "guest-mode" : "remapped");
	mode = SPIN;
	unsigned n = smp_start_all(target);
	/* phase 1 is about a running target: not one still halted in the runtime's idle loop */
	uint64_t deadline = tsc_deadline(WAIT_US);
	while (!started && !tsc_expired(deadline))
		;
	if (!test_check(n > TARGET_CPU && started, "%u CPUs online, the target started", n))
		return;
	for (enum mode m = SPIN; m <= HALT; m++) {
		mode = m;
		uint32_t got = raise_all(m);
		test_check(got == INTERRUPTS,
		           "target %s: %u of %u edu interrupts arrived, none lost", mode_names[m],
		           got, INTERRUPTS);
		printf(
		    "info: phase %u: vcpu %u irte_sched_in=%ld irte_sched_out=%ld ga_log_wake=%ld "
		    "irq_remapped=%ld bogus_tags=%ld\n",
		    m + 1, TARGET_CPU, counter(HC_DEVICE_IRQ_IRTE_SCHED_IN),
		    counter(HC_DEVICE_IRQ_IRTE_SCHED_OUT), counter(HC_DEVICE_IRQ_GA_LOG_WAKE),
		    counter(HC_DEVICE_IRQ_IRQ_REMAPPED), counter(HC_DEVICE_IRQ_BOGUS_TAGS));
	}
	mode = DONE;
	/* a HLTed target needs an interrupt to see DONE */
	doorbell_hypercall(HC_TEST_DEVICE_IRQ, HC_DEVICE_IRQ_RAISE, 0, 0);
	test_check(smp_wait_all(WAIT_US), "the target CPU returned");
	test_check(elsewhere == 0, "every interrupt arrived on CPU %u", TARGET_CPU);
}
