/* After the run (after=, README "Command-line options"; docs/hardware.md "After the run"):
 * reset the machine or switch it off by ACPI, where doorbell runs on hardware rather than under
 * QEMU's isa-debug-exit. Each returns only when the machine is still running afterwards, having
 * printed why; the caller then parks the CPU. */
#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

#include "kernel/types.h"

struct acpi_info;

/* ACPI S5 (soft-off): SLP_TYPa/b from the DSDT's _S5 (kernel/acpi_s5.h) and SLP_EN written to
 * PM1a_CNT (and PM1b_CNT), after entering ACPI mode through SMI_CMD if SCI_EN is clear (ACPI 6.5
 * §4.8.3.2, §7.4.2, §16.1.7). _PTS is not evaluated: doorbell has no AML interpreter. */
void power_off(const struct acpi_info *acpi);
/* Reset: the FADT's reset register (system I/O space), then port CF9h (hard reset), then the
 * keyboard controller's pulse of the reset line (command FEh at port 64h). */
void power_reboot(const struct acpi_info *acpi);

#endif
