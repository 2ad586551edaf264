#include "svm/platform/guest_acpi.h"
#include "kernel/acpi.h"
#include "kernel/string.h"
#include "svm/platform/acpi_pm.h"
#include "svm/platform/guest_memmap.h"

#define RSDP_GPA GUEST_ACPI_BASE
#define XSDT_GPA (GUEST_ACPI_BASE + 0x40)
#define RSDT_GPA (GUEST_ACPI_BASE + 0x80)
#define MADT_GPA (GUEST_ACPI_BASE + 0x100)
#define FACS_GPA (GUEST_ACPI_BASE + 0x200) /* 64-byte aligned (ACPI 6.5 §5.2.10) */
#define FADT_GPA (GUEST_ACPI_BASE + 0x280)
#define DSDT_GPA (GUEST_ACPI_BASE + 0x400)
#define MADT_PCAT_COMPAT 1u
#define MADT_ISO_LEVEL_HIGH 0x000du /* polarity active high (01), trigger level (11) */
#define FADT_REVISION 3
#define FADT_LENGTH 244u /* revision 3: up to X_GPE1_BLK */
#define FACS_LENGTH 64u
#define FADT_PM_PROFILE_SERVER 4
#define FADT_C2_UNSUPPORTED 101 /* P_LVL2_LAT > 100: no C2 */
#define FADT_C3_UNSUPPORTED 1001
#define CMOS_CENTURY_INDEX 0x32
/* IAPC_BOOT_ARCH: LEGACY_DEVICES (ISA devices: UART, PIT, RTC), no 8042, VGA not present */
#define FADT_BOOT_ARCH 0x0005u
/* Flags: WBINVD works, C1 supported, power and sleep buttons are not fixed features */
#define FADT_FLAGS 0x0035u

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

/* FADT (ACPI 6.5 §5.2.9), the fields up to revision 3; the 64-bit X_ fields stay 0 so that the
 * 32-bit ones apply. */
struct guest_fadt {
	struct acpi_sdt_header h;
	uint32_t firmware_ctrl; /* 36: FACS */
	uint32_t dsdt;          /* 40 */
	uint8_t reserved0;      /* 44 */
	uint8_t pm_profile;     /* 45 */
	uint16_t sci_int;       /* 46 */
	uint32_t smi_cmd;       /* 48: 0 = always in ACPI mode */
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt; /* 52 */
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk; /* 56 */
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;         /* 72 */
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;     /* 88 */
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;       /* 92 */
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;    /* 96 */
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century; /* 104 */
	uint16_t iapc_boot_arch; /* 109 */
	uint8_t reserved1;       /* 111 */
	uint32_t flags;          /* 112 */
	uint8_t reset_reg[12];   /* 116 */
	uint8_t reset_value;     /* 128 */
	uint16_t arm_boot_arch;  /* 129 */
	uint8_t minor_version;   /* 131 */
	uint8_t x_fields[FADT_LENGTH - 132]; /* X_FIRMWARE_CTRL .. X_GPE1_BLK: 0 */
} PACKED;
_Static_assert(sizeof(struct guest_fadt) == FADT_LENGTH, "FADT revision 3");

/* The DSDT's AML (ACPI 6.5 §20): Name (_S5, Package (4) {S5, S5, 0, 0}), the sleep type values
 * for power-off that the OS writes to PM1a_CNT.SLP_TYP (svm/acpi_pm.h). */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',     /* NameOp "_S5_" */
	0x12, 0x08, 0x04,             /* PackageOp, PkgLength 8, NumElements 4 */
	0x0a, ACPI_S5_SLP_TYP,        /* BytePrefix SLP_TYPa */
	0x0a, ACPI_S5_SLP_TYP,        /* BytePrefix SLP_TYPb */
	0x00, 0x00,                   /* ZeroOp, ZeroOp (reserved) */
};

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
	uint32_t lapic = (uint32_t)GUEST_LAPIC_GPA, flags = MADT_PCAT_COMPAT;
	memcpy(madt + off, &lapic, 4);
	memcpy(madt + off + 4, &flags, 4);
	off += 8;
	for (unsigned i = 0; i < vcpus; i++) {
		struct madt_lapic e = {0, sizeof(e), (uint8_t)i, (uint8_t)i, 1};
		memcpy(madt + off, &e, sizeof(e));
		off += sizeof(e);
	}
	struct madt_ioapic io = {1, sizeof(io), (uint8_t)vcpus, 0, (uint32_t)GUEST_IOAPIC_GPA, 0};
	memcpy(madt + off, &io, sizeof(io));
	off += sizeof(io);
	/* ISA IRQ 0 (the PIT) is GSI 2; the SCI (IRQ 9) is level-triggered, active high */
	struct madt_iso iso[] = {{2, sizeof(iso[0]), 0, 0, 2, 0},
				 {2, sizeof(iso[0]), 0, ACPI_SCI_IRQ, ACPI_SCI_IRQ,
				  MADT_ISO_LEVEL_HIGH}};
	memcpy(madt + off, iso, sizeof(iso));
	off += sizeof(iso);
	header(mh, "APIC", off);
	mh->checksum = checksum(madt, off);

	uint8_t *facs = base + (FACS_GPA - GUEST_ACPI_BASE);
	uint32_t facs_len = FACS_LENGTH;
	memcpy(facs, "FACS", 4);
	memcpy(facs + 4, &facs_len, 4);
	facs[32] = 1; /* version */

	struct acpi_sdt_header *dh = (struct acpi_sdt_header *)(base + (DSDT_GPA - GUEST_ACPI_BASE));
	header(dh, "DSDT", sizeof(*dh) + sizeof(dsdt_aml));
	dh->revision = 2; /* 64-bit integers */
	memcpy(dh + 1, dsdt_aml, sizeof(dsdt_aml));
	dh->checksum = checksum(dh, dh->length);

	struct guest_fadt *f = (struct guest_fadt *)(base + (FADT_GPA - GUEST_ACPI_BASE));
	header(&f->h, "FACP", FADT_LENGTH);
	f->h.revision = FADT_REVISION;
	f->firmware_ctrl = FACS_GPA;
	f->dsdt = DSDT_GPA;
	f->pm_profile = FADT_PM_PROFILE_SERVER;
	f->sci_int = ACPI_SCI_IRQ;
	f->pm1a_evt_blk = ACPI_PM_BASE + ACPI_PM1_EVT_OFFSET;
	f->pm1a_cnt_blk = ACPI_PM_BASE + ACPI_PM1_CNT_OFFSET;
	f->pm_tmr_blk = ACPI_PM_BASE + ACPI_PM_TMR_OFFSET;
	f->pm1_evt_len = ACPI_PM1_EVT_LEN;
	f->pm1_cnt_len = ACPI_PM1_CNT_LEN;
	f->pm_tmr_len = ACPI_PM_TMR_LEN;
	f->p_lvl2_lat = FADT_C2_UNSUPPORTED;
	f->p_lvl3_lat = FADT_C3_UNSUPPORTED;
	f->century = CMOS_CENTURY_INDEX;
	f->iapc_boot_arch = FADT_BOOT_ARCH;
	f->flags = FADT_FLAGS;
	f->h.checksum = checksum(f, FADT_LENGTH);

	const uint64_t tables[] = {FADT_GPA, MADT_GPA};
	struct acpi_sdt_header *xh = (struct acpi_sdt_header *)(base + (XSDT_GPA - GUEST_ACPI_BASE));
	header(xh, "XSDT", sizeof(*xh) + 8 * ARRAY_SIZE(tables));
	struct acpi_sdt_header *rh = (struct acpi_sdt_header *)(base + (RSDT_GPA - GUEST_ACPI_BASE));
	header(rh, "RSDT", sizeof(*rh) + 4 * ARRAY_SIZE(tables));
	for (unsigned i = 0; i < ARRAY_SIZE(tables); i++) {
		uint32_t t32 = (uint32_t)tables[i];
		memcpy((uint8_t *)(xh + 1) + 8 * i, &tables[i], 8);
		memcpy((uint8_t *)(rh + 1) + 4 * i, &t32, 4);
	}
	xh->checksum = checksum(xh, xh->length);
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
