/* IVRS, the ACPI table that describes AMD IOMMUs (AMD I/O Virtualization Technology (IOMMU)
 * Specification, #48882, §5.2): where each IOMMU's registers are, which devices it translates,
 * which device IDs the IOAPICs and HPETs use for interrupt remapping. */
#ifndef IOMMU_IVRS_H
#define IOMMU_IVRS_H

#include "kernel/types.h"

/* A two-socket Rome/Milan/Genoa has 8 IOMMUs (4 per socket), all usually on PCI segment 0;
 * larger systems split their buses over several segments. What does not fit is counted in
 * 'dropped' and the IOMMU layer refuses to claim isolation for it (iommu/iommu.c). */
#define IVRS_MAX_IOMMUS  16
#define IVRS_MAX_DEVS    512
#define IVRS_MAX_SPECIAL 32
#define IVRS_MAX_IVMDS   16

/* IVHD block types (#48882 §5.2.2). */
#define IVHD_TYPE_10H 0x10 /* fixed-format device entries, feature reporting field */
#define IVHD_TYPE_11H 0x11 /* adds a copy of the Extended Feature Register */
#define IVHD_TYPE_40H 0x40 /* as 11h, plus ACPI_HID device entries */

/* IVMD block types and flags (#48882 §5.2.3). An exclusion range is treated as a unity map
 * with read and write, as Linux does: the exclusion registers cover one range per IOMMU, and a
 * page table entry per device keeps every other device out of it. */
#define IVMD_TYPE_ALL        0x20
#define IVMD_TYPE_SELECT     0x21
#define IVMD_TYPE_RANGE      0x22
#define IVMD_FLAG_UNITY_MAP  BIT(0)
#define IVMD_FLAG_IR         BIT(1)
#define IVMD_FLAG_IW         BIT(2)
#define IVMD_FLAG_EXCL_RANGE BIT(3)

/* IVHD flags byte (#48882 §5.2.2.1): what the IOMMU's control register should say. */
#define IVHD_FLAG_HT_TUN_EN   BIT(0)
#define IVHD_FLAG_PASS_PW     BIT(1)
#define IVHD_FLAG_RES_PASS_PW BIT(2)
#define IVHD_FLAG_ISOC        BIT(3)

/* Device entry DTE setting byte (#48882 §5.2.2.2, Table 95). */
#define IVHD_SETTING_INIT_PASS  BIT(0)
#define IVHD_SETTING_EINT_PASS  BIT(1)
#define IVHD_SETTING_NMI_PASS   BIT(2)
#define IVHD_SETTING_SYS_MGT_SHIFT 4 /* bits 5:4 */
#define IVHD_SETTING_LINT0_PASS BIT(6)
#define IVHD_SETTING_LINT1_PASS BIT(7)

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
		uint8_t settings; /* DTE setting byte, as for devices */
		uint8_t iommu;    /* index into iommu[] */
	} special[IVRS_MAX_SPECIAL];
	unsigned special_count;
	/* IVMD blocks (#48882 §5.2.3): memory the firmware's devices keep using after boot (unity
	 * maps: DMA address = physical address) or that is excluded from translation. */
	struct ivrs_ivmd {
		uint8_t type;  /* IVMD_TYPE_ALL, _SELECT or _RANGE */
		uint8_t flags; /* IVMD_FLAG_* */
		uint16_t segment;
		uint16_t first, last; /* device IDs it applies to (0..ffffh for ALL) */
		uint64_t start, length;
	} ivmd[IVRS_MAX_IVMDS];
	unsigned ivmd_count;
	unsigned dropped;    /* IOMMUs, device ranges or special entries that did not fit */
};

/* Parses the IVRS table at 'table', of which 'length' bytes are readable: signature, length and
 * checksum first, then every block and device entry with bounds checks. Only IVHD blocks of one
 * type are used: the highest supported type present (40h > 11h > 10h), as Linux does, because
 * firmware describes each IOMMU once per type it supports and the newer blocks say more.
 * Returns IVRS_OK or a negative IVRS_E_* code. */
int ivrs_parse(const void *table, uint32_t length, struct ivrs_info *out);

const char *ivrs_strerror(int err);

/* The IOMMU (index into iommu[]) that translates device 'devid' of PCI segment 'segment': the
 * narrowest device range or SPECIAL entry naming it; -1 when no IVHD names it. */
int ivrs_iommu_of(const struct ivrs_info *ivrs, uint16_t segment, uint16_t devid);
/* The DTE setting byte the IVHD gives for a device (0 when none names it); alias entries give
 * it to the requester ID they alias to as well. */
uint8_t ivrs_settings_of(const struct ivrs_info *ivrs, uint16_t segment, uint16_t devid);
/* Whether IVMD block 'i' (a unity map or exclusion range) applies to the device. */
bool ivrs_ivmd_applies(const struct ivrs_ivmd *m, uint16_t segment, uint16_t devid);

#endif
