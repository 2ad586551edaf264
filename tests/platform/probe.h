/*
 * Platform probes: bare-metal checks of the patched QEMU's AVIC and AMD
 * IOMMU emulation.  One image holds every probe; the multiboot command line
 * ("probe=NAME [erratum=on]") selects the one a QEMU run executes.
 */
#ifndef TESTS_PLATFORM_PROBE_H
#define TESTS_PLATFORM_PROBE_H

#include "tests/platform/hw.h"

/* boot.S: interrupt bookkeeping of the shared IDT */
extern volatile uint32_t irq_count[256];
extern volatile uint32_t last_irq;
extern volatile uint32_t gp_count;

/* Record one check; a failed check prints what was expected and got. */
void probe_check(bool ok, const char *what);
void probe_check_eq(uint64_t got, uint64_t want, const char *what);
/* True when the command line holds the word @word (e.g. "erratum=on"). */
bool probe_arg(const char *word);
/* Start the AP with local APIC ID 1 in long mode, running @fn. */
void probe_start_ap(void (*fn)(void));

/* The probes (avic_probe.c, iommu_probe.c) */
void avic_probe_vmrun_checks(void);
void avic_probe_accel(void);
void avic_probe_trap_fault(void);
void avic_probe_ipi(void);
void avic_probe_ipi_smp(void);
void avic_probe_doorbell_msr(void);
void avic_probe_erratum(void);
void avic_probe_erratum_smp(void);
void avic_probe_shadow(void);
void iommu_probe_ga_post(void);
void iommu_probe_event_log(void);
void cpu_probe_efer_lme(void);
void cpu_probe_v86_tss(void);
void cpu_probe_fpu_race(void);

#endif
