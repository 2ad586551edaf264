/* ACPI table discovery and parsing: RSDP, RSDT/XSDT, MADT, MCFG, and the addresses of the FADT,
 * HPET and IVRS tables. Every physical access goes through a caller-supplied map function, so the
 * parser runs unchanged on the host against captured tables. ACPI 6.5 §5.2. */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include "kernel/types.h"

/* Returns a pointer to 'len' readable bytes at physical address 'paddr', or NULL. */
typedef const void *(*acpi_map_fn)(uint64_t paddr, uint64_t len);

/* System Description Table header (ACPI 6.5 §5.2.6, Table 5.4). */
struct acpi_sdt_header {
	char signature[4];         /* 0x00 */
	uint32_t length;           /* 0x04: whole table, header included */
	uint8_t revision;          /* 0x08 */
	uint8_t checksum;          /* 0x09: all bytes of the table sum to 0 */
	char oem_id[6];            /* 0x0a */
	char oem_table_id[8];      /* 0x10 */
	uint32_t oem_revision;     /* 0x18 */
	uint32_t creator_id;       /* 0x1c */
	uint32_t creator_revision; /* 0x20 */
} PACKED;
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "ACPI SDT header is 36 bytes");

/* Error codes (negative) returned by the functions below; see acpi_strerror(). */
enum acpi_error {
	ACPI_OK = 0,
	ACPI_E_MAP = -1,              /* the map function refused a range */
	ACPI_E_NO_RSDP = -2,          /* no RSDP found in the BIOS areas */
	ACPI_E_RSDP_SIGNATURE = -3,   /* not "RSD PTR " */
	ACPI_E_RSDP_CHECKSUM = -4,    /* first 20 bytes do not sum to 0 */
	ACPI_E_RSDP_LENGTH = -5,      /* revision >= 2 with an impossible Length */
	ACPI_E_RSDP_XCHECKSUM = -6,   /* revision >= 2: Length bytes do not sum to 0 */
	ACPI_E_TABLE_SIGNATURE = -7,  /* wrong signature, or not four characters of [A-Z0-9_] */
	ACPI_E_TABLE_LENGTH = -8,     /* length below the header, above the bound, or wrapping */
	ACPI_E_TABLE_CHECKSUM = -9,   /* table bytes do not sum to 0 */
	ACPI_E_TOO_MANY_TABLES = -10, /* the root table lists more than ACPI_MAX_TABLES */
	ACPI_E_NO_ROOT = -11,         /* the RSDP names neither a usable XSDT nor an RSDT */
	ACPI_E_NO_MADT = -12,         /* no valid MADT ("APIC") */
	ACPI_E_MADT_ENTRY = -13,      /* MADT entry too short for its type or past the table end */
};

#define ACPI_MAX_CPUS         1024 /* a 2P Bergamo has 512 threads */
#define ACPI_MAX_IOAPICS      16
#define ACPI_MAX_ISOS         16
#define ACPI_MAX_NMIS         16
#define ACPI_MAX_MCFG         8
#define ACPI_MAX_TABLES       256        /* entries in the RSDT/XSDT */
#define ACPI_MAX_TABLE_LENGTH (1u << 20) /* longer tables are treated as corrupt */

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t uid;        /* ACPI processor UID */
	bool enabled;        /* usable now */
	bool online_capable; /* disabled, but may be brought online later (ACPI 6.3+) */
	bool x2apic_entry;   /* from a Processor Local x2APIC entry (type 9) */
};

/* Interrupt Source Override (MADT type 2): ISA 'source' is wired to 'gsi'. */
struct acpi_iso {
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags; /* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2 */
};

/* Local APIC NMI (MADT type 4, or 0Ah for x2APIC): which LINT pin of which processor. */
struct acpi_lapic_nmi {
	uint32_t uid; /* ACPI processor UID; UINT32_MAX (type 4: 0xff) means all processors */
	uint16_t flags;
	uint8_t lint;
};

/* NMI Source (MADT type 3): a GSI that is an NMI. */
struct acpi_nmi_source {
	uint32_t gsi;
	uint16_t flags;
};

struct acpi_info {
	uint64_t rsdp, xsdt, rsdt; /* as found in the RSDP (xsdt 0 below revision 2) */
	uint64_t root;             /* the root table actually walked: the XSDT, or the RSDT */
	uint8_t revision;          /* RSDP revision */
	char oem_id[7];            /* RSDP OEMID, NUL-terminated */

	uint64_t madt;
	uint64_t lapic_base; /* from the MADT, or its Local APIC Address Override */
	uint32_t madt_flags; /* bit 0 PCAT_COMPAT: dual 8259s present */
	struct acpi_cpu cpu[ACPI_MAX_CPUS];
	unsigned cpu_count;                /* entries in cpu[] (enabled + online capable) */
	unsigned cpu_enabled_count;        /* ... of which enabled */
	unsigned cpu_online_capable_count; /* ... of which disabled but online capable */
	struct {
		uint32_t id;
		uint64_t base;
		uint32_t gsi_base;
	} ioapic[ACPI_MAX_IOAPICS];
	unsigned ioapic_count;
	struct acpi_iso iso[ACPI_MAX_ISOS];
	unsigned iso_count;
	struct acpi_lapic_nmi lapic_nmi[ACPI_MAX_NMIS];
	unsigned lapic_nmi_count;
	struct acpi_nmi_source nmi_source[ACPI_MAX_NMIS];
	unsigned nmi_source_count;
	unsigned madt_dropped; /* valid MADT entries that did not fit the arrays above */

	uint64_t ivrs, mcfg, hpet, fadt; /* table addresses, 0 when absent */
	/* ACPI PM timer (FADT PM_TMR_BLK, or X_PM_TMR_BLK in system I/O space): 3.579545 MHz, 24
	 * bits, 32 with FADT Flags TMR_VAL_EXT (ACPI 6.5 §4.8.3.3, §5.2.9). Port 0 when absent. */
	uint16_t pm_timer_port;
	bool pm_timer_32bit;
	/* Power-off and reset after the run (kernel/power.h; FADT, ACPI 6.5 §5.2.9, §4.8.3.6):
	 * the DSDT (which holds _S5), the PM1a/PM1b control ports, SMI_CMD and ACPI_ENABLE (to enter
	 * ACPI mode when PM1_CNT.SCI_EN is clear), and the reset register (Flags RESET_REG_SUP). */
	uint64_t dsdt;
	uint16_t pm1a_cnt, pm1b_cnt, smi_cmd;
	uint8_t acpi_enable;
	bool reset_supported;
	uint8_t reset_space; /* Generic Address Structure space: 0 memory, 1 system I/O */
	uint8_t reset_value;
	uint64_t reset_addr;
	struct {
		uint64_t base;
		uint16_t segment;
		uint8_t bus_start, bus_end;
	} mcfg_entry[ACPI_MAX_MCFG];
	unsigned mcfg_count;

	unsigned table_count;   /* tables listed by the root table */
	unsigned invalid_count; /* ... of which skipped: unmappable, bad length or checksum */
	int first_invalid;      /* the error of the first skipped table, ACPI_OK if none */
};

/* Parses the tables reachable from the RSDP at rsdp_paddr into *out. The RSDP and the root table
 * must be valid; a listed table that fails validation is skipped and counted (firmware with one
 * broken vendor table must still boot), except that a valid MADT is required and a malformed MADT
 * entry fails the whole parse. Returns ACPI_OK or a negative ACPI_E_* code. */
int acpi_parse(uint64_t rsdp_paddr, acpi_map_fn map, struct acpi_info *out);

const char *acpi_strerror(int err);

/* Legacy BIOS RSDP search (ACPI 6.5 §5.2.5.1): the first KiB of the EBDA (segment in the BDA word
 * at 0x40e), then 0xE0000-0xFFFFF, on 16-byte boundaries. A candidate must have a valid
 * checksum (and extended checksum for revision >= 2). ACPI_OK or ACPI_E_NO_RSDP / ACPI_E_MAP. */
int acpi_find_rsdp_bios(acpi_map_fn map, uint64_t *rsdp);

/* Sum of 'len' bytes modulo 256; a valid ACPI structure sums to 0. */
uint8_t acpi_checksum(const void *p, size_t len);

/* Validates a table whose header is at 'table': signature (if non-NULL), length within
 * [sizeof header, bound] and not beyond 'avail' bytes, checksum. ACPI_OK or an ACPI_E_* code. */
int acpi_table_check(const void *table, uint64_t avail, const char *signature);

#endif
