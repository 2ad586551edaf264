/* ACPI tables for a guest (ACPI 6.5 §5.2): RSDP in the BIOS area at 0xE0000 where guests scan
 * for it, an RSDT and an XSDT, and a MADT describing the VM's vCPUs (local APIC IDs 0..n-1), its
 * IOAPIC at 0xFEC00000 (GSI 0-23) and the ISA IRQ 0 -> GSI 2 override PC firmware reports. */
#ifndef SVM_GUEST_ACPI_H
#define SVM_GUEST_ACPI_H

#include "kernel/types.h"

#define GUEST_ACPI_BASE 0xe0000u
#define GUEST_ACPI_END 0xe1000u

/* Writes the tables into base, the host view of guest memory at GUEST_ACPI_BASE. */
void guest_acpi_write(uint8_t *base, unsigned vcpus);

#endif
