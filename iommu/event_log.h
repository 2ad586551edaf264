/* IOMMU event log entries (AMD IOMMU spec #48882 §2.5 "Event Logging"): 128-bit records the
 * IOMMU appends when it rejects a DMA, an interrupt, a device table entry or a command. This file
 * decodes them into text; iommu/iommu.c owns the ring. */
#ifndef IOMMU_EVENT_LOG_H
#define IOMMU_EVENT_LOG_H

#include "kernel/bitfield.h"
#include "kernel/types.h"

#define EVENT_LOG_ENTRY_BYTES 16

/* EventCode, bits 63:60 (§2.5, Table 45). */
#define EVENT_ILLEGAL_DEV_TABLE_ENTRY 0x1
#define EVENT_IO_PAGE_FAULT           0x2
#define EVENT_DEV_TAB_HARDWARE_ERROR  0x3
#define EVENT_PAGE_TAB_HARDWARE_ERROR 0x4
#define EVENT_ILLEGAL_COMMAND_ERROR   0x5
#define EVENT_COMMAND_HARDWARE_ERROR  0x6
#define EVENT_IOTLB_INV_TIMEOUT       0x7
#define EVENT_INVALID_DEVICE_REQUEST  0x8
#define EVENT_INVALID_PPR_REQUEST     0x9
#define EVENT_EVENT_COUNTER_ZERO      0xa

/* The first quadword; the second is the address the event is about. */
#define EVENT_Q0_FIELDS(F)                                                                         \
	F(uint64_t, event_q0, device_id, 0, 16, NUMBER)                                            \
	F(uint64_t, event_q0, domain_id, 32, 16, NUMBER) /* IO_PAGE_FAULT, PAGE_TAB_HW_ERROR */    \
	F(uint64_t, event_q0, flags, 48, 12, NUMBER)                                               \
	F(uint64_t, event_q0, code, 60, 4, NUMBER)
EVENT_Q0_FIELDS(BITFIELD)

/* Flag bits (bits 59:48 of the entry, numbered from 48) of IO_PAGE_FAULT and the other
 * request events (§2.5.3, Table 47). */
#define EVENT_FLAG_GN BIT(0) /* guest (PASID) address */
#define EVENT_FLAG_NX BIT(1) /* execute request */
#define EVENT_FLAG_US BIT(2) /* user request */
#define EVENT_FLAG_I  BIT(3) /* interrupt request, not memory */
#define EVENT_FLAG_PR BIT(4) /* the translation was present (a permission fault) */
#define EVENT_FLAG_RW BIT(5) /* write */
#define EVENT_FLAG_PE BIT(6) /* permission bits were checked */
#define EVENT_FLAG_RZ BIT(7) /* reserved bit not zero */
#define EVENT_FLAG_TR BIT(8) /* translation request */

/* The name of an EventCode ("IO_PAGE_FAULT", ...), "UNKNOWN_EVENT" for others. */
const char *event_log_code_name(unsigned code);

/* One line for an entry, e.g. "IO_PAGE_FAULT device=00:04.0 domain=0x0 address=0x200000
 * flags=PR,RW". Returns the length, as format() does. */
int event_log_format(const uint64_t entry[2], char *buf, size_t size);

#endif
