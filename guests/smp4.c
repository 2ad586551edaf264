/* Starts every CPU with INIT-SIPI-SIPI (guests/lib/smp.c); each does a bounded amount of work and
 * increments a shared counter with a locked add. The boot CPU waits with a timeout and checks that
 * all arrived, each once, on its own stack and APIC ID, and that no locked increment was lost.
 * cpus= on the command line states the expected CPU count (default: fw_cfg's). */
#include "guests/lib/apic.h"
#include "guests/lib/fwcfg.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/smp.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"

const char guest_name[] = "smp4";

#define INCREMENTS 100000 /* per CPU */
#define WAIT_US    20000000

static uint32_t counter;      /* incremented INCREMENTS times by each CPU */
static uint32_t arrived;      /* CPUs that finished */
static uint32_t arrival_mask; /* bit per CPU index */
static uint32_t index_ok;     /* CPUs whose smp_cpu_index() matched their index */
static uintptr_t stack_of[SMP_MAX_CPUS];

static void work(unsigned cpu)
{
	int local;
	stack_of[cpu] = (uintptr_t)&local;
	if (smp_cpu_index() == cpu)
		__atomic_fetch_add(&index_ok, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < INCREMENTS; i++)
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED); /* LOCK XADD */
	__atomic_fetch_or(&arrival_mask, 1u << cpu, __ATOMIC_RELAXED);
	__atomic_fetch_add(&arrived, 1, __ATOMIC_RELEASE);
}

static bool distinct_apic_ids(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (smp_apic_id(i) == smp_apic_id(j))
				return false;
	return true;
}

static bool separate_stacks(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++) {
			uintptr_t a = stack_of[i], b = stack_of[j];
			if ((a > b ? a - b : b - a) < SMP_AP_STACK_SIZE / 2)
				return false;
		}
	return true;
}

void guest_main(const struct multiboot_info *mbi)
{
	unsigned expected = multiboot_cmdline_uint(mbi, "cpus", fwcfg_cpu_count());
	unsigned n = smp_start_all(work);
	test_check(n == expected, "%u CPUs online", expected);
	work(0);
	uint64_t deadline = tsc_deadline(WAIT_US);
	while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < n && !tsc_expired(deadline))
		;
	test_check(arrived == n, "all %u CPUs arrived within %u s", n, WAIT_US / 1000000);
	test_check(arrival_mask == (1u << n) - 1, "each CPU index arrived exactly once");
	test_check(counter == n * INCREMENTS, "locked counter: %u increments, none lost",
	           n * INCREMENTS);
	test_check(index_ok == n, "smp_cpu_index() finds each CPU by its APIC ID");
	test_check(distinct_apic_ids(n), "APIC IDs are distinct");
	test_check(separate_stacks(n), "each CPU runs on its own stack");
	test_check(smp_wait_all(WAIT_US), "every CPU returned from its work");
	for (unsigned i = 0; i < n; i++)
		printf("info: CPU %u has APIC ID %u\n", i, smp_apic_id(i));
}
