/* Interprocessor interrupts through the local APIC, each delivery mode and destination form sent
 * by the boot CPU to targets that are running (spinning with interrupts enabled) and to targets
 * that are halted (in HLT): physical unicast and broadcast, logical flat and cluster, the
 * all-including-self / all-excluding-self / self shorthands, lowest priority, NMI; TPR masking;
 * in-service ordering and EOI with nested priorities; and the timer (one-shot and periodic) on
 * every CPU. Needs 4 CPUs. One check per case; every check compares the exact number of
 * interrupts each CPU took with the number the case should deliver.
 *
 * With x2apic=1 every CPU runs its APIC in x2APIC mode (SDM vol. 3, 10.12) and the cases are sent
 * in x2APIC form: 32-bit destinations, broadcast 0xffffffff, logical destinations in the cluster
 * form derived from the x2APIC ID (lowest priority and the flat model are xAPIC only), the SELF
 * IPI MSR; plus the registers that change meaning: the ID and LDR MSRs, the #GP of a write to the
 * read-only LDR, of the ICR high half and DFR (no MSRs of their own) and of a non-zero EOI. QEMU's
 * TCG has no x2APIC: there the first check (x2APIC mode entered) fails and the run ends. */
#include "guests/lib/apic.h"
#include "guests/lib/idt.h"
#include "guests/lib/msr.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/smp.h"
#include "guests/lib/test.h"
#include "guests/lib/timer_check.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"
#include "kernel/format.h"

const char guest_name[] = "ipi";

#define CPUS_NEEDED 4
#define VEC_TEST    0x50
#define VEC_TPR_BLOCKED                                                                            \
	0x55 /* class 5: held back by TPR 0x50 (delivery needs class > TPR class)                  \
	      */
#define VEC_TPR_PASSES      0x65 /* class 6 */
#define TPR_TEST            0x50
#define VEC_LOW             0x41 /* nested-priority vectors: classes 4, 8 and 3 */
#define VEC_HIGH            0x81
#define VEC_LOWER           0x35
#define VEC_WAKE            0xf0 /* ends a phase; above any TPR this guest sets */
#define PHYSICAL_BROADCAST  0xff
#define DELIVERY_TIMEOUT_US 2000000
#define SETTLE_US           5000 /* after the expected deliveries, time for unexpected ones */
#define HALT_SETTLE_US      2000 /* for targets to reach HLT */
#define PHASE_TIMEOUT_US    5000000
#define ONESHOT_US          10000
#define PERIOD_US           10000
#define PERIODIC_TICKS      10

enum mode { RUNNING, HALTED };
static const char *const mode_names[] = {"running", "halted"};

static uint32_t received[SMP_MAX_CPUS][IDT_VECTORS];
static unsigned cpus;

/* The phase protocol: every other CPU configures its APIC (setup), reports ready, then spins or
 * halts until stop is set and a VEC_WAKE arrives. A CPU applies its tpr_request on each wake. */
static volatile enum mode phase_mode;
static volatile uint32_t phase_stop, phase_ready;
static void (*volatile phase_setup)(unsigned cpu);
static volatile uint32_t tpr_request[SMP_MAX_CPUS];

static void count_interrupt(struct trap_frame *f)
{
	received[smp_cpu_index()][f->vector]++;
	apic_eoi();
}

/* NMIs have no EOI (SDM vol. 3, 10.8.5: the EOI is for fixed, lowest-priority and ExtINT). */
static void count_nmi(struct trap_frame *f)
{
	received[smp_cpu_index()][f->vector]++;
}

static void apply_tpr(unsigned cpu, uint32_t *current)
{
	uint32_t want = tpr_request[cpu];
	if (want != *current) {
		apic_set_tpr(want);
		*current = want;
	}
}

static void ap_phase(unsigned cpu)
{
	uint32_t tpr = 0;
	if (phase_setup)
		phase_setup(cpu);
	apic_set_tpr(0);
	apply_tpr(cpu, &tpr);
	cli();
	__atomic_fetch_add(&phase_ready, 1, __ATOMIC_RELEASE);
	if (phase_mode == RUNNING) {
		sti();
		while (!phase_stop) {
			apply_tpr(cpu, &tpr);
			pause();
		}
		cli();
	} else {
		/* tested with IF clear, then STI;HLT: a wake-up cannot slip in between */
		while (!phase_stop) {
			apply_tpr(cpu, &tpr);
			sti_hlt();
			cli();
		}
	}
	apic_set_tpr(0);
}

static void clear_received(void)
{
	for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
		for (unsigned v = 0; v < IDT_VECTORS; v++)
			received[c][v] = 0;
}

static void begin_phase(enum mode mode, void (*setup)(unsigned cpu))
{
	phase_mode = mode;
	phase_setup = setup;
	phase_stop = 0;
	phase_ready = 0;
	clear_received();
	if (setup)
		setup(0);
	smp_start_all(ap_phase);
	uint64_t deadline = tsc_deadline(PHASE_TIMEOUT_US);
	while (__atomic_load_n(&phase_ready, __ATOMIC_ACQUIRE) < cpus - 1)
		if (tsc_expired(deadline))
			test_abort("the other CPUs did not start the phase");
	if (mode == HALTED)
		tsc_delay_us(HALT_SETTLE_US);
}

static void end_phase(void)
{
	phase_stop = 1;
	apic_send_ipi(0, APIC_ICR_ALL_EXCLUDING | APIC_ICR_FIXED | VEC_WAKE);
	if (!smp_wait_all(PHASE_TIMEOUT_US))
		test_abort("the other CPUs did not end the phase");
}

static uint32_t mask_of(unsigned vector)
{
	uint32_t mask = 0;
	for (unsigned c = 0; c < cpus; c++)
		if (received[c][vector])
			mask |= 1u << c;
	return mask;
}

/* Waits (interrupts enabled, as the boot CPU may be a target) until every CPU in want took vector,
 * then SETTLE_US more for deliveries that should not happen. True when each CPU in want took it
 * exactly once and no other CPU took it. Clears the counts of vector. */
static bool delivered(unsigned vector, uint32_t want)
{
	uint64_t deadline = tsc_deadline(DELIVERY_TIMEOUT_US);
	sti();
	while ((mask_of(vector) & want) != want && !tsc_expired(deadline))
		pause();
	tsc_delay_us(SETTLE_US);
	cli();
	bool ok = mask_of(vector) == want;
	for (unsigned c = 0; c < cpus; c++) {
		ok &= received[c][vector] <= 1;
		received[c][vector] = 0;
	}
	if (!ok)
		printf("info: vector 0x%x: CPUs 0x%x took it, expected 0x%x\n", vector,
		       mask_of(vector), want);
	if (phase_mode == HALTED)
		tsc_delay_us(HALT_SETTLE_US); /* the targets halt again before the next case */
	return ok;
}

/* For lowest priority: exactly one CPU of the set takes the vector once. */
static bool delivered_one_of(unsigned vector, uint32_t set)
{
	uint64_t deadline = tsc_deadline(DELIVERY_TIMEOUT_US);
	sti();
	while (!mask_of(vector) && !tsc_expired(deadline))
		pause();
	cli();
	uint32_t took = mask_of(vector);
	bool one = took && !(took & (took - 1)) && (took & set) == took;
	return delivered(vector, took) && one;
}

static uint32_t all_cpus(void)
{
	return (1u << cpus) - 1;
}

/* Logical flat model: one LDR bit per CPU (SDM vol. 3, 10.6.2.2). */
static void setup_flat(unsigned cpu)
{
	apic_write(APIC_DFR, APIC_DFR_FLAT);
	apic_write(APIC_LDR, (1u << cpu) << 24);
}

/* Logical cluster model: cluster cpu / 2, member bit cpu % 2 (CPUs 0,1 in cluster 0; 2,3 in 1). */
static uint32_t cluster_id(unsigned cpu)
{
	return (cpu / 2) << 4 | 1u << (cpu % 2);
}

static void setup_cluster(unsigned cpu)
{
	apic_write(APIC_DFR, APIC_DFR_CLUSTER);
	apic_write(APIC_LDR, cluster_id(cpu) << 24);
}

/* Starts a phase, then physical unicast to each other CPU and the physical broadcast (0xff in
 * xAPIC mode, 0xffffffff in x2APIC mode). Returns the mode's name for the checks. */
static const char *physical_cases(enum mode mode, void (*setup)(unsigned cpu), uint32_t broadcast)
{
	const char *m = mode_names[mode];
	begin_phase(mode, setup);
	for (unsigned k = 1; k < cpus; k++) {
		apic_send_ipi(smp_apic_id(k), APIC_ICR_FIXED | VEC_TEST);
		test_check(delivered(VEC_TEST, 1u << k), "fixed, physical, to CPU %u (%s)", k, m);
	}
	apic_send_ipi(broadcast, APIC_ICR_FIXED | VEC_TEST);
	test_check(delivered(VEC_TEST, all_cpus()), "fixed, physical broadcast 0x%x (%s)",
	           broadcast, m);
	return m;
}

static void shorthand_cases(const char *m)
{
	apic_send_ipi(0, APIC_ICR_ALL_INCLUDING | APIC_ICR_FIXED | VEC_TEST);
	test_check(delivered(VEC_TEST, all_cpus()), "fixed, all including self (%s)", m);
	apic_send_ipi(0, APIC_ICR_ALL_EXCLUDING | APIC_ICR_FIXED | VEC_TEST);
	test_check(delivered(VEC_TEST, all_cpus() & ~1u), "fixed, all excluding self (%s)", m);
}

static void nmi_cases(const char *m)
{
	for (unsigned k = 1; k < cpus; k++) {
		apic_send_ipi(smp_apic_id(k), APIC_ICR_NMI);
		test_check(delivered(VEC_NMI, 1u << k), "NMI, physical, to CPU %u (%s)", k, m);
	}
}

static void tpr_cases(const char *m)
{
	/* TPR: CPU 1 raises its TPR to 0x50, which holds back class 5 and lets class 6 through;
	 * when it lowers the TPR (on the VEC_WAKE sent for that), the held-back vector arrives. */
	tpr_request[1] = TPR_TEST;
	apic_send_ipi(smp_apic_id(1), APIC_ICR_FIXED | VEC_WAKE);
	delivered(VEC_WAKE, 1u << 1);
	apic_send_ipi(smp_apic_id(1), APIC_ICR_FIXED | VEC_TPR_BLOCKED);
	test_check(delivered(VEC_TPR_BLOCKED, 0), "TPR 0x50 holds back vector 0x55 (%s)", m);
	apic_send_ipi(smp_apic_id(1), APIC_ICR_FIXED | VEC_TPR_PASSES);
	test_check(delivered(VEC_TPR_PASSES, 1u << 1), "TPR 0x50 lets vector 0x65 through (%s)", m);
	tpr_request[1] = 0;
	apic_send_ipi(smp_apic_id(1), APIC_ICR_FIXED | VEC_WAKE);
	test_check(delivered(VEC_TPR_BLOCKED, 1u << 1),
	           "vector 0x55 arrives once the TPR is back to 0 (%s)", m);
}

static void flat_cases(enum mode mode)
{
	const char *m = physical_cases(mode, setup_flat, PHYSICAL_BROADCAST);

	apic_send_ipi(0x0a, APIC_ICR_FIXED | APIC_ICR_LOGICAL | VEC_TEST);
	test_check(delivered(VEC_TEST, 0x0a), "fixed, logical flat 0x0a to CPUs 1,3 (%s)", m);
	apic_send_ipi(0x05, APIC_ICR_FIXED | APIC_ICR_LOGICAL | VEC_TEST);
	test_check(delivered(VEC_TEST, 0x05), "fixed, logical flat 0x05 to CPUs 0,2 (%s)", m);

	shorthand_cases(m);

	/* Which CPU of the set takes a lowest-priority interrupt is model specific (SDM vol. 3,
	 * 10.6.2.4); exactly one must. */
	apic_send_ipi(0x0e, APIC_ICR_LOWEST | APIC_ICR_LOGICAL | VEC_TEST);
	test_check(delivered_one_of(VEC_TEST, 0x0e),
	           "lowest priority, logical 0x0e: exactly one of CPUs 1-3 (%s)", m);

	nmi_cases(m);
	tpr_cases(m);
	end_phase();
}

static void cluster_cases(enum mode mode)
{
	const char *m = mode_names[mode];
	begin_phase(mode, setup_cluster);
	apic_send_ipi(0x13, APIC_ICR_FIXED | APIC_ICR_LOGICAL | VEC_TEST);
	test_check(delivered(VEC_TEST, 0x0c), "fixed, logical cluster 0x13 to CPUs 2,3 (%s)", m);
	apic_send_ipi(0x02, APIC_ICR_FIXED | APIC_ICR_LOGICAL | VEC_TEST);
	test_check(delivered(VEC_TEST, 0x02), "fixed, logical cluster 0x02 to CPU 1 (%s)", m);
	apic_send_ipi(0x11, APIC_ICR_FIXED | APIC_ICR_LOGICAL | VEC_TEST);
	test_check(delivered(VEC_TEST, 0x04), "fixed, logical cluster 0x11 to CPU 2 (%s)", m);
	end_phase();
	setup_flat(0);
}

static void self_case(void)
{
	apic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_FIXED | VEC_TEST);
	test_check(delivered(VEC_TEST, 1), "fixed, self shorthand");
	apic_send_ipi(smp_apic_id(0), APIC_ICR_FIXED | VEC_TEST);
	test_check(delivered(VEC_TEST, 1), "fixed, physical to its own APIC ID");
}

/* ---- x2APIC mode ---- */

#define X2APIC_MSR_ID       APIC_X2APIC_MSR(APIC_ID)
#define X2APIC_MSR_EOI      APIC_X2APIC_MSR(APIC_EOI)
#define X2APIC_MSR_LDR      APIC_X2APIC_MSR(APIC_LDR)
#define X2APIC_MSR_DFR      APIC_X2APIC_MSR(APIC_DFR)
#define X2APIC_MSR_ICR_HIGH APIC_X2APIC_MSR(APIC_ICR_HIGH)
#define X2APIC_CLUSTER      (1u << 16) /* one cluster up in an x2APIC logical destination */
#define CPUID_TOPOLOGY      0xb        /* EDX: this CPU's x2APIC ID (SDM vol. 2, CPUID leaf 0BH) */

struct x2apic_identity {
	uint64_t base, id, ldr;
	uint32_t topology_id;
};
static struct x2apic_identity identity[SMP_MAX_CPUS];

static void record_identity(unsigned cpu)
{
	identity[cpu] = (struct x2apic_identity){.base = rdmsr(MSR_IA32_APIC_BASE),
	                                         .id = rdmsr(X2APIC_MSR_ID),
	                                         .ldr = rdmsr(X2APIC_MSR_LDR),
	                                         .topology_id = cpuid(CPUID_TOPOLOGY, 0).edx};
}

/* Each CPU reads its own ID and LDR MSRs. Under doorbell the x2APIC ID of a vCPU is its index, so
 * the four IDs are 0-3 in some order (the guest numbers its CPUs in the order they start). */
static void x2apic_identity_cases(void)
{
	uint32_t ids = 0;
	begin_phase(RUNNING, record_identity);
	end_phase();
	for (unsigned k = 0; k < cpus; k++) {
		const struct x2apic_identity *c = &identity[k];
		uint64_t mode = APIC_BASE_ENABLE | APIC_BASE_EXTD;
		test_check((c->base & mode) == mode, "CPU %u: IA32_APIC_BASE has EN and EXTD set",
		           k);
		test_check(c->id == c->topology_id && c->id == smp_apic_id(k),
		           "CPU %u: ID MSR 0x802 is its x2APIC ID (CPUID.0BH:EDX %u)", k,
		           c->topology_id);
		test_check(c->ldr == apic_x2apic_logical_id((uint32_t)c->id),
		           "CPU %u: LDR MSR 0x80d is cluster id >> 4, bit 1 << (id & 15)", k);
		if (c->id < 32)
			ids |= 1u << c->id;
	}
	test_check(ids == all_cpus(), "x2APIC IDs are the vCPU indexes 0-%u", cpus - 1);

	/* SDM vol. 3, 10.12.1.2 and table 10-6: LDR is read only, ICR is one 64-bit MSR (0x831 is
	 * no register), DFR does not exist, EOI takes only 0. Boot CPU, through the fixup. */
	uint64_t value;
	uint64_t ldr = rdmsr(X2APIC_MSR_LDR);
	test_check(msr_write_safe(X2APIC_MSR_LDR, ldr) == VEC_GP && rdmsr(X2APIC_MSR_LDR) == ldr,
	           "WRMSR to LDR (0x80d) raises #GP and leaves it unchanged");
	test_check(msr_read_safe(X2APIC_MSR_ICR_HIGH, &value) == VEC_GP,
	           "RDMSR of the ICR high half as MSR 0x831 raises #GP");
	test_check(msr_read_safe(X2APIC_MSR_DFR, &value) == VEC_GP,
	           "RDMSR of DFR (0x80e) raises #GP");
	test_check(msr_write_safe(X2APIC_MSR_EOI, 1) == VEC_GP,
	           "WRMSR of 1 to EOI (0x80b) raises #GP");
}

/* An x2APIC logical destination for the CPUs in cpu_mask, in the cluster of the first of them. */
static uint32_t logical_dest(uint32_t cpu_mask)
{
	uint32_t dest = 0;
	for (unsigned c = 0; c < cpus; c++)
		if (cpu_mask & 1u << c)
			dest |= apic_x2apic_logical_id(smp_apic_id(c));
	return dest;
}

static void x2apic_cases(enum mode mode)
{
	const char *m = physical_cases(mode, NULL, APIC_X2APIC_BROADCAST);

	/* Logical destinations: cluster in bits 31:16, members in 15:0 (SDM vol. 3, 10.12.10.2).
	 * The IDs 0-3 checked above are all in cluster 0. */
	for (unsigned k = 1; k < cpus; k++) {
		apic_send_ipi(logical_dest(1u << k), APIC_ICR_FIXED | APIC_ICR_LOGICAL | VEC_TEST);
		test_check(delivered(VEC_TEST, 1u << k), "fixed, logical cluster, to CPU %u (%s)",
		           k, m);
	}
	apic_send_ipi(logical_dest(0x0a), APIC_ICR_FIXED | APIC_ICR_LOGICAL | VEC_TEST);
	test_check(delivered(VEC_TEST, 0x0a), "fixed, logical cluster 0x%x to CPUs 1,3 (%s)",
	           logical_dest(0x0a), m);
	apic_send_ipi(logical_dest(0x0f), APIC_ICR_FIXED | APIC_ICR_LOGICAL | VEC_TEST);
	test_check(delivered(VEC_TEST, 0x0f), "fixed, logical cluster 0x%x to CPUs 0-3 (%s)",
	           logical_dest(0x0f), m);
	apic_send_ipi(logical_dest(0x0f) + X2APIC_CLUSTER,
	              APIC_ICR_FIXED | APIC_ICR_LOGICAL | VEC_TEST);
	test_check(delivered(VEC_TEST, 0), "fixed, logical 0x%x (the next cluster) to no CPU (%s)",
	           logical_dest(0x0f) + X2APIC_CLUSTER, m);

	shorthand_cases(m);
	nmi_cases(m);
	tpr_cases(m);
	end_phase();
}

/* Nested priorities on the boot CPU (SDM vol. 3, 10.8.3 to 10.8.5). */
enum event { LOW_ENTER = 1, HIGH, LOW_EOI, LOWER, LOW_EXIT };
static volatile uint32_t events[8];
static volatile unsigned event_count;
static volatile uint32_t ppr_in_low, ppr_in_high;
static volatile bool both_in_service, eoi_cleared_high_only, lower_held_in_irr;

static void log_event(enum event e)
{
	if (event_count < ARRAY_SIZE(events))
		events[event_count] = e;
	event_count++;
}

static void high_handler(struct trap_frame *f)
{
	(void)f;
	log_event(HIGH);
	ppr_in_high = apic_read(APIC_PPR);
	both_in_service = apic_isr_test(VEC_LOW) && apic_isr_test(VEC_HIGH);
	apic_eoi();
}

static void lower_handler(struct trap_frame *f)
{
	(void)f;
	log_event(LOWER);
	apic_eoi();
}

static void accept_for(uint64_t us)
{
	sti();
	tsc_delay_us(us);
	cli();
}

/* Runs with VEC_LOW in service: lets VEC_HIGH preempt it, then holds VEC_LOWER back until its own
 * EOI. */
static void low_handler(struct trap_frame *f)
{
	(void)f;
	log_event(LOW_ENTER);
	ppr_in_low = apic_read(APIC_PPR);
	apic_self_ipi(VEC_HIGH);
	accept_for(SETTLE_US);
	eoi_cleared_high_only = apic_isr_test(VEC_LOW) && !apic_isr_test(VEC_HIGH);
	apic_self_ipi(VEC_LOWER);
	accept_for(SETTLE_US);
	lower_held_in_irr = apic_irr_test(VEC_LOWER) && event_count == 2;
	log_event(LOW_EOI);
	apic_eoi();
	accept_for(SETTLE_US);
	log_event(LOW_EXIT);
}

static bool events_are(const uint32_t *want, unsigned n)
{
	if (event_count != n)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (events[i] != want[i])
			return false;
	return true;
}

static void nested_cases(void)
{
	idt_set_handler(VEC_LOW, low_handler);
	idt_set_handler(VEC_HIGH, high_handler);
	idt_set_handler(VEC_LOWER, lower_handler);

	event_count = 0;
	apic_self_ipi(VEC_LOW);
	accept_for(SETTLE_US);
	static const uint32_t nested[] = {LOW_ENTER, HIGH, LOW_EOI, LOWER, LOW_EXIT};
	test_check(events_are(nested, ARRAY_SIZE(nested)),
	           "nested: 0x81 preempts the 0x41 handler, 0x35 waits for its EOI");
	test_check(ppr_in_low == 0x40, "nested: PPR 0x40 while 0x41 is in service");
	test_check(ppr_in_high == 0x80, "nested: PPR 0x80 while 0x81 is in service");
	test_check(both_in_service, "nested: ISR holds 0x41 and 0x81 in the inner handler");
	test_check(eoi_cleared_high_only, "nested: EOI clears the highest in-service vector only");
	test_check(lower_held_in_irr, "nested: 0x35 stays in the IRR below the in-service 0x41");
	test_check(!apic_isr_test(VEC_LOW) && !apic_isr_test(VEC_HIGH) && !apic_isr_test(VEC_LOWER),
	           "nested: ISR empty after the last EOI");

	/* two pending at once: the higher class is delivered first */
	event_count = 0;
	apic_self_ipi(VEC_LOWER);
	apic_self_ipi(VEC_HIGH);
	test_check(apic_irr_test(VEC_LOWER) && apic_irr_test(VEC_HIGH),
	           "priority: 0x35 and 0x81 both pending in the IRR while IF = 0");
	accept_for(SETTLE_US);
	static const uint32_t by_priority[] = {HIGH, LOWER};
	test_check(events_are(by_priority, ARRAY_SIZE(by_priority)),
	           "priority: 0x81 delivered before 0x35");

	idt_set_handler(VEC_LOW, NULL);
	idt_set_handler(VEC_HIGH, NULL);
	idt_set_handler(VEC_LOWER, NULL);
}

/* The timer on each CPU in turn, so that the checks come out in the same order on every run. */
static volatile unsigned timer_cpu;

static void timer_on(unsigned cpu)
{
	char who[16];
	if (cpu != timer_cpu)
		return;
	format(who, sizeof(who), "CPU %u: ", cpu);
	timer_check_oneshot(who, ONESHOT_US);
	timer_check_periodic(who, PERIOD_US, PERIODIC_TICKS);
}

static void timer_cases(void)
{
	for (unsigned k = 0; k < cpus; k++) {
		timer_cpu = k;
		if (k == 0) {
			timer_on(0);
			continue;
		}
		smp_start_all(timer_on);
		if (!smp_wait_all(PHASE_TIMEOUT_US))
			test_abort("a CPU did not finish its timer checks");
	}
}

void guest_main(const struct multiboot_info *mbi)
{
	bool x2apic = multiboot_cmdline_uint(mbi, "x2apic", 0) != 0;
	/* before smp_init(), which then starts every other CPU in x2APIC mode */
	if (x2apic && !test_check(apic_enable_x2apic(), "x2APIC mode (CPUID.1:ECX[21], "
	                                                "IA32_APIC_BASE.EXTD) on the boot CPU"))
		test_done();
	idt_set_handler(VEC_TEST, count_interrupt);
	idt_set_handler(VEC_TPR_BLOCKED, count_interrupt);
	idt_set_handler(VEC_TPR_PASSES, count_interrupt);
	idt_set_handler(VEC_WAKE, count_interrupt);
	idt_set_handler(VEC_NMI, count_nmi);
	timer_check_init();
	cpus = smp_init();
	if (!test_check(cpus >= CPUS_NEEDED, "%u CPUs online", CPUS_NEEDED))
		test_done();
	cpus = CPUS_NEEDED; /* the cases below are written for CPUs 0-3 */
	if (x2apic) {
		x2apic_identity_cases();
		self_case();
		apic_self_ipi(VEC_TEST);
		test_check(delivered(VEC_TEST, 1), "fixed, SELF IPI MSR 0x83f");
		x2apic_cases(RUNNING);
		x2apic_cases(HALTED);
		nested_cases();
		timer_cases();
		return;
	}
	setup_flat(0);
	self_case();
	flat_cases(RUNNING);
	flat_cases(HALTED);
	cluster_cases(RUNNING);
	cluster_cases(HALTED);
	nested_cases();
	timer_cases();
}
