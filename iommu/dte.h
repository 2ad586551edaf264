/* Device table entries (AMD IOMMU spec #48882 §2.2.2.1, Table 7): one 256-bit entry per device
 * ID (PCI bus/device/function) saying how the IOMMU treats that device's DMA and interrupts. */
#ifndef IOMMU_DTE_H
#define IOMMU_DTE_H

#include "kernel/bitfield.h"
#include "kernel/types.h"

struct dte {
	uint64_t q[4]; /* 0x00 DMA translation, 0x08 domain and control, 0x10 interrupts, 0x18 */
};
_Static_assert(sizeof(struct dte) == 32, "a device table entry is 256 bits");

#define DTE_BYTES 32
/* Device IDs are 16-bit requester IDs: the whole table is 64K entries, 2 MiB. */
#define DTE_DEVICE_IDS  0x10000u
#define DTE_TABLE_BYTES (DTE_DEVICE_IDS * DTE_BYTES)

/* Bits 63:0. */
#define DTE_Q0_FIELDS(F)                                                                           \
	F(uint64_t, dte_q0, v, 0, 1, NUMBER)    /* the entry is valid */                           \
	F(uint64_t, dte_q0, tv, 1, 1, NUMBER)   /* the translation fields below are valid */       \
	F(uint64_t, dte_q0, mode, 9, 3, NUMBER) /* page table levels; 0 = no translation */        \
	F(uint64_t, dte_q0, page_table_root, 12, 40, ADDRESS)                                      \
	F(uint64_t, dte_q0, ir, 61, 1, NUMBER) /* DMA reads allowed */                             \
	F(uint64_t, dte_q0, iw, 62, 1, NUMBER) /* DMA writes allowed */
DTE_Q0_FIELDS(BITFIELD)

/* Bits 127:64. */
#define DTE_Q1_FIELDS(F)                                                                           \
	F(uint64_t, dte_q1, domain_id, 0, 16, NUMBER) /* tags cached translations */               \
	F(uint64_t, dte_q1, se, 33, 1, NUMBER)        /* suppress repeated IO_PAGE_FAULT events */ \
	F(uint64_t, dte_q1, sa, 34, 1, NUMBER)        /* suppress all IO_PAGE_FAULT events */      \
	F(uint64_t, dte_q1, ex, 39, 1, NUMBER)        /* exclusion range applies */                \
	F(uint64_t, dte_q1, sys_mgt, 40, 2, NUMBER)
DTE_Q1_FIELDS(BITFIELD)

/* Bits 191:128: interrupt remapping. */
#define DTE_Q2_FIELDS(F)                                                                           \
	F(uint64_t, dte_q2, iv, 0, 1, NUMBER)          /* the interrupt fields are valid */        \
	F(uint64_t, dte_q2, int_tab_len, 1, 4, NUMBER) /* table of 2^n IRTEs */                    \
	F(uint64_t, dte_q2, ig, 5, 1, NUMBER)          /* no event for an out-of-table index */    \
	F(uint64_t, dte_q2, int_table_root, 6, 46, ADDRESS)                                        \
	F(uint64_t, dte_q2, init_pass, 56, 1, NUMBER)                                              \
	F(uint64_t, dte_q2, eint_pass, 57, 1, NUMBER)                                              \
	F(uint64_t, dte_q2, nmi_pass, 58, 1, NUMBER)                                               \
	F(uint64_t, dte_q2, int_ctl, 60, 2, NUMBER)                                                \
	F(uint64_t, dte_q2, lint0_pass, 62, 1, NUMBER)                                             \
	F(uint64_t, dte_q2, lint1_pass, 63, 1, NUMBER)
DTE_Q2_FIELDS(BITFIELD)

/* IntCtl: what happens to fixed and arbitrated interrupts (§2.2.2.1, Table 7). */
#define DTE_INT_CTL_ABORT    0 /* target abort: the interrupt is dropped */
#define DTE_INT_CTL_FORWARD  1 /* passed on unmapped */
#define DTE_INT_CTL_REMAPPED 2 /* through the interrupt remapping table */

/* The state every device starts in: V=1, TV=1, Mode=0 with IR=IW=0 (no translation and no
 * access: every DMA is target-aborted), IV=1 with IntCtl=abort and no pass-through bit (every
 * interrupt, fixed, NMI, INIT, ExtInt or LINT, is target-aborted). Domain 0. */
struct dte dte_blocked(void);

/* 'd' with DMA untranslated (Mode 0) and allowed as given: translation off. */
struct dte dte_with_untranslated_dma(struct dte d, bool read, bool write);

/* 'd' with DMA translated through a page table of 'mode' levels (1-6) at 'root' (4 KiB aligned
 * HPA), with DTE-level read/write permission. */
struct dte dte_with_page_table(struct dte d, uint64_t root, unsigned mode, bool read, bool write);

/* 'd' with fixed/arbitrated interrupts remapped through the 2^len_log2-entry table at 'root'
 * (128-byte aligned HPA). */
struct dte dte_with_interrupt_table(struct dte d, uint64_t root, unsigned len_log2);

/* 'd' tagged with a domain ID: translations the IOMMU caches are per domain, and each VM has
 * its own (0 stays with the blocked entries). */
struct dte dte_with_domain(struct dte d, uint16_t domain_id);

/* Whether the entry stops all DMA / all interrupts of its device. */
bool dte_dma_blocked(struct dte d);
bool dte_interrupts_blocked(struct dte d);

#endif
