/* IVRS, the ACPI table that describes AMD IOMMUs (AMD I/O Virtualization Technology (IOMMU)
 * Specification, #48882, §5.2): where each IOMMU's registers are, which devices it translates,
 * which device IDs the IOAPICs and HPETs use for interrupt remapping. */
#ifndef IOMMU_IVRS_H
#define IOMMU_IVRS_H

#include "kernel/types.h"

#define IVRS_MAX_IOMMUS  4
#define IVRS_MAX_DEVS    64
#define IVRS_MAX_SPECIAL 8

/* IVHD block types (#48882 §5.2.2). */
#define IVHD_TYPE_10H 0x10 /* fixed-format device entries, feature reporting field */
#define IVHD_TYPE_11H 0x11 /* adds a copy of the Extended Feature Register */
#define IVHD_TYPE_40H 0x40 /* as 11h, plus ACPI_HID device entries */

/* Variety of a SPECIAL device entry (type 48h). */
#define IVHD_SPECIAL_IOAPIC 1
#define IVHD_SPECIAL_HPET   2

enum ivrs_error {
	IVRS_OK = 0,
	IVRS_E_SIGNATURE = -1, /* not "IVRS" */
	IVRS_E_LENGTH = -2,    /* table shorter than its header, or longer than the bytes given */
	IVRS_E_CHECKSUM = -3,
	IVRS_E_BLOCK = -4,   /* an IVHD/IVMD block with a length too short or past the table end */
	IVRS_E_ENTRY = -5,   /* a device entry past its block's end, or of unknown length */
	IVRS_E_NO_IVHD = -6, /* no IVHD block of a supported type */
};

struct ivrs_info {
	uint32_t ivinfo;   /* IVinfo: bit 0 EFRSup, 14:8 PASize, 21:15 VASize, 7:5 GVASize */
	uint8_t ivhd_type; /* the one IVHD type whose blocks were used (10h, 11h or 40h) */
	unsigned iommu_count;
	struct ivrs_iommu {
		uint16_t devid, segment, cap_ptr; /* PCI function of the IOMMU itself */
		uint64_t mmio_base;
		uint64_t efr; /* EFR image (IVHD 11h/40h); 0 for 10h */
		uint32_t
		    feature;   /* IVHD offset 20: feature reporting (10h) or attributes (11h/40h) */
		uint8_t type;  /* IVHD type */
		uint8_t flags; /* IVHD flags byte (coherent, IotlbSup, ...) */
		bool ga_sup;   /* 128-bit IRTEs / guest virtual APIC supported */
		bool xt_sup;   /* x2APIC (32-bit destination) interrupts supported */
	} iommu[IVRS_MAX_IOMMUS];
	/* Devices each IOMMU translates, from ALL, SELECT, range, alias and extended entries. */
	struct ivrs_devrange {
		uint16_t first, last;
		uint16_t alias; /* requester ID used for DMA/interrupts when aliased, else first */
		uint8_t
		    settings;  /* DTE setting byte (INITPass, EIntPass, NMIPass, SysMgt, Lint0/1) */
		uint8_t iommu; /* index into iommu[] */
		bool aliased;  /* from an alias entry (42h/43h) */
	} dev[IVRS_MAX_DEVS];
	unsigned dev_count;
	/* Device IDs of IOAPICs and HPETs (SPECIAL entries), needed to remap their interrupts. */
	struct ivrs_special {
		uint8_t handle;  /* IOAPIC ID, or HPET number */
		uint8_t variety; /* IVHD_SPECIAL_IOAPIC or IVHD_SPECIAL_HPET */
		uint16_t devid;
		uint8_t iommu; /* index into iommu[] */
	} special[IVRS_MAX_SPECIAL];
	unsigned special_count;
	unsigned ivmd_count; /* IVMD blocks seen (recognised and skipped) */
	unsigned dropped;    /* IOMMUs, device ranges or special entries that did not fit */
};

/* Parses the IVRS table at 'table', of which 'length' bytes are readable: signature, length and
 * checksum first, then every block and device entry with bounds checks. Only IVHD blocks of one
 * type are used: the highest supported type present (40h > 11h > 10h), as Linux does, because
 * firmware describes each IOMMU once per type it supports and the newer blocks say more.
 * Returns IVRS_OK or a negative IVRS_E_* code. */
int ivrs_parse(const void *table, uint32_t length, struct ivrs_info *out);

const char *ivrs_strerror(int err);

#endif
