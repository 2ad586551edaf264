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

#endif
