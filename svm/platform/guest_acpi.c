#include "svm/platform/guest_acpi.h"
#include "kernel/acpi.h"
#include "kernel/string.h"

#define RSDP_GPA GUEST_ACPI_BASE
#define XSDT_GPA (GUEST_ACPI_BASE + 0x40)
#define RSDT_GPA (GUEST_ACPI_BASE + 0x80)
#define MADT_GPA (GUEST_ACPI_BASE + 0x100)
#define GUEST_LAPIC_BASE 0xfee00000u
#define GUEST_IOAPIC_BASE 0xfec00000u
#define MADT_PCAT_COMPAT 1u

struct guest_rsdp {
	char signature[8];  /* 0x00 "RSD PTR " */
	uint8_t checksum;   /* 0x08: first 20 bytes */
	char oem_id[6];     /* 0x09 */
	uint8_t revision;   /* 0x0f: 2 */
	uint32_t rsdt;      /* 0x10 */
	uint32_t length;    /* 0x14 */
	uint64_t xsdt;      /* 0x18 */
	uint8_t ext_checksum; /* 0x20 */
	uint8_t reserved[3];
} PACKED;
_Static_assert(sizeof(struct guest_rsdp) == 36, "RSDP v2");

struct madt_lapic {
	uint8_t type, length, uid, apic_id; /* type 0 */
	uint32_t flags;                     /* bit 0 enabled */
} PACKED;

struct madt_ioapic {
	uint8_t type, length, id, reserved; /* type 1 */
	uint32_t address;
	uint32_t gsi_base;
} PACKED;

struct madt_iso {
	uint8_t type, length, bus, source; /* type 2 */
	uint32_t gsi;
	uint16_t flags;
} PACKED;

static uint8_t checksum(const void *p, size_t n)
{
	return (uint8_t)-acpi_checksum(p, n); /* the checksum field itself is still 0 here */
}

static void header(struct acpi_sdt_header *h, const char *sig, uint32_t length)
{
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = 1;
	memcpy(h->oem_id, "DRBELL", 6);
	memcpy(h->oem_table_id, "DOORBELL", 8);
	h->oem_revision = 1;
	memcpy(&h->creator_id, "DRBL", 4);
	h->creator_revision = 1;
}

void guest_acpi_write(uint8_t *base, unsigned vcpus)
{
	memset(base, 0, GUEST_ACPI_END - GUEST_ACPI_BASE);

	uint8_t *madt = base + (MADT_GPA - GUEST_ACPI_BASE);
	struct acpi_sdt_header *mh = (struct acpi_sdt_header *)madt;
	uint32_t off = sizeof(*mh);
	uint32_t lapic = GUEST_LAPIC_BASE, flags = MADT_PCAT_COMPAT;
	memcpy(madt + off, &lapic, 4);
	memcpy(madt + off + 4, &flags, 4);
	off += 8;
	for (unsigned i = 0; i < vcpus; i++) {
		struct madt_lapic e = {0, sizeof(e), (uint8_t)i, (uint8_t)i, 1};
		memcpy(madt + off, &e, sizeof(e));
		off += sizeof(e);
	}
	struct madt_ioapic io = {1, sizeof(io), (uint8_t)vcpus, 0, GUEST_IOAPIC_BASE, 0};
	memcpy(madt + off, &io, sizeof(io));
	off += sizeof(io);
	struct madt_iso iso = {2, sizeof(iso), 0, 0, 2, 0};
	memcpy(madt + off, &iso, sizeof(iso));
	off += sizeof(iso);
	header(mh, "APIC", off);
	mh->checksum = checksum(madt, off);

	struct acpi_sdt_header *xh = (struct acpi_sdt_header *)(base + (XSDT_GPA - GUEST_ACPI_BASE));
	uint64_t madt_gpa = MADT_GPA;
	header(xh, "XSDT", sizeof(*xh) + 8);
	memcpy(xh + 1, &madt_gpa, 8);
	xh->checksum = checksum(xh, xh->length);

	struct acpi_sdt_header *rh = (struct acpi_sdt_header *)(base + (RSDT_GPA - GUEST_ACPI_BASE));
	uint32_t madt32 = MADT_GPA;
	header(rh, "RSDT", sizeof(*rh) + 4);
	memcpy(rh + 1, &madt32, 4);
	rh->checksum = checksum(rh, rh->length);

	struct guest_rsdp *rsdp = (struct guest_rsdp *)base;
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "DRBELL", 6);
	rsdp->revision = 2;
	rsdp->rsdt = RSDT_GPA;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt = XSDT_GPA;
	rsdp->checksum = checksum(rsdp, 20);
	rsdp->ext_checksum = checksum(rsdp, sizeof(*rsdp));
}
