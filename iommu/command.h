/* IOMMU commands (AMD IOMMU spec #48882 §2.4 "Commands"): 128-bit entries software writes into
 * the command buffer and publishes by moving the tail pointer. Pure encoders; iommu/iommu.c
 * queues them. */
#ifndef IOMMU_COMMAND_H
#define IOMMU_COMMAND_H

#include "kernel/bitfield.h"
#include "kernel/types.h"

struct iommu_command {
	uint64_t q[2]; /* 0x00: opcode in bits 63:60 of q[0]; 0x08: operands */
};
_Static_assert(sizeof(struct iommu_command) == 16, "a command is 128 bits");

#define IOMMU_COMMAND_BYTES 16

/* Opcodes, bits 63:60 of the first quadword (§2.4, Table 50). */
#define IOMMU_CMD_COMPLETION_WAIT            0x1
#define IOMMU_CMD_INVALIDATE_DEVTAB_ENTRY    0x2
#define IOMMU_CMD_INVALIDATE_IOMMU_PAGES     0x3
#define IOMMU_CMD_INVALIDATE_IOTLB_PAGES     0x4
#define IOMMU_CMD_INVALIDATE_INTERRUPT_TABLE 0x5
#define IOMMU_CMD_INVALIDATE_IOMMU_ALL       0x8

#define IOMMU_COMMAND_Q0_FIELDS(F)                                                                 \
	F(uint64_t, iommu_command_q0, device_id, 0, 16, NUMBER)                                    \
	F(uint64_t, iommu_command_q0, pasid, 0, 20, NUMBER)          /* INVALIDATE_IOMMU_PAGES */  \
	F(uint64_t, iommu_command_q0, store, 0, 1, NUMBER)           /* COMPLETION_WAIT S */       \
	F(uint64_t, iommu_command_q0, interrupt, 1, 1, NUMBER)       /* COMPLETION_WAIT I */       \
	F(uint64_t, iommu_command_q0, store_address, 3, 49, ADDRESS) /* COMPLETION_WAIT 51:3 */    \
	F(uint64_t, iommu_command_q0, domain_id, 32, 16, NUMBER)     /* INVALIDATE_IOMMU_PAGES */  \
	F(uint64_t, iommu_command_q0, opcode, 60, 4, NUMBER)
IOMMU_COMMAND_Q0_FIELDS(BITFIELD)

/* INVALIDATE_IOMMU_PAGES operand quadword. */
#define IOMMU_COMMAND_Q1_FIELDS(F)                                                                 \
	F(uint64_t, iommu_command_q1, size, 0, 1, NUMBER) /* S: range encoded in the address */    \
	F(uint64_t, iommu_command_q1, pde, 1, 1, NUMBER)  /* also cached page directory entries */ \
	F(uint64_t, iommu_command_q1, gn, 2, 1, NUMBER)   /* guest (PASID) addresses */            \
	F(uint64_t, iommu_command_q1, address, 12, 52, ADDRESS)
IOMMU_COMMAND_Q1_FIELDS(BITFIELD)

/* With S=1 this address means "every page of the domain" (§2.4.3: the lowest clear bit above
 * bit 12 gives the range size; only bit 63 clear means the whole address space). */
#define IOMMU_INVALIDATE_ALL_PAGES_ADDRESS 0x7ffffffffffff000ull

/* COMPLETION_WAIT with S=1: when every earlier command has completed, the IOMMU writes 'data'
 * to the 8-byte aligned 'store_pa'. */
struct iommu_command command_completion_wait(uint64_t store_pa, uint64_t data);
/* Drop the cached copy of one device table entry. */
struct iommu_command command_invalidate_devtab_entry(uint16_t device_id);
/* Drop every cached translation of domain 'domain_id' (S=1, PDE=1, all pages). */
struct iommu_command command_invalidate_iommu_pages(uint16_t domain_id);
/* Drop the cached IRTEs of one device. */
struct iommu_command command_invalidate_interrupt_table(uint16_t device_id);
/* Drop everything cached (only with EFR IASup). */
struct iommu_command command_invalidate_iommu_all(void);

#endif
