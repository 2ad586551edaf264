/* AVIC in-memory tables and exit information (AMD APM vol. 2 15.29): the physical and logical
 * APIC ID table entries, the VMCB physical-table pointer, and the EXITINFO layouts of
 * #VMEXIT AVIC_INCOMPLETE_IPI (401h) and AVIC_NOACCEL (402h).
 *
 * Every bit layout is written down once, as a field list (kernel/bitfield.h). */
#ifndef AVIC_AVIC_TABLE_H
#define AVIC_AVIC_TABLE_H

#include "kernel/bitfield.h"
#include "kernel/types.h"

/* ---- physical APIC ID table (APM 15.29.3.3, Table 15-23) ----------------------------------
 * One 64-bit entry per guest physical APIC ID. Bits 61:52 are reserved, SBZ. */
#define AVIC_PHYSICAL_ENTRY_FIELDS(F)                                                              \
	F(uint64_t, avic_physical_entry, host_apic_id, 0, 12, NUMBER)   /* while IsRunning */      \
	F(uint64_t, avic_physical_entry, backing_page, 12, 40, ADDRESS) /* HPA bits 51:12 */       \
	F(uint64_t, avic_physical_entry, is_running, 62, 1, NUMBER)                                \
	F(uint64_t, avic_physical_entry, valid, 63, 1, NUMBER)
AVIC_PHYSICAL_ENTRY_FIELDS(BITFIELD)

#define AVIC_PHYSICAL_ENTRY_RESERVED BITFIELD_MASK(uint64_t, 52, 10)
#define AVIC_PHYSICAL_ENTRY_BYTES    8
/* In xAVIC mode guest APIC IDs 0-254 have entries; 0FFh is the broadcast destination. */
#define AVIC_PHYSICAL_MAX_ID_XAVIC 0xFE

/* ---- logical APIC ID table (APM 15.29.3.2, Table 15-24) -----------------------------------
 * One 32-bit entry per flat/cluster logical ID (apic_route_avic_logical_index() gives the
 * index). Bits 30:8 are reserved, SBZ. x2AVIC has no logical table. */
#define AVIC_LOGICAL_ENTRY_FIELDS(F)                                                               \
	F(uint32_t, avic_logical_entry, guest_physical_apic_id, 0, 8, NUMBER)                      \
	F(uint32_t, avic_logical_entry, valid, 31, 1, NUMBER)
AVIC_LOGICAL_ENTRY_FIELDS(BITFIELD)

#define AVIC_LOGICAL_ENTRY_RESERVED BITFIELD_MASK(uint32_t, 8, 23)
#define AVIC_LOGICAL_ENTRY_BYTES    4
#define AVIC_LOGICAL_TABLE_ENTRIES  (4096 / AVIC_LOGICAL_ENTRY_BYTES)

/* ---- VMCB 0F8h: physical APIC ID table pointer (APM 15.29.4.1) ----------------------------
 * HPA of the table in bits 51:12 and AVIC_PHYSICAL_MAX_INDEX, the highest usable index, in bits
 * 11:0. VMRUN fails for an index above 255 in xAVIC mode (above 511 in x2AVIC mode without
 * X2AVIC_EXT, where the table may span MAX_INDEX[11:9]+1 pages). */
#define AVIC_PHYSICAL_TABLE_POINTER_FIELDS(F)                                                      \
	F(uint64_t, avic_physical_table_pointer, max_index, 0, 12, NUMBER)                         \
	F(uint64_t, avic_physical_table_pointer, table, 12, 40, ADDRESS)
AVIC_PHYSICAL_TABLE_POINTER_FIELDS(BITFIELD)

#define AVIC_PHYSICAL_MAX_INDEX_XAVIC 0xFFu /* VMRUN fails above this in xAVIC mode */

/* A valid physical table entry for a guest APIC whose backing page is at `backing_page`,
 * not running (IsRunning clear, host APIC ID 0). */
uint64_t avic_table_physical_entry(uint64_t backing_page);
/* A valid logical table entry naming guest physical APIC ID `guest_physical_apic_id`. */
uint32_t avic_table_logical_entry(uint8_t guest_physical_apic_id);
/* The VMCB physical-table pointer; false (and *out untouched) if the table is not 4 KiB aligned,
 * lies above 52 bits, or max_index does not fit in 12 bits. */
bool avic_table_physical_pointer(uint64_t table, unsigned max_index, uint64_t *out);

/* ---- #VMEXIT 401h AVIC_INCOMPLETE_IPI (APM 15.29.6.1, Table 15-27) -------------------------
 * EXITINFO1 holds ICR_HI:ICR_LO; EXITINFO2 bits 63:32 the cause, bits 11:0 the physical table
 * index of the failing target (for causes 1-3). */
#define AVIC_IPI_FAILURE_INVALID_INT_TYPE     0 /* level-triggered or non-fixed delivery mode */
#define AVIC_IPI_FAILURE_TARGET_NOT_RUNNING   1 /* IRR already set in every target */
#define AVIC_IPI_FAILURE_INVALID_TARGET       2 /* a target outside the table, or invalid */
#define AVIC_IPI_FAILURE_INVALID_BACKING_PAGE 3
#define AVIC_IPI_FAILURE_INVALID_VECTOR       4 /* vector 0-15 */
#define AVIC_IPI_FAILURE_UNACCELERATED_IPI    5 /* Secure AVIC only */

#define AVIC_INCOMPLETE_IPI_INFO2_FIELDS(F)                                                        \
	F(uint64_t, avic_incomplete_ipi_info2, index, 0, 12, NUMBER)                               \
	F(uint64_t, avic_incomplete_ipi_info2, id, 32, 32, NUMBER)
AVIC_INCOMPLETE_IPI_INFO2_FIELDS(BITFIELD)

struct avic_incomplete_ipi {
	uint64_t icr;   /* ICR_HI:ICR_LO as written (apic_icr_decode() reads it) */
	uint32_t id;    /* AVIC_IPI_FAILURE_* */
	uint32_t index; /* physical APIC ID table index of the target that failed */
};

void avic_table_incomplete_ipi_decode(uint64_t exitinfo1, uint64_t exitinfo2,
                                      struct avic_incomplete_ipi *out);

/* ---- #VMEXIT 402h AVIC_NOACCEL (APM 15.29.6.3) ---------------------------------------------
 * EXITINFO1 bit 32 set for a write, bits 11:4 the register (offset in the APIC page);
 * EXITINFO2 bits 7:0 the highest in-service vector when a level-triggered EOI traps. */
#define AVIC_NOACCEL_INFO1_FIELDS(F)                                                               \
	F(uint64_t, avic_noaccel_info1, offset, 4, 8, ADDRESS) /* the byte offset, in place */     \
	F(uint64_t, avic_noaccel_info1, write, 32, 1, NUMBER)
AVIC_NOACCEL_INFO1_FIELDS(BITFIELD)

#define AVIC_NOACCEL_INFO2_FIELDS(F) F(uint64_t, avic_noaccel_info2, isr_vector, 0, 8, NUMBER)
AVIC_NOACCEL_INFO2_FIELDS(BITFIELD)

struct avic_noaccel {
	uint32_t offset; /* byte offset of the register in the APIC page (16-byte aligned) */
	bool write;
	uint8_t isr_vector; /* for a trapped level-triggered EOI */
};

void avic_table_noaccel_decode(uint64_t exitinfo1, uint64_t exitinfo2, struct avic_noaccel *out);

#endif
