/* The local APIC register page: offsets, field layouts and the x2APIC MSR mapping.
 *
 * One 4 KiB page per vCPU holds the whole architectural register file, in the layout the xAPIC
 * MMIO window uses and the AVIC backing page uses (AMD APM vol. 2 15.29.3.1, "Virtual APIC
 * Backing Page"): register N at offset N*0x10, 32 bits wide, the rest of each 16-byte slot unused.
 * Intel SDM vol. 3 ch. 11 (APIC), Table 11-1 "Local APIC Register Address Map" and Table 11-6
 * "Local APIC Register Address Map Supported by x2APIC". Every field layout is described here
 * once; the code elsewhere only uses these names. */
#ifndef AVIC_APIC_REGS_H
#define AVIC_APIC_REGS_H

#include "kernel/types.h"

/* Register offsets in the page (SDM Table 11-1). */
#define APIC_ID          0x020
#define APIC_LVR         0x030 /* version */
#define APIC_TPR         0x080 /* task priority */
#define APIC_APR         0x090 /* arbitration priority (xAPIC only) */
#define APIC_PPR         0x0A0 /* processor priority */
#define APIC_EOI         0x0B0
#define APIC_RRD         0x0C0 /* remote read (xAPIC only) */
#define APIC_LDR         0x0D0 /* logical destination */
#define APIC_DFR         0x0E0 /* destination format (xAPIC only) */
#define APIC_SVR         0x0F0 /* spurious interrupt vector */
#define APIC_ISR         0x100 /* in-service, 8 words 0x100-0x170 */
#define APIC_TMR         0x180 /* trigger mode, 8 words 0x180-0x1F0 */
#define APIC_IRR         0x200 /* interrupt request, 8 words 0x200-0x270 */
#define APIC_ESR         0x280 /* error status */
#define APIC_LVT_CMCI    0x2F0
#define APIC_ICR_LO      0x300
#define APIC_ICR_HI      0x310
#define APIC_LVT_TIMER   0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PMC     0x340
#define APIC_LVT_LINT0   0x350
#define APIC_LVT_LINT1   0x360
#define APIC_LVT_ERROR   0x370
#define APIC_TMICT       0x380 /* timer initial count */
#define APIC_TMCCT       0x390 /* timer current count */
#define APIC_TDCR        0x3E0 /* timer divide configuration */
#define APIC_SELF_IPI    0x3F0 /* x2APIC only */

#define APIC_REG_STRIDE 0x10
#define APIC_PAGE_SIZE  0x1000
/* IRR, ISR and TMR are 256-bit bitmaps: 8 registers of 32 bits, one per 16-byte slot. */
#define APIC_VECTOR_WORDS 8

_Static_assert(APIC_IRR - APIC_TMR == APIC_VECTOR_WORDS * APIC_REG_STRIDE, "TMR is 8 registers");
_Static_assert(APIC_TMR - APIC_ISR == APIC_VECTOR_WORDS * APIC_REG_STRIDE, "ISR is 8 registers");
_Static_assert(APIC_ESR - APIC_IRR == APIC_VECTOR_WORDS * APIC_REG_STRIDE, "IRR is 8 registers");

/* Version register (SDM 11.4.8): version 0x14 is an integrated APIC (what KVM reports too); the
 * max LVT entry field is the number of LVT entries minus one. doorbell models an AMD CPU, which has
 * no CMCI, so there are six LVT entries (timer, thermal, PMC, LINT0, LINT1, error) and 0x2F0 is not
 * a register. Bit 24 (directed-EOI support) is 0, so SVR bit 12 is reserved. */
#define APIC_LVR_VERSION       0x14
#define APIC_LVR_MAX_LVT_SHIFT 16
#define APIC_LVR_MAX_LVT       5
#define APIC_LVR_VALUE         (APIC_LVR_VERSION | (APIC_LVR_MAX_LVT << APIC_LVR_MAX_LVT_SHIFT))

/* xAPIC ID and LDR keep their value in bits 31:24 (SDM Figures 11-6 and 11-13). */
#define APIC_XAPIC_ID_SHIFT  24
#define APIC_XAPIC_ID_MASK   0xFF000000u
#define APIC_LDR_XAPIC_SHIFT 24
#define APIC_LDR_XAPIC_MASK  0xFF000000u

/* DFR (SDM 11.6.2.2): model in bits 31:28, bits 27:0 read as all ones. */
#define APIC_DFR_MODEL_SHIFT   28
#define APIC_DFR_MODEL_MASK    0xF0000000u
#define APIC_DFR_RESERVED_ONES 0x0FFFFFFFu
#define APIC_DFR_MODEL_FLAT    0xFu
#define APIC_DFR_MODEL_CLUSTER 0x0u

/* Task/processor/arbitration priority: class in bits 7:4, sub-class in 3:0 (SDM 11.8.3.1). */
#define APIC_PRIORITY_MASK  0xFFu
#define APIC_PRIORITY_CLASS 0xF0u

/* Spurious interrupt vector register (SDM 11.9, Figure 11-23). */
#define APIC_SVR_VECTOR        0xFFu
#define APIC_SVR_ENABLE        BIT(8)  /* APIC software enable */
#define APIC_SVR_FOCUS_DISABLE BIT(9)  /* focus processor checking */
#define APIC_SVR_EOI_SUPPRESS  BIT(12) /* directed EOI; reserved here (LVR bit 24 is 0) */

/* Error status register bits (SDM 11.5.3, Figure 11-9). */
#define APIC_ESR_SEND_CHECKSUM       BIT(0)
#define APIC_ESR_RECV_CHECKSUM       BIT(1)
#define APIC_ESR_SEND_ACCEPT         BIT(2)
#define APIC_ESR_RECV_ACCEPT         BIT(3)
#define APIC_ESR_REDIRECTABLE_IPI    BIT(4)
#define APIC_ESR_SEND_ILLEGAL_VECTOR BIT(5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR BIT(6)
#define APIC_ESR_ILLEGAL_REGISTER    BIT(7)

/* Vectors 0-15 are reserved for exceptions and illegal in any interrupt message (SDM 11.5.2). */
#define APIC_FIRST_LEGAL_VECTOR 16

/* Interrupt command register, low word and the fields shared with the LVT entries and the IOAPIC
 * redirection entries (SDM 11.6.1, Figure 11-12; 11.5.1, Figure 11-8). */
#define APIC_VECTOR_MASK         0xFFu
#define APIC_DELIVERY_MODE_SHIFT 8
#define APIC_DELIVERY_MODE_MASK  (7u << APIC_DELIVERY_MODE_SHIFT)
#define APIC_DM_FIXED            0u
#define APIC_DM_LOWEST           1u /* lowest priority (ICR, IOAPIC, MSI only) */
#define APIC_DM_SMI              2u
#define APIC_DM_NMI              4u
#define APIC_DM_INIT             5u
#define APIC_DM_STARTUP          6u      /* ICR only */
#define APIC_DM_EXTINT           7u      /* LVT LINT0/1 and IOAPIC only */
#define APIC_DEST_LOGICAL        BIT(11) /* destination mode: 0 physical, 1 logical */
#define APIC_DELIVERY_STATUS     BIT(12) /* send pending; read-only */
#define APIC_LVT_POLARITY_LOW    BIT(13) /* LINT0/1: input pin polarity active low */
#define APIC_ICR_LEVEL_ASSERT    BIT(14) /* ICR: level 0 = de-assert, 1 = assert */
#define APIC_LVT_REMOTE_IRR      BIT(14) /* LINT0/1: remote IRR; read-only */
#define APIC_TRIGGER_LEVEL       BIT(15) /* trigger mode: 0 edge, 1 level */
#define APIC_LVT_MASKED          BIT(16)
#define APIC_SHORTHAND_SHIFT     18
#define APIC_SHORTHAND_MASK      (3u << APIC_SHORTHAND_SHIFT)
#define APIC_SHORTHAND_NONE      0u
#define APIC_SHORTHAND_SELF      1u
#define APIC_SHORTHAND_ALL       2u /* all including self */
#define APIC_SHORTHAND_OTHERS    3u /* all excluding self */

/* ICR destination: xAPIC bits 63:56 (ICR_HI 31:24), x2APIC bits 63:32 (SDM 11.12.9). */
#define APIC_ICR_XAPIC_DEST_SHIFT  56
#define APIC_ICR_X2APIC_DEST_SHIFT 32
#define APIC_XAPIC_BROADCAST       0xFFu
#define APIC_X2APIC_BROADCAST      0xFFFFFFFFu
/* Bits of the 64-bit x2APIC ICR that are reserved (#GP on write): 31:20, 17:16 and 13. The
 * delivery status bit 12 no longer exists in x2APIC mode and is ignored rather than faulting, as
 * on hardware that reads it back as 0 (SDM 11.12.9). */
#define APIC_X2APIC_ICR_RESERVED 0xFFF32000ull

/* LVT timer (SDM 11.5.4, Figure 11-8): mode in bits 18:17. TSC-deadline mode (10b) is not offered
 * (doorbell does not advertise CPUID.01H:ECX[24]), so bit 18 is reserved. */
#define APIC_LVT_TIMER_MODE_SHIFT 17
#define APIC_LVT_TIMER_MODE_MASK  (3u << APIC_LVT_TIMER_MODE_SHIFT)
#define APIC_TIMER_ONESHOT        0u
#define APIC_TIMER_PERIODIC       1u
#define APIC_TIMER_TSC_DEADLINE   2u

/* Timer divide configuration (SDM 11.5.4, Figure 11-10): bits 0, 1 and 3 encode the divisor; the
 * 3-bit value (bit3:bit1:bit0) 000b divides by 2, each step doubles it, and 111b divides by 1. */
#define APIC_TDCR_MASK 0xBu

/* x2APIC MSR window (SDM 11.12.1.2): MSR = 0x800 + (MMIO offset >> 4). */
#define APIC_X2APIC_MSR_BASE        0x800u
#define APIC_X2APIC_MSR_LAST        0x8FFu
#define APIC_X2APIC_MSR(offset)     (APIC_X2APIC_MSR_BASE + ((offset) >> 4))
#define APIC_X2APIC_MSR_OFFSET(msr) (((msr)-APIC_X2APIC_MSR_BASE) << 4)
_Static_assert(APIC_X2APIC_MSR(APIC_ICR_LO) == 0x830, "x2APIC ICR is MSR 0x830");
_Static_assert(APIC_X2APIC_MSR(APIC_SELF_IPI) == 0x83F, "x2APIC SELF IPI is MSR 0x83F");

/* IA32_APIC_BASE, MSR 0x1B (SDM 11.4.4, Figure 11-5; AMD APM vol. 2 16.3.1). */
#define MSR_APIC_BASE          0x1Bu
#define APIC_BASE_BSP          BIT(8)
#define APIC_BASE_EXTD         BIT(10)               /* x2APIC mode enable */
#define APIC_BASE_EN           BIT(11)               /* APIC global enable */
#define APIC_BASE_ADDR_MASK    0x000FFFFFFFFFF000ull /* bits 51:12, cut to MAXPHYADDR */
#define APIC_BASE_DEFAULT_ADDR 0xFEE00000ull

/* Bit n of a 256-bit IRR/ISR/TMR bitmap is bit (n % 32) of the register at base + (n / 32) * 16. */
static inline unsigned apic_vector_reg(unsigned base, unsigned vector)
{
	return base + (vector >> 5) * APIC_REG_STRIDE;
}

static inline uint32_t apic_vector_bit(unsigned vector)
{
	return 1u << (vector & 31);
}

/* Register accessors. The page is shared with AVIC hardware and with other CPUs posting
 * interrupts, so every access is one 32-bit atomic: never torn and never cached by the compiler.
 * Ordering where it matters is the caller's (see vapic_set_irr()). */
static inline uint32_t apic_reg_read(const uint8_t *page, unsigned offset)
{
	return __atomic_load_n((const uint32_t *)(const void *)(page + offset), __ATOMIC_RELAXED);
}

static inline void apic_reg_write(uint8_t *page, unsigned offset, uint32_t value)
{
	__atomic_store_n((uint32_t *)(void *)(page + offset), value, __ATOMIC_RELAXED);
}

/* x2APIC logical ID, fixed by the x2APIC ID (SDM 11.12.10.2): cluster ID = ID[19:4] in bits
 * 31:16, and one bit, 1 << ID[3:0], in bits 15:0. AVIC uses the same derivation (APM 15.29.4). */
static inline uint32_t apic_x2apic_ldr(uint32_t x2apic_id)
{
	return ((x2apic_id >> 4) << 16) | (1u << (x2apic_id & 0xF));
}

#endif
