/* Floor 2, iommu/ (docs/architecture.md "Floors").
 * Owns: the AMD IOMMU driver: device table, commands, event and GA logs, IRTE formats.
 * May use: kernel/ only; knows device IDs, IRTEs and tags, never a vCPU. */
/* The AMD IOMMU driver: brings up every IOMMU the IVRS describes with one device table in which
 * every device ID is blocked (no DMA, no interrupts) until assigned, a command buffer and an event
 * log; decodes and prints events; with the AVIC policies and GA support, guest virtual APIC
 * mode with a GA log. AMD I/O Virtualization Technology (IOMMU) Specification #48882. */
#ifndef IOMMU_IOMMU_H
#define IOMMU_IOMMU_H

#include "iommu/dte.h"
#include "iommu/irte.h"
#include "kernel/types.h"

struct acpi_info;

/* Scans PCI (kernel/pci.h), then brings up the IOMMUs of the IVRS: every device blocked, command
 * buffer, event log, event interrupt (VECTOR_IOMMU to this CPU). Without an IVRS it says so:
 * "no AMD IOMMU: DMA isolation unavailable". Call once on the boot CPU. */
void iommu_init(const struct acpi_info *acpi);

/* True once at least one IOMMU of PCI segment 0 is enabled. */
bool iommu_present(void);
/* report=1: every IOMMU of the IVRS with its segment, registers, EFR features, whether it was
 * enabled, and the PCI functions it translates (`report: iommu …` lines). */
void iommu_report(void);

/* Whether device 'bdf' (segment 0) can be given to a VM with its DMA confined: an enabled
 * IOMMU translates it and the firmware keeps no unity range for it (IVMD). If not, 'why' says
 * which of these failed. */
bool iommu_device_isolated(uint16_t bdf, char *why, size_t why_len);

/* When the interrupt policy gives vCPUs AVIC backing pages to post into (errata, standard)
 * and every IOMMU reports GASup and GAMSup (vAPIC):
 * GAEn, a GA log with its interrupt, GAMEn. Otherwise a message why not. */
void iommu_ga_init(bool vapic_pages);
/* Polls the GA log (and the event log of an IOMMU without an interrupt) every 10 ms from this
 * CPU's scheduler timer (call after sched_init_cpu()), so that a lost MSI loses no wake-up. */
void iommu_poll_start(void);
bool iommu_ga_enabled(void);

/* COMPLETION_WAIT on every IOMMU: true when all earlier commands have completed, false (with a
 * message) when an IOMMU did not finish within IOMMU_WAIT_TIMEOUT_US. */
#define IOMMU_WAIT_TIMEOUT_US 100000
bool iommu_wait(void);

/* Decodes and prints the events (and hands GA log entries to the handler) logged since the last
 * call; the event interrupt does the same. Returns the number of events printed. */
unsigned iommu_poll(void);
/* Of all events printed so far, how many the event interrupt (VECTOR_IOMMU) handled. */
unsigned iommu_interrupt_events(void);

/* The device table entry of a device ID as the IOMMUs see it. */
struct dte iommu_dte(uint16_t device_id);
/* Replaces a device's entry and invalidates what the IOMMUs cached for it (its DTE, its IRTEs,
 * its old domain's translations), waiting for completion. False if a command did not complete. */
bool iommu_set_dte(uint16_t device_id, struct dte d);

/* INVALIDATE_INTERRUPT_TABLE for one device on every IOMMU, and a wait: after an IRTE's mode,
 * vector or root changed (svm/vm/intremap.c). False if a command did not complete. */
bool iommu_invalidate_interrupt_table(uint16_t device_id);

/* Called for each GA log entry (a device interrupt was posted to a vCPU that is not running and
 * asked for a wake-up through GALogIntr): 'ga_tag' as written in the IRTE. */
typedef void (*iommu_ga_log_fn)(uint32_t ga_tag, uint16_t device_id);
void iommu_set_ga_log_handler(iommu_ga_log_fn fn);

/* Schedule-in (host_apic_id >= 0: Destination, IsRun=1, GALogIntr=0) or schedule-out
 * (host_apic_id < 0: IsRun=0, GALogIntr=ga_log_intr) of a guest-mode IRTE. Writes the whole entry
 * with one CMPXCHG16B and queues no invalidation: the IOMMU does not cache these fields
 * (reference §4.2). A full barrier: schedule-out must update the IRTEs before the vCPU's
 * running_on is cleared. Returns false, changing nothing, when GA is off or the entry is not in
 * guest mode (irte_update_vcpu()). */
bool iommu_irte_update_vcpu(struct irte *entry, int64_t host_apic_id, bool ga_log_intr);

#endif
