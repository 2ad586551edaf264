/* The local APIC in xAPIC mode, memory mapped at 0xfee00000 (SDM vol. 3, chapter 10; APM vol. 2,
 * chapter 16). Paging is off, so the registers are accessed at their physical address. */
#ifndef GUESTS_LIB_APIC_H
#define GUESTS_LIB_APIC_H

#include "kernel/types.h"

#define APIC_BASE_ADDR 0xfee00000u

/* register offsets (SDM vol. 3, table 10-1) */
#define APIC_ID        0x020
#define APIC_VERSION   0x030
#define APIC_TPR       0x080
#define APIC_PPR       0x0a0
#define APIC_EOI       0x0b0
#define APIC_LDR       0x0d0
#define APIC_DFR       0x0e0
#define APIC_SVR       0x0f0
#define APIC_ISR       0x100 /* eight 32-bit words, 0x10 apart */
#define APIC_TMR       0x180
#define APIC_IRR       0x200
#define APIC_ESR       0x280
#define APIC_ICR_LOW   0x300
#define APIC_ICR_HIGH  0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_ICR 0x380 /* initial count */
#define APIC_TIMER_CCR 0x390 /* current count */
#define APIC_TIMER_DCR 0x3e0 /* divide configuration */

#define APIC_SVR_ENABLE      BIT(8)
#define APIC_SPURIOUS_VECTOR 0xff
#define APIC_DFR_FLAT        0xffffffffu
#define APIC_DFR_CLUSTER     0x0fffffffu
#define APIC_LVT_MASKED      BIT(16)
#define APIC_LVT_PERIODIC    BIT(17)

/* ICR low word (SDM vol. 3, figure 10-12) */
#define APIC_ICR_FIXED         (0u << 8)
#define APIC_ICR_LOWEST        (1u << 8)
#define APIC_ICR_NMI           (4u << 8)
#define APIC_ICR_INIT          (5u << 8)
#define APIC_ICR_STARTUP       (6u << 8)
#define APIC_ICR_LOGICAL       BIT(11)
#define APIC_ICR_BUSY          BIT(12) /* delivery status: send pending */
#define APIC_ICR_ASSERT        BIT(14)
#define APIC_ICR_LEVEL         BIT(15)
#define APIC_ICR_SELF          (1u << 18)
#define APIC_ICR_ALL_INCLUDING (2u << 18)
#define APIC_ICR_ALL_EXCLUDING (3u << 18)

uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t value);

/* Software-enables this CPU's APIC (SVR, spurious vector 0xff), TPR 0, masks LINT0/LINT1 and the
 * timer, and masks the legacy 8259 PICs (whose timer would otherwise arrive at vector 8). */
void apic_enable(void);

/* This CPU's APIC ID (bits 31:24 of the ID register). */
uint32_t apic_id(void);

void apic_eoi(void);
void apic_set_tpr(uint32_t tpr);

/* Whether a vector is set in the ISR / IRR of this CPU. */
bool apic_isr_test(unsigned vector);
bool apic_irr_test(unsigned vector);

/* Sends an IPI: icr_low is vector | delivery mode | flags above; dest is the destination field
 * (an APIC ID, or a logical mask) and is ignored with a shorthand. Waits until the APIC has
 * accepted the previous and this command (delivery status idle). */
void apic_send_ipi(uint32_t dest, uint32_t icr_low);

/* Timer: divide is one of 1, 2, 4, ..., 128; vector may carry APIC_LVT_MASKED. */
void apic_timer_oneshot(unsigned vector, uint32_t count, unsigned divide);
void apic_timer_periodic(unsigned vector, uint32_t count, unsigned divide);
void apic_timer_stop(void);

/* Timer ticks per second at divide 1, measured against the TSC (once). */
uint64_t apic_timer_hz(void);

#endif
