/* Starting the guest's other CPUs with INIT-SIPI-SIPI (SDM vol. 3, 8.4.4.1) and running a function
 * on each. The boot CPU is index 0; the others get indexes 1..n-1 in the order they arrive, and
 * smp_cpu_index() maps the running CPU's APIC ID back to its index. */
#ifndef GUESTS_LIB_SMP_H
#define GUESTS_LIB_SMP_H

#define SMP_MAX_CPUS        16
#define SMP_AP_STACK_SIZE   16384
#define SMP_TRAMPOLINE_ADDR 0x8000 /* below 1 MiB, 4 KiB aligned: SIPI vector 0x08 */
#define SMP_WAKE_VECTOR     0xfe   /* reserved: wakes idle CPUs for smp_start_all() */

#ifndef __ASSEMBLER__
#include "kernel/types.h"

typedef void (*smp_fn)(unsigned cpu);

/* Starts every CPU that fw_cfg counts (up to SMP_MAX_CPUS) and leaves them idle, halted with
 * interrupts enabled. Returns the number of CPUs online, the boot CPU included. Idempotent. */
unsigned smp_init(void);

/* Runs fn(cpu) on every other CPU (starting them first if needed), with interrupts enabled; the
 * boot CPU does not run it. Wakes the idle CPUs with an IPI of SMP_WAKE_VECTOR to all excluding
 * self. When fn returns, that CPU idles again until the next call. Returns the number of CPUs
 * online. */
unsigned smp_start_all(smp_fn fn);

/* Waits until every other CPU has returned from the function of the last smp_start_all(); false
 * on timeout. */
bool smp_wait_all(uint64_t timeout_us);

unsigned smp_cpu_count(void);

/* This CPU's index (0 for the boot CPU), looked up by its APIC ID. */
unsigned smp_cpu_index(void);

/* The APIC ID of CPU index cpu. */
uint32_t smp_apic_id(unsigned cpu);

/* Entered by each started CPU from the trampoline with its own stack. */
NORETURN void smp_ap_main(unsigned cpu);
#endif

#endif
