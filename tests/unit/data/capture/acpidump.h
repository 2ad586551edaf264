/* Table dumper shared by the two capture programs: walks RSDP -> RSDT/XSDT -> tables (plus the
 * DSDT and FACS the FADT points to) and hex-dumps each one to COM1 in a line format that
 * log2bin.py turns back into binary files. Identity-mapped, flat physical memory is assumed. */
#ifndef ACPIDUMP_H
#define ACPIDUMP_H

#include <stdint.h>

/* Writes every table reachable from the RSDP at 'rsdp' to COM1. */
void acpidump_walk(uintptr_t rsdp);

/* Scans the EBDA's first KiB and 0xE0000-0xFFFFF for "RSD PTR " (ACPI 6.5 §5.2.5.1). */
uintptr_t acpidump_find_rsdp_bios(void);

void acpidump_puts(const char *s);

/* Ends the QEMU run through -device isa-debug-exit (port 0xf4). */
void acpidump_exit(void);

#endif
