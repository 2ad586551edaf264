/* Time: the TSC and the LAPIC timer, both calibrated against the 8254 PIT at boot. */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include "kernel/types.h"

extern uint64_t tsc_hz;       /* TSC ticks per second */
extern uint64_t lapic_timer_hz; /* LAPIC timer ticks per second at divide-by-16 */

struct acpi_info;
/* Calibrates tsc_hz and lapic_timer_hz against the PIT, or without a PIT against the ACPI PM
 * timer the FADT names, each wait bounded (no minutes-long spin). Returns the reference used
 * ("PIT", "ACPI PM timer"), or NULL when neither counts: the caller stops with the reason. */
const char *timer_calibrate(const struct acpi_info *acpi);
uint64_t timer_now_us(void);
void timer_delay_us(uint64_t us);
/* LAPIC timer ticks (divide by 16) for a duration, saturating at 32 bits. */
uint32_t timer_us_to_lapic_ticks(uint64_t us);

#endif
