/* ACPI tables for a guest (ACPI 6.5 §5.2): RSDP in the BIOS area at 0xE0000 where guests scan
 * for it, an RSDT and an XSDT listing a FADT and a MADT. The MADT describes the VM's vCPUs (local
 * APIC IDs 0..n-1), its IOAPIC at 0xFEC00000 (GSI 0-23), the ISA IRQ 0 -> GSI 2 override PC
 * firmware reports and the SCI's (IRQ 9, level). The FADT points at a FACS, a DSDT holding \_S5
 * (power-off) and the fixed hardware of svm/acpi_pm.h (PM1a event and control, the PM timer). */
#ifndef SVM_GUEST_ACPI_H
#define SVM_GUEST_ACPI_H

#include "kernel/types.h"

#define GUEST_ACPI_BASE 0xe0000u
#define GUEST_ACPI_END 0xe1000u

/* Writes the tables into base, the host view of guest memory at GUEST_ACPI_BASE. */
void guest_acpi_write(uint8_t *base, unsigned vcpus);

#endif
