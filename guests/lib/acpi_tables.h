/* ACPI tables as a guest finds them (ACPI 6.5 §5.2): the RSDP in the BIOS read-only area, the
 * RSDT or XSDT it points to, and a summary of the MADT. Physical addresses are used as pointers:
 * the guests run with paging off (guests/lib/boot.S), and every table a PC firmware or doorbell
 * builds lies below 4 GiB. Checksums are left to the caller, which counts each one as a check. */
#ifndef GUESTS_LIB_ACPI_TABLES_H
#define GUESTS_LIB_ACPI_TABLES_H
#include "kernel/acpi.h"
#include "kernel/types.h"

/* the RSDP lies on a 16-byte boundary of the BIOS area (ACPI 6.5 §5.2.5.1) */
#define ACPI_TABLES_BIOS_START     0xe0000u
#define ACPI_TABLES_BIOS_END       0x100000u
#define ACPI_TABLES_RSDP_V1_LENGTH 20 /* the bytes the revision-0 checksum covers */
#define ACPI_TABLES_ISA_IRQS       16

/* Root System Description Pointer (ACPI 6.5 §5.2.5.3, table 5.3). */
struct acpi_tables_rsdp {
	char signature[8];    /* 0x00: "RSD PTR " */
	uint8_t checksum;     /* 0x08: the first 20 bytes sum to 0 */
	char oem_id[6];       /* 0x09 */
	uint8_t revision;     /* 0x0f: 0 (ACPI 1.0, RSDT only) or 2 */
	uint32_t rsdt;        /* 0x10 */
	uint32_t length;      /* 0x14: revision 2 only, the whole structure */
	uint64_t xsdt;        /* 0x18: revision 2 only */
	uint8_t ext_checksum; /* 0x20: revision 2 only, length bytes sum to 0 */
	uint8_t reserved[3];  /* 0x21 */
} PACKED;
_Static_assert(sizeof(struct acpi_tables_rsdp) == 36, "RSDP is 36 bytes");

/* What the MADT (ACPI 6.5 §5.2.12) says about the CPUs, the IOAPICs and the ISA IRQs. */
struct acpi_tables_madt {
	unsigned cpus;    /* enabled Processor Local APIC (type 0) and x2APIC (type 9) entries */
	unsigned ioapics; /* I/O APIC entries (type 1) */
	uint32_t ioapic_address; /* of the first I/O APIC entry */
	uint32_t ioapic_gsi_base;
	/* ISA IRQ n is GSI isa_gsi[n] with MPS INTI flags isa_flags[n]: identity and 0 (conforming)
	 * unless an Interrupt Source Override (type 2) says otherwise (§5.2.12.5) */
	uint32_t isa_gsi[ACPI_TABLES_ISA_IRQS];
	uint16_t isa_flags[ACPI_TABLES_ISA_IRQS];
	bool entries_fit; /* every entry has a known minimum length and ends inside the table */
};

/* The byte sum of n bytes at p: 0 for a valid ACPI checksum. */
uint8_t acpi_tables_sum(const void *p, size_t n);

/* The first "RSD PTR " signature on a 16-byte boundary of 0xE0000-0xFFFFF whose 20-byte checksum
 * holds, or NULL. */
const struct acpi_tables_rsdp *acpi_tables_find_rsdp(void);

/* The root table the RSDP names: the XSDT when revision >= 2 gives one below 4 GiB (*xsdt set),
 * else the RSDT. */
const struct acpi_sdt_header *acpi_tables_root(const struct acpi_tables_rsdp *rsdp, bool *xsdt);

/* The first table with signature sig (4 characters) that the root table lists, or NULL. */
const struct acpi_sdt_header *acpi_tables_find(const struct acpi_sdt_header *root, bool xsdt,
                                               const char *sig);

/* Walks the MADT's interrupt controller structures into *out. */
void acpi_tables_madt(const struct acpi_sdt_header *madt, struct acpi_tables_madt *out);
#endif
