#include "guests/lib/smp.h"
#include "guests/lib/apic.h"
#include "guests/lib/fwcfg.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"
#include "kernel/string.h"

_Static_assert(SMP_AP_STACK_SIZE == 1 << 14, "trampoline.S shifts the index by 14");

#define INIT_DELAY_US      10000 /* after INIT (SDM vol. 3, 8.4.4.1) */
#define SIPI_DELAY_US      200   /* between the two SIPIs */
#define ARRIVAL_TIMEOUT_US 2000000

extern const char trampoline_start[], trampoline_end[];

/* Read by trampoline.S: the next index to hand out, and the stacks (index 0 is the boot CPU,
 * which has its own). */
volatile uint32_t smp_next_index = 1;
uint8_t smp_ap_stacks[(SMP_MAX_CPUS - 1) * SMP_AP_STACK_SIZE] __attribute__((aligned(16)));

static uint32_t apic_ids[SMP_MAX_CPUS];
static unsigned online = 1; /* CPUs that reached smp_ap_main, plus the boot CPU */
static unsigned arrived;    /* other CPUs that reached smp_ap_main */
static unsigned generation; /* bumped by each smp_start_all() */
static unsigned finished;   /* other CPUs done with the current generation */
static smp_fn work;
static bool started;

static void wake_interrupt(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
}

/* An idle CPU halts rather than spins, so that it leaves the host (or the emulator's threads) to
 * the CPUs that work. The generation is tested with IF clear and STI;HLT follows: the wake-up IPI
 * of smp_start_all() cannot slip in between. */
NORETURN void smp_ap_main(unsigned cpu)
{
	idt_load();
	apic_enable();
	apic_ids[cpu] = apic_id();
	unsigned seen = 0;
	__atomic_fetch_add(&arrived, 1, __ATOMIC_RELEASE);
	for (;;) {
		cli();
		while (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) == seen) {
			sti_hlt();
			cli();
		}
		sti();
		seen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
		work(cpu);
		__atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE);
	}
}

unsigned smp_init(void)
{
	if (started)
		return online;
	started = true;
	apic_ids[0] = apic_id();
	idt_set_handler(SMP_WAKE_VECTOR, wake_interrupt);
	unsigned want = fwcfg_cpu_count();
	if (want > SMP_MAX_CPUS)
		want = SMP_MAX_CPUS;
	if (want == 1)
		return online;
	memcpy((void *)SMP_TRAMPOLINE_ADDR, trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	/* INIT, then two SIPIs, to all other CPUs: the universal start-up algorithm of SDM vol. 3,
	 * 8.4.4.1. A CPU that started on the first SIPI ignores the second. */
	apic_send_ipi(0, APIC_ICR_ALL_EXCLUDING | APIC_ICR_ASSERT | APIC_ICR_INIT);
	tsc_delay_us(INIT_DELAY_US);
	for (int i = 0; i < 2; i++) {
		apic_send_ipi(0, APIC_ICR_ALL_EXCLUDING | APIC_ICR_ASSERT | APIC_ICR_STARTUP |
		                     (SMP_TRAMPOLINE_ADDR >> 12));
		tsc_delay_us(SIPI_DELAY_US);
	}
	uint64_t deadline = tsc_deadline(ARRIVAL_TIMEOUT_US);
	while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < want - 1 && !tsc_expired(deadline))
		pause();
	online = 1 + __atomic_load_n(&arrived, __ATOMIC_ACQUIRE);
	if (online != want)
		printf("smp: only %u of %u CPUs started\n", online, want);
	return online;
}

unsigned smp_start_all(smp_fn fn)
{
	smp_init();
	work = fn;
	__atomic_store_n(&finished, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&generation, 1, __ATOMIC_RELEASE);
	if (online > 1)
		apic_send_ipi(0, APIC_ICR_ALL_EXCLUDING | APIC_ICR_FIXED | SMP_WAKE_VECTOR);
	return online;
}

bool smp_wait_all(uint64_t timeout_us)
{
	uint64_t deadline = tsc_deadline(timeout_us);
	while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < online - 1)
		if (tsc_expired(deadline))
			return false;
		else
			pause();
	return true;
}

unsigned smp_cpu_count(void)
{
	return online;
}

unsigned smp_cpu_index(void)
{
	uint32_t id = apic_id();
	for (unsigned i = 0; i < online; i++)
		if (apic_ids[i] == id)
			return i;
	return 0;
}

uint32_t smp_apic_id(unsigned cpu)
{
	return cpu < SMP_MAX_CPUS ? apic_ids[cpu] : 0;
}
