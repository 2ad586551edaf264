#include "kernel/panic.h"
#include "kernel/console.h"
#include "kernel/lapic.h"
#include "kernel/percpu.h"
#include "kernel/qemu.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

static volatile uint32_t panicking;

bool panic_in_progress(void)
{
	return panicking != 0;
}

NORETURN void panic_park(void)
{
	irq_disable();
	for (;;)
		halt();
}

void panic_begin(void)
{
	irq_disable();
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
		panic_park(); /* a second panic on another CPU: the first one reports */
	console_break_lock();
	/* NMI every other CPU we started: trap_dispatch() parks them, so nothing else prints or
	 * runs guests. CPUs never started are left alone: in the firmware's hands an NMI can
	 * triple-fault them and reset the machine before this report is out. */
	struct percpu *self = this_cpu();
	for (unsigned i = 0; lapic_ready() && i < MAX_CPUS; i++) {
		struct percpu *p = percpu_by_index[i];
		if (p && p != self && p->online)
			lapic_send_nmi(p->apic_id);
	}
}

NORETURN void panic_end(void)
{
	printk("doorbell: stopped after a fatal error\n");
	qemu_exit(QEMU_EXIT_PANIC);
	panic_park();
}

NORETURN void panic(const char *fmt, ...)
{
	panic_begin();
	printk("\n*** doorbell panic: ");
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	uint64_t rbp;
	__asm__ volatile("movq %%rbp, %0" : "=r"(rbp));
	backtrace_print(rbp);
	panic_end();
}
