/* Checks of the local APIC timer on the calling CPU, shared by the hlt_timer guest (boot CPU) and
 * the ipi guest (every CPU). Durations are measured with the TSC and accepted from
 * TIMER_CHECK_EARLY_PERCENT of the programmed time (a timer must never fire early; the margin
 * covers the calibration error) up to TIMER_CHECK_LATE_US more than it (an emulator or a host may
 * deschedule the vCPU). */
#ifndef GUESTS_LIB_TIMER_CHECK_H
#define GUESTS_LIB_TIMER_CHECK_H

#include "kernel/types.h"

#define TIMER_CHECK_VECTOR        0x40
#define TIMER_CHECK_DIVIDE        16
#define TIMER_CHECK_EARLY_PERCENT 90
#define TIMER_CHECK_LATE_US       50000

/* Routes TIMER_CHECK_VECTOR to the counting handler and calibrates the timer (boot CPU, once). */
void timer_check_init(void);

/* Arms a one-shot of us microseconds and executes one HLT: checks that the timer interrupt ended
 * it, within the tolerance, once, leaving the current count at 0. who prefixes the check names. */
void timer_check_oneshot(const char *who, uint32_t us);

/* Runs the periodic timer for ticks periods of period_us, halting between ticks: checks the total
 * time within the tolerance and that no tick follows the stop. */
void timer_check_periodic(const char *who, uint32_t period_us, uint32_t ticks);

#endif
