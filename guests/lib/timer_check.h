/* Checks of the local APIC timer on the calling CPU, shared by the hlt_timer guest (boot CPU) and
 * the ipi guest (every CPU). Durations are measured with the TSC and accepted from
 * TIMER_CHECK_EARLY_PERCENT of the programmed time (a timer must never fire early; the margin
 * covers the calibration error) up to TIMER_CHECK_LATE_PERCENT of it plus TIMER_CHECK_LATE_US.
 * The upper bound is wide on purpose: an emulator on a loaded host deschedules vCPUs for
 * milliseconds, and a periodic tick that finds the previous one still pending merges with it
 * (SDM vol. 3, 10.8.4: one IRR bit per vector), so a run takes longer by whole periods. */
#ifndef GUESTS_LIB_TIMER_CHECK_H
#define GUESTS_LIB_TIMER_CHECK_H

#include "kernel/types.h"

#define TIMER_CHECK_VECTOR        0x40
#define TIMER_CHECK_DIVIDE        16
#define TIMER_CHECK_EARLY_PERCENT 90
#define TIMER_CHECK_LATE_PERCENT  200
#define TIMER_CHECK_LATE_US       100000

/* Routes TIMER_CHECK_VECTOR to the counting handler and calibrates the timer (boot CPU, once). */
void timer_check_init(void);

/* Arms a one-shot of us microseconds and executes one HLT: checks that the timer interrupt ended
 * it, within the tolerance, once, leaving the current count at 0. who prefixes the check names. */
void timer_check_oneshot(const char *who, uint32_t us);

/* Runs the periodic timer for ticks periods of period_us, halting between ticks: checks the total
 * time within the tolerance and that no tick follows the stop. */
void timer_check_periodic(const char *who, uint32_t period_us, uint32_t ticks);

#endif
