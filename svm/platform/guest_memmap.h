/* The guest's physical memory map, the one place that says it: conventional memory, the EBDA
 * and BIOS area (where the guest's ACPI tables live, svm/guest_acpi.h), RAM above 1 MiB up to the
 * VM's size, and the pages of the IOAPIC and local APIC the MADT names. The Multiboot loaders
 * report the RAM part (as they always have); the bzImage e820 map reports all of it. */
#ifndef SVM_GUEST_MEMMAP_H
#define SVM_GUEST_MEMMAP_H

#include "kernel/types.h"
#include "svm/platform/ioapic.h"

#define GUEST_EBDA_GPA 0x9fc00u
#define GUEST_HIGH_MEMORY_GPA 0x100000u
#define GUEST_IOAPIC_GPA IOAPIC_DEFAULT_BASE
#define GUEST_LAPIC_GPA 0xfee00000ull
#define GUEST_MEMMAP_RAM 1      /* e820 / Multiboot type 1: usable RAM */
#define GUEST_MEMMAP_RESERVED 2 /* type 2: reserved */
#define GUEST_MEMMAP_MAX 5

struct guest_memmap_entry {
	uint64_t base, len;
	uint32_t type;
};

/* Fills out[] (GUEST_MEMMAP_MAX entries at most) in address order and returns the count: the
 * three RAM/BIOS areas, and with devices also the IOAPIC and local APIC pages as reserved. */
unsigned guest_memmap(uint64_t mem_size, bool devices, struct guest_memmap_entry *out);

#endif
