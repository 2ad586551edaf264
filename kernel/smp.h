/* Bringing up the application processors and talking to them. */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include "kernel/types.h"
#include "kernel/acpi.h"

/* Starts every enabled CPU of the MADT (up to max_cpus in total, 0 = all) with INIT-SIPI-SIPI,
 * one at a time. A CPU that does not report online within its time limit is reported and
 * skipped. Returns the number of CPUs online, the boot CPU included. */
unsigned smp_boot(const struct acpi_info *acpi, uint64_t trampoline, unsigned max_cpus);
/* Runs fn(arg) on CPU 'index' through an IPI and waits for it to finish. */
void smp_call(unsigned index, void (*fn)(void *), void *arg);
/* Boot CPU setup of this CPU's GDT/TSS/IST stacks/GS base, shared with the APs. */
struct percpu *smp_percpu_setup(unsigned index, uint32_t apic_id);
/* The function every AP runs once it is online (the scheduler's idle loop). */
extern void (*smp_ap_main)(void);

/* This CPU's control bits as doorbell runs: caching on (CR0.CD = NW = 0; INIT leaves both set,
 * APM vol. 2 §14.1.3 Table 14-1, so an AP started by INIT-SIPI would otherwise run uncached)
 * and CR4.MCE (machine checks raise #MC instead of shutting the CPU down, APM vol. 2 §9.3) when
 * CPUID Fn0000_0001 EDX[MCE] says so. Records the CR0 found in this_cpu()->cr0_at_start. The
 * boot CPU calls it in kernel_main(), each AP first thing in smp_ap_entry(). */
void smp_cpu_control_init(void);

#endif
