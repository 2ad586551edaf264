/* AMD IOMMU MMIO registers and their bits (AMD I/O Virtualization Technology (IOMMU)
 * Specification, #48882, §3.4 "IOMMU MMIO Registers"). Offsets are from the base the IVHD block
 * gives (IVRS, iommu/ivrs.h); names follow the specification. */
#ifndef IOMMU_IOMMU_REGS_H
#define IOMMU_IOMMU_REGS_H

#include "kernel/types.h"

/* The register file is 16 KiB: the base registers at 0000h, the head/tail pointers and status
 * at 2000h (§3.4, Table 19). */
#define IOMMU_MMIO_SIZE 0x4000ull

#define IOMMU_MMIO_DEVICE_TABLE_BASE   0x0000 /* §3.4.1 */
#define IOMMU_MMIO_COMMAND_BUFFER_BASE 0x0008 /* §3.4.2 */
#define IOMMU_MMIO_EVENT_LOG_BASE      0x0010 /* §3.4.3 */
#define IOMMU_MMIO_CONTROL             0x0018 /* §3.4.4 */
#define IOMMU_MMIO_EXCLUSION_BASE      0x0020
#define IOMMU_MMIO_EXCLUSION_LIMIT     0x0028
#define IOMMU_MMIO_EXTENDED_FEATURE    0x0030 /* EFR, §3.4.5 */
#define IOMMU_MMIO_GA_LOG_BASE         0x00e0 /* §3.4.13 */
#define IOMMU_MMIO_GA_LOG_TAIL_ADDRESS 0x00e8
#define IOMMU_MMIO_COMMAND_HEAD        0x2000 /* §3.4.8 */
#define IOMMU_MMIO_COMMAND_TAIL        0x2008
#define IOMMU_MMIO_EVENT_HEAD          0x2010
#define IOMMU_MMIO_EVENT_TAIL          0x2018
#define IOMMU_MMIO_STATUS              0x2020 /* §3.4.9 */
#define IOMMU_MMIO_GA_LOG_HEAD         0x2040
#define IOMMU_MMIO_GA_LOG_TAIL         0x2048

/* Base registers: the table's physical address in bits 51:12. */
#define IOMMU_BASE_ADDRESS_MASK 0x000ffffffffff000ull
/* Device Table Base bits 8:0 Size: the table is (Size + 1) * 4 KiB; 1FFh = 2 MiB, enough for
 * all 64K device IDs of 32 bytes. */
#define IOMMU_DEVICE_TABLE_SIZE_MAX 0x1ffull
/* Command buffer, event log and GA log bases: bits 59:56 give the length as a power of two
 * (ComLen, EventLen: 2^n entries of 16 bytes, n from 8; GALogLen: 2^(n+1) entries of 8 bytes). */
#define IOMMU_LOG_LENGTH_SHIFT 56
/* Head and tail registers hold a byte offset into the ring (bits 18:4 for 16-byte entries, 18:3
 * for the GA log's 8-byte entries). */
#define IOMMU_RING_OFFSET_MASK    0x7fff0ull
#define IOMMU_GA_RING_OFFSET_MASK 0x7fff8ull

/* Control register (§3.4.4, Table 23). */
#define IOMMU_CONTROL_IOMMU_EN        BIT(0)
#define IOMMU_CONTROL_HT_TUN_EN       BIT(1)
#define IOMMU_CONTROL_EVENT_LOG_EN    BIT(2)
#define IOMMU_CONTROL_EVENT_INT_EN    BIT(3)
#define IOMMU_CONTROL_COM_WAIT_INT_EN BIT(4)
#define IOMMU_CONTROL_CMD_BUF_EN      BIT(12)
#define IOMMU_CONTROL_PPR_LOG_EN      BIT(13)
#define IOMMU_CONTROL_GT_EN           BIT(16)
#define IOMMU_CONTROL_GA_EN           BIT(17) /* 128-bit IRTEs */
#define IOMMU_CONTROL_GAM_EN_SHIFT    25      /* GAMEn, bits 27:25 */
#define IOMMU_CONTROL_GAM_EN_MASK     (7ull << IOMMU_CONTROL_GAM_EN_SHIFT)
#define IOMMU_CONTROL_GAM_EN_VAPIC    (1ull << IOMMU_CONTROL_GAM_EN_SHIFT) /* guest vAPIC mode */
#define IOMMU_CONTROL_GA_LOG_EN       BIT(28)
#define IOMMU_CONTROL_GA_INT_EN       BIT(29)
#define IOMMU_CONTROL_XT_EN           BIT(50) /* 32-bit interrupt destinations */
#define IOMMU_CONTROL_INT_CAP_XT_EN   BIT(51)
#define IOMMU_CONTROL_IRT_CACHE_DIS   BIT(59)

/* Status register (§3.4.9, Table 37). The overflow and interrupt bits are write-1-to-clear. */
#define IOMMU_STATUS_EVENT_OVERFLOW  BIT(0)
#define IOMMU_STATUS_EVENT_LOG_INT   BIT(1)
#define IOMMU_STATUS_COM_WAIT_INT    BIT(2)
#define IOMMU_STATUS_EVENT_LOG_RUN   BIT(3)
#define IOMMU_STATUS_CMD_BUF_RUN     BIT(4)
#define IOMMU_STATUS_PPR_OVERFLOW    BIT(5)
#define IOMMU_STATUS_PPR_INT         BIT(6)
#define IOMMU_STATUS_PPR_LOG_RUN     BIT(7)
#define IOMMU_STATUS_GA_LOG_RUN      BIT(8)
#define IOMMU_STATUS_GA_LOG_OVERFLOW BIT(9)
#define IOMMU_STATUS_GA_INT          BIT(10)

/* Extended Feature Register (§3.4.5, Table 24). */
#define IOMMU_EFR_PREF_SUP      BIT(0)
#define IOMMU_EFR_PPR_SUP       BIT(1)
#define IOMMU_EFR_XT_SUP        BIT(2)
#define IOMMU_EFR_NX_SUP        BIT(3)
#define IOMMU_EFR_GT_SUP        BIT(4)
#define IOMMU_EFR_IA_SUP        BIT(6) /* INVALIDATE_IOMMU_ALL */
#define IOMMU_EFR_GA_SUP        BIT(7) /* guest virtual APIC, 128-bit IRTEs */
#define IOMMU_EFR_HE_SUP        BIT(8)
#define IOMMU_EFR_PC_SUP        BIT(9)
#define IOMMU_EFR_GAM_SUP_SHIFT 21 /* GAMSup, bits 23:21: 001b = guest vAPIC mode */
#define IOMMU_EFR_GAM_SUP_MASK  (7ull << IOMMU_EFR_GAM_SUP_SHIFT)
#define IOMMU_EFR_GAM_SUP_VAPIC (1ull << IOMMU_EFR_GAM_SUP_SHIFT)

/* PCI: the IOMMU function's class code (base 08h system peripheral, sub 06h IOMMU) and its
 * capability ID (§3.2, "IOMMU Capability Header"). */
#define IOMMU_PCI_CLASS  0x0806
#define IOMMU_PCI_CAP_ID 0x0f

#endif
