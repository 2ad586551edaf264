/* What the IVRS asks of the IOMMUs beyond where they are (#48882 §5.2): the control bits its
 * IVHD flags name, the DTE settings of its device entries, and the unity-mapped ranges of its
 * IVMD blocks that firmware-owned devices (BMC, legacy USB emulation) keep using after boot.
 * Pure: the caller gives the device table and the page-table allocator, so that host unit tests
 * build the same tables doorbell gives the hardware. */
#ifndef IOMMU_IVRS_APPLY_H
#define IOMMU_IVRS_APPLY_H

#include "iommu/dte.h"
#include "iommu/io_pgtable.h"
#include "iommu/ivrs.h"
#include "kernel/types.h"

/* Control register bits for an IOMMU with IVHD flags 'flags', as Linux sets them
 * (iommu_init_flags()): HtTunEn, PassPW, ResPassPW, Isoc as the flags say; Coherent always (the
 * IOMMU's table reads snoop the caches: doorbell writes tables without flushing them); an
 * invalidation time-out of 1 s. */
uint64_t ivrs_control_bits(uint8_t ivhd_flags);

/* 'd' with the IVHD DTE setting byte applied: INITPass, EIntPass, NMIPass, Lint0Pass, Lint1Pass
 * (interrupt half) and SysMgt (control half), as Linux's set_dev_entry_from_acpi(). */
struct dte ivrs_dte_with_settings(struct dte d, uint8_t settings);

/* Devices covered by the same set of IVMD blocks share one identity-mapped page table. */
#define IVRS_MAX_UNITY_DOMAINS 8
#define IVRS_UNITY_DOMAIN_BASE 0xfff0 /* domain IDs 0xfff0-0xfff7; VMs use 1.. (passthrough.c) */
struct ivrs_unity {
	unsigned count;
	struct ivrs_unity_domain {
		uint32_t ivmd_mask; /* bit i: ivrs->ivmd[i] */
		uint16_t domain_id;
		struct io_pgtable pt;
	} domain[IVRS_MAX_UNITY_DOMAINS];
	unsigned devices; /* device IDs given a unity domain */
	unsigned failed;  /* device IDs left blocked because their ranges could not be mapped */
};

/* Fills the 64K entries of segment 'segment''s device table: every device blocked, with its
 * IVHD settings, and each device an IVMD block names given DMA to exactly its unity ranges
 * (Mode 3, identity, the IVMD's IR/IW; read/write for exclusion ranges). A range that cannot be
 * mapped (above the page tables' reach, too many distinct sets, out of memory) leaves its
 * devices blocked and says why in 'why' (first failure); returns false then. */
bool ivrs_fill_device_table(const struct ivrs_info *ivrs, uint16_t segment, struct dte *table,
                            struct ivrs_unity *unity, uint64_t (*alloc)(void),
                            void (*free)(uint64_t), char *why, size_t why_len);

/* Whether some IVMD block gives the device a unity range (it cannot be assigned to a VM: the
 * firmware keeps using that memory through it). */
bool ivrs_has_unity(const struct ivrs_info *ivrs, uint16_t segment, uint16_t devid);

#endif
