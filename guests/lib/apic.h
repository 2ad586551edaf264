/* The local APIC (SDM vol. 3, chapter 10; APM vol. 2, chapter 16). In xAPIC mode, the default, the
 * registers are memory mapped at 0xfee00000 (paging is off, so at their physical address). After
 * apic_enable_x2apic() they are MSRs 0x800 + offset / 16 (SDM vol. 3, 10.12) and every helper
 * below uses RDMSR/WRMSR; the register offsets stay the same for both. */
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
#define APIC_SELF_IPI  0x3f0 /* x2APIC mode only */

/* x2APIC mode (SDM vol. 3, 10.12.1): the MSR of a register offset, the enable bit of
 * IA32_APIC_BASE and the CPUID feature flag. */
#define APIC_X2APIC_MSR(offset) (0x800u + ((offset) >> 4))
#define APIC_BASE_EXTD          BIT(10)
#define CPUID_1_ECX_X2APIC      BIT(21)
#define APIC_X2APIC_BROADCAST   0xffffffffu /* destination of an x2APIC physical broadcast */

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

/* A 32-bit register, by MMIO offset; in x2APIC mode the low half of its MSR. The ICR is only
 * sent through apic_send_ipi(); in x2APIC mode ICR_HIGH and DFR do not exist (#GP). */
uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t value);

/* Switches this CPU's APIC to x2APIC mode (IA32_APIC_BASE EN and EXTD, SDM vol. 3, 10.12.5.1).
 * False, with the APIC left in xAPIC mode, when CPUID.1:ECX[21] is clear or EXTD does not read
 * back set. Called by the boot CPU before smp_init(): from then on the runtime runs every APIC in
 * x2APIC mode, and each CPU smp_init() starts enters it in apic_enable(), before any other access
 * to its APIC. */
bool apic_enable_x2apic(void);

/* Whether the runtime uses x2APIC mode (apic_enable_x2apic() succeeded on the boot CPU). */
bool apic_x2apic_mode(void);

/* The x2APIC logical ID of an x2APIC ID (SDM vol. 3, 10.12.10.2): cluster id >> 4 in bits 31:16,
 * member bit 1 << (id & 15) in bits 15:0. */
static inline uint32_t apic_x2apic_logical_id(uint32_t x2apic_id)
{
	return (x2apic_id >> 4) << 16 | 1u << (x2apic_id & 15);
}

/* Software-enables this CPU's APIC (SVR, spurious vector 0xff), TPR 0, masks LINT0/LINT1 and the
 * timer, and masks the legacy 8259 PICs (whose timer would otherwise arrive at vector 8). In
 * x2APIC mode (apic_x2apic_mode()) it first switches this CPU to x2APIC mode, and ends the run as
 * failed (test_abort()) if that CPU has none. */
void apic_enable(void);

/* This CPU's APIC ID: bits 31:24 of the ID register in xAPIC mode, all 32 bits in x2APIC mode. */
uint32_t apic_id(void);

void apic_eoi(void);
void apic_set_tpr(uint32_t tpr);

/* Whether a vector is set in the ISR / IRR of this CPU. */
bool apic_isr_test(unsigned vector);
bool apic_irr_test(unsigned vector);

/* Sends an IPI: icr_low is vector | delivery mode | flags above; dest is the destination field
 * (an APIC ID, or a logical mask) and is ignored with a shorthand: 8 bits in xAPIC mode, 32 bits
 * in x2APIC mode. In xAPIC mode waits until the APIC has accepted the previous and this command
 * (delivery status idle); in x2APIC mode the ICR is one 64-bit WRMSR and has no delivery status
 * (SDM vol. 3, 10.12.9). */
void apic_send_ipi(uint32_t dest, uint32_t icr_low);

/* A fixed IPI of vector to this CPU: the self shorthand in xAPIC mode, the SELF IPI register
 * (MSR 0x83f, SDM vol. 3, 10.12.11) in x2APIC mode. */
void apic_self_ipi(unsigned vector);

/* Timer: divide is one of 1, 2, 4, ..., 128; vector may carry APIC_LVT_MASKED. */
void apic_timer_oneshot(unsigned vector, uint32_t count, unsigned divide);
void apic_timer_periodic(unsigned vector, uint32_t count, unsigned divide);
void apic_timer_stop(void);

/* Timer ticks per second at divide 1, measured against the TSC (once). */
uint64_t apic_timer_hz(void);

#endif
