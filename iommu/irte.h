/* 128-bit interrupt remapping table entries (IRTEs), used when the IOMMU runs with GAEn (AMD
 * IOMMU spec #48882 §2.2.5.2 "Interrupt Remapping Table, Guest Virtual APIC Enabled"), in both
 * formats: remapped (GuestMode=0: the IOMMU sends the interrupt to a host APIC) and guest virtual
 * APIC (GuestMode=1: the IOMMU sets the vector in a vAPIC backing page and, when the vCPU is
 * running, rings the AVIC doorbell of Destination, else logs GATag in the GA log).
 *
 * The bit layouts are written once, as field lists, with the accessor generator of
 * avic/avic_table.h: irte_lo_get_vector(w), irte_hi_set_ga_root(w, pa), ... */
#ifndef IOMMU_IRTE_H
#define IOMMU_IRTE_H

#include "kernel/bitfield.h"
#include "kernel/types.h"

/* One IRTE: bits 63:0 and 127:64. Hardware reads it as one 128-bit unit, so it is written whole
 * with CMPXCHG16B (iommu_irte_update_vcpu()) and must be 16-byte aligned. */
struct irte {
	uint64_t lo; /* 0x00 */
	uint64_t hi; /* 0x08 */
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct irte) == 16, "an IRTE is 128 bits");

/* Bits 63:0, fields common to both formats and the remapped format (GuestMode = 0). */
#define IRTE_LO_FIELDS(F)                                                                          \
	F(uint64_t, irte_lo, remap_en, 0, 1, NUMBER) /* valid */                                   \
	F(uint64_t, irte_lo, sup_iopf, 1, 1, NUMBER) /* no IO_PAGE_FAULT event when invalid */     \
	F(uint64_t, irte_lo, int_type, 2, 3, NUMBER) /* remapped: delivery mode */                 \
	F(uint64_t, irte_lo, rq_eoi, 5, 1, NUMBER)   /* remapped */                                \
	F(uint64_t, irte_lo, dm, 6, 1, NUMBER)       /* remapped: 1 = logical destination */       \
	F(uint64_t, irte_lo, guest_mode, 7, 1, NUMBER)                                             \
	F(uint64_t, irte_lo, destination_lo, 8, 24, NUMBER) /* APIC ID bits 23:0 */                \
	F(uint64_t, irte_lo, ga_log_intr, 2, 1, NUMBER) /* vAPIC: GA log entry when not running */ \
	F(uint64_t, irte_lo, is_run, 6, 1, NUMBER)      /* vAPIC: vCPU running on Destination */   \
	F(uint64_t, irte_lo, ga_tag, 32, 32, NUMBER)    /* vAPIC: opaque, copied to the GA log */
IRTE_LO_FIELDS(BITFIELD)

/* Bits 127:64. */
#define IRTE_HI_FIELDS(F)                                                                          \
	F(uint64_t, irte_hi, vector, 0, 8, NUMBER)          /* vAPIC: the guest's vector */        \
	F(uint64_t, irte_hi, ga_root, 12, 40, ADDRESS)      /* vAPIC: backing page HPA 51:12 */    \
	F(uint64_t, irte_hi, destination_hi, 56, 8, NUMBER) /* APIC ID bits 31:24 (XTEn) */
IRTE_HI_FIELDS(BITFIELD)

/* IntType values of the remapped format (same encoding as MSI delivery modes). */
#define IRTE_INT_TYPE_FIXED      0
#define IRTE_INT_TYPE_ARBITRATED 1

/* A table of 512 entries (DTE IntTabLen 9) is 8 KiB; the DTE needs it 128-byte aligned. */
#define IRTE_TABLE_LEN_LOG2 9
#define IRTE_TABLE_ENTRIES  (1u << IRTE_TABLE_LEN_LOG2)
#define IRTE_TABLE_ALIGN    128

/* A valid remapped-format entry: 'vector' to host APIC 'destination' (physical or logical). */
struct irte irte_remapped(uint8_t vector, uint32_t destination, bool logical);

/* A valid guest-vAPIC entry posting guest 'vector' into the backing page at 'ga_root' (4 KiB
 * aligned HPA), tagged 'ga_tag' in the GA log; not running (IsRun=0, GALogIntr=1). */
struct irte irte_guest(uint8_t vector, uint64_t ga_root, uint32_t ga_tag);

/* The 32-bit Destination, split over bits 31:8 and 127:120. */
uint32_t irte_destination(struct irte e);
struct irte irte_set_destination(struct irte e, uint32_t apic_id);

/* 'e' with only the fields the IOMMU does not cache changed (ref. §4.2, IOMMU spec rev 3.08):
 * host_apic_id >= 0: Destination = host_apic_id, IsRun = 1, GALogIntr = 0;
 * host_apic_id < 0: IsRun = 0, GALogIntr = ga_log_intr, Destination unchanged. */
struct irte irte_with_vcpu(struct irte e, int64_t host_apic_id, bool ga_log_intr);

/* Applies irte_with_vcpu() to the live entry with one 128-bit LOCK CMPXCHG16B (hardware reads the
 * entry as one unit and never writes it), retrying if software changed it meanwhile. Returns
 * false, changing nothing, for an entry that is not valid and in guest mode. */
bool irte_update_vcpu(struct irte *entry, int64_t host_apic_id, bool ga_log_intr);
/* The same, and also false (changing nothing) when the entry's GATag is not 'ga_tag': a caller
 * holding a stale pointer to an entry since rebound to another vCPU leaves it alone. */
bool irte_update_vcpu_tagged(struct irte *entry, uint32_t ga_tag, int64_t host_apic_id,
                             bool ga_log_intr);

/* Replaces the live entry with 'e' as one 128-bit store (CMPXCHG16B): the IOMMU never sees half
 * of the old entry and half of the new one. The caller still invalidates the entry. */
void irte_store(struct irte *entry, struct irte e);

/* The 32-bit IRTE of the remapped format used while GAEn is off (§2.2.5.1): RemapEn 0, SupIOPF 1,
 * IntType 4:2, RqEoi 5, DM 6, Destination 15:8 (8-bit APIC ID), Vector 23:16. */
#define IRTE32_FIELDS(F)                                                                           \
	F(uint32_t, irte32, remap_en, 0, 1, NUMBER)                                                \
	F(uint32_t, irte32, sup_iopf, 1, 1, NUMBER)                                                \
	F(uint32_t, irte32, int_type, 2, 3, NUMBER)                                                \
	F(uint32_t, irte32, dm, 6, 1, NUMBER)                                                      \
	F(uint32_t, irte32, destination, 8, 8, NUMBER)                                             \
	F(uint32_t, irte32, vector, 16, 8, NUMBER)
IRTE32_FIELDS(BITFIELD)

/* A valid 32-bit remapped entry: fixed 'vector' to the host APIC 'destination' (physical). */
uint32_t irte32_remapped(uint8_t vector, uint8_t destination);
/* Without XT mode (not implemented) a remapped interrupt's destination is 8 bits: false, leaving
 * *out alone, for a host APIC ID above 255, which would otherwise be truncated to another CPU. */
bool irte32_remapped_to(uint8_t vector, uint32_t apic_id, uint32_t *out);

#endif
