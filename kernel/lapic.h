/* The host's local APIC, in x2APIC mode when the CPU offers it, else xAPIC (MMIO). */
#ifndef KERNEL_LAPIC_H
#define KERNEL_LAPIC_H

#include "kernel/types.h"

void lapic_init(void); /* on every CPU: enable, mask LVTs, accept interrupts */
bool lapic_ready(void);
bool lapic_x2apic(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_nmi(uint32_t apic_id);
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint8_t page);
/* LAPIC timer, divide by 16. */
void lapic_timer_oneshot(uint32_t ticks, uint8_t vector);
void lapic_timer_stop(void);
uint32_t lapic_timer_current(void);

#endif
