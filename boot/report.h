/* report=1 (README "Command-line options", docs/hardware.md "The machine report"): what doorbell
 * found on this machine, printed as `report: …` lines between `report: begin` and
 * `report: end`, after which doorbell ends without running a VM. */
#ifndef BOOT_REPORT_H
#define BOOT_REPORT_H

struct acpi_info;
struct boot_info;

/* Called once every CPU is online and the IOMMUs are up; timer_source names what the TSC was
 * calibrated against. */
void report_print(const struct boot_info *info, const struct acpi_info *acpi,
		  const char *timer_source);

#endif
