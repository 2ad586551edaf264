/* Time from the TSC. Its rate comes from doorbell (HC_TSC_HZ) when running under it, and otherwise
 * is measured against PIT channel 2, the one channel whose output software can read (port 0x61
 * bit 5) without an interrupt. */
#ifndef GUESTS_LIB_TSC_H
#define GUESTS_LIB_TSC_H

#include "kernel/types.h"

/* Measures (once) and returns the TSC frequency in Hz; 1 GHz, with an info line, on a platform
 * that offers neither HC_TSC_HZ nor a PIT. */
uint64_t tsc_hz(void);

/* TSC ticks in us microseconds, and the microseconds in ticks ticks. */
uint64_t tsc_from_us(uint64_t us);
uint64_t tsc_to_us(uint64_t ticks);

/* Busy-waits at least us microseconds. */
void tsc_delay_us(uint64_t us);

/* A deadline us microseconds from now, and whether it has passed. */
uint64_t tsc_deadline(uint64_t us);
bool tsc_expired(uint64_t deadline);

#endif
