#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/lapic.h"
#include "kernel/paging.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

#define KERNEL_STACK_PAGES 8
#define IST_STACK_PAGES 2
/* Real CPUs answer in microseconds; QEMU's TCG threads on a loaded host were seen to need more
 * than 200 ms, and a CPU missing from the host leaves every VM pinned to it unstarted. */
#define AP_START_TIMEOUT_US 2000000

extern char trampoline_start[], trampoline_end[];
extern uint64_t trampoline_cr3, trampoline_stack, trampoline_percpu, trampoline_entry;

struct percpu *percpu_by_index[MAX_CPUS];
unsigned cpu_count;
void (*smp_ap_main)(void);

void percpu_install(struct percpu *p)
{
	p->self = p;
	wrmsr(MSR_GS_BASE, (uintptr_t)p);
}

struct percpu *smp_percpu_setup(unsigned index, uint32_t apic_id)
{
	uint64_t pa = frame_alloc_pages(ALIGN_UP(sizeof(struct percpu), PAGE_SIZE) / PAGE_SIZE,
					PAGE_SIZE, 0);
	if (!pa)
		panic("smp: no memory for CPU %u's per-CPU area", index);
	struct percpu *p = (struct percpu *)(uintptr_t)pa;
	memset(p, 0, sizeof(*p));
	p->self = p;
	p->index = index;
	p->apic_id = apic_id;
	p->stack_top = stack_alloc(KERNEL_STACK_PAGES);
	for (unsigned i = 0; i < IST_COUNT; i++)
		p->tss.ist[i] = stack_alloc(IST_STACK_PAGES);
	percpu_by_index[index] = p;
	return p;
}

static void smp_call_interrupt(struct trap_frame *f)
{
	(void)f;
	struct percpu *p = this_cpu();
	void (*fn)(void *) = p->call_fn;
	if (fn) {
		p->call_fn = NULL;
		fn(p->call_arg);
		__atomic_store_n(&p->call_done, 1, __ATOMIC_RELEASE);
	}
}

void smp_call(unsigned index, void (*fn)(void *), void *arg)
{
	struct percpu *p = percpu_by_index[index];
	if (p == this_cpu()) {
		fn(arg);
		return;
	}
	/* one call in flight per target CPU: callers serialise on the mailbox */
	while (!__atomic_compare_exchange_n(&p->call_done, &(uint32_t){1}, 0, false,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		cpu_relax();
	p->call_arg = arg;
	__atomic_store_n(&p->call_fn, fn, __ATOMIC_RELEASE);
	lapic_send_ipi(p->apic_id, VECTOR_CALL);
	while (!__atomic_load_n(&p->call_done, __ATOMIC_ACQUIRE))
		cpu_relax();
}

NORETURN void smp_ap_entry(struct percpu *p);

#define CPUID_1_EDX_MCE BIT(7)

static void cpu_control_init(struct percpu *p)
{
	uint64_t cr0 = read_cr0();
	p->cr0_at_start = cr0;
	if (cr0 & (CR0_CD | CR0_NW))
		write_cr0(cr0 & ~(CR0_CD | CR0_NW)); /* caches empty since INIT: nothing to flush */
	if (cpuid(1, 0).edx & CPUID_1_EDX_MCE)
		write_cr4(read_cr4() | CR4_MCE);
	p->cr0 = read_cr0();
	p->cr4 = read_cr4();
}

void smp_cpu_control_init(void)
{
	cpu_control_init(this_cpu());
}

NORETURN void smp_ap_entry(struct percpu *p)
{
	if (__atomic_load_n(&p->abandoned, __ATOMIC_ACQUIRE))
		panic_park(); /* came up after smp_boot() gave up on it: stay out of the way */
	cpu_control_init(p);
	desc_init_cpu(&p->gdt, &p->tss);
	percpu_install(p);
	lapic_init();
	p->call_done = 1;
	if (lapic_id() != p->apic_id)
		pr_warn("smp: CPU %u reports APIC ID %u, MADT says %u\n", p->index, lapic_id(),
			p->apic_id);
	__atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
	if (smp_ap_main)
		smp_ap_main();
	for (;;) {
		irq_enable();
		halt();
	}
}

static bool smp_start_one(struct percpu *p, uint64_t trampoline)
{
	uint8_t *t = (uint8_t *)(uintptr_t)trampoline;
	size_t size = (size_t)(trampoline_end - trampoline_start);
	memcpy(t, trampoline_start, size);
	*(uint64_t *)(t + ((char *)&trampoline_cr3 - trampoline_start)) = paging_root();
	*(uint64_t *)(t + ((char *)&trampoline_stack - trampoline_start)) = p->stack_top;
	*(uint64_t *)(t + ((char *)&trampoline_percpu - trampoline_start)) = (uintptr_t)p;
	*(uint64_t *)(t + ((char *)&trampoline_entry - trampoline_start)) = (uintptr_t)smp_ap_entry;
	__asm__ volatile("mfence" ::: "memory");

	/* INIT, 10 ms, SIPI, 200 us, SIPI (the universal start-up algorithm, SDM vol. 3 §8.4.4) */
	lapic_send_init(p->apic_id);
	timer_delay_us(10000);
	for (unsigned sipi = 0; sipi < 2; sipi++) {
		lapic_send_sipi(p->apic_id, (uint8_t)(trampoline >> 12));
		uint64_t deadline = timer_now_us() + (sipi ? AP_START_TIMEOUT_US : 200);
		while (timer_now_us() < deadline) {
			if (__atomic_load_n(&p->online, __ATOMIC_ACQUIRE))
				return true;
			cpu_relax();
		}
	}
	return false;
}

/* Every online CPU's CR0 and CR4 checked, not assumed: one line for the boot log. */
static void smp_report_control(void)
{
	unsigned uncached_at_start = 0, bad = 0, n = 0;
	bool mce = cpuid(1, 0).edx & CPUID_1_EDX_MCE;
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct percpu *p = percpu_by_index[i];
		if (!p || !p->online)
			continue;
		n++;
		uncached_at_start += !!(p->cr0_at_start & (CR0_CD | CR0_NW));
		if ((p->cr0 & (CR0_CD | CR0_NW)) || (mce && !(p->cr4 & CR4_MCE))) {
			pr_err("smp: CPU %u runs with CR0 0x%lx CR4 0x%lx: caching off or CR4.MCE "
			       "clear\n",
			       p->index, p->cr0, p->cr4);
			bad++;
		}
	}
	if (!bad)
		printk("smp: caches on (CR0.CD=NW=0) on all %u CPUs, %u of them started with CD/NW "
		       "set; CR4.MCE %s\n",
		       n, uncached_at_start, mce ? "set" : "not offered by the CPU");
}

unsigned smp_boot(const struct acpi_info *acpi, uint64_t trampoline, unsigned max_cpus)
{
	trap_set_handler(VECTOR_CALL, smp_call_interrupt);
	paging_allow_exec(trampoline);
	struct percpu *bsp = this_cpu();
	bsp->call_done = 1;
	cpu_count = 1;
	bsp->online = true;
	unsigned skipped = 0, failed = 0, over_limit = 0;
	for (unsigned i = 0; i < acpi->cpu_count; i++) {
		const struct acpi_cpu *c = &acpi->cpu[i];
		if (!c->enabled || c->apic_id == bsp->apic_id)
			continue;
		if (cpu_count >= MAX_CPUS) {
			over_limit++;
			continue;
		}
		if (max_cpus && cpu_count >= max_cpus) {
			skipped++;
			continue;
		}
		struct percpu *p = smp_percpu_setup(cpu_count, c->apic_id);
		if (smp_start_one(p, trampoline)) {
			printk("smp: CPU %u online, APIC ID %u\n", p->index, p->apic_id);
			cpu_count++;
		} else {
			pr_err("smp: CPU with APIC ID %u did not come up within %u ms; continuing "
			       "without it\n",
			       c->apic_id, AP_START_TIMEOUT_US / 1000);
			__atomic_store_n(&p->abandoned, true, __ATOMIC_RELEASE);
			percpu_by_index[p->index] = NULL;
			failed++;
		}
	}
	if (skipped)
		printk("smp: %u CPU(s) left offline by cpus=%u\n", skipped, max_cpus);
	if (over_limit)
		pr_warn("smp: %u CPU(s) left offline: doorbell runs at most %u CPUs (MAX_CPUS, "
		        "kernel/percpu.h)\n",
		        over_limit, MAX_CPUS);
	if (failed)
		pr_err("smp: %u CPU(s) failed to start\n", failed);
	smp_report_control();
	return cpu_count;
}
