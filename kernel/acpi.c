/* ACPI table parsing (ACPI 6.5 §5.2). Nothing here trusts the firmware: every length is checked
 * against what was mapped before a byte is read, every table is checksummed, and every loop is
 * bounded by a length that has been validated. */
#include "kernel/acpi.h"

/* Root System Description Pointer (ACPI 6.5 §5.2.5.3, Table 5.3). */
struct acpi_rsdp {
	char signature[8];         /* 0x00: "RSD PTR " */
	uint8_t checksum;          /* 0x08: over the first 20 bytes */
	char oem_id[6];            /* 0x09 */
	uint8_t revision;          /* 0x0f: 0 for ACPI 1.0, 2 from ACPI 2.0 on */
	uint32_t rsdt_address;     /* 0x10 */
	uint32_t length;           /* 0x14: revision >= 2 only, whole structure */
	uint64_t xsdt_address;     /* 0x18 */
	uint8_t extended_checksum; /* 0x20: over 'length' bytes */
	uint8_t reserved[3];       /* 0x21 */
} PACKED;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");
_Static_assert(__builtin_offsetof(struct acpi_rsdp, xsdt_address) == 0x18, "RSDP layout");

#define ACPI_RSDP_V1_LENGTH  20
#define ACPI_RSDP_MAX_LENGTH 4096 /* 36 in every revision so far; a bound against garbage */

/* Multiple APIC Description Table (ACPI 6.5 §5.2.12, Table 5.43). */
struct acpi_madt {
	struct acpi_sdt_header header; /* 0x00: "APIC" */
	uint32_t lapic_address;        /* 0x24 */
	uint32_t flags;                /* 0x28: bit 0 PCAT_COMPAT */
} PACKED;
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT header is 44 bytes");

/* Interrupt Controller Structure Types (ACPI 6.5 Table 5.44). */
#define ACPI_MADT_TYPE_LOCAL_APIC          0
#define ACPI_MADT_TYPE_IO_APIC             1
#define ACPI_MADT_TYPE_INTERRUPT_OVERRIDE  2
#define ACPI_MADT_TYPE_NMI_SOURCE          3
#define ACPI_MADT_TYPE_LOCAL_APIC_NMI      4
#define ACPI_MADT_TYPE_LOCAL_APIC_OVERRIDE 5
#define ACPI_MADT_TYPE_LOCAL_X2APIC        9
#define ACPI_MADT_TYPE_LOCAL_X2APIC_NMI    10

/* Local APIC Flags (ACPI 6.5 Table 5.47). Online Capable exists from MADT revision 5 (ACPI 6.3);
 * before that the bit is reserved and must be ignored. */
#define ACPI_MADT_ENABLED                 BIT(0)
#define ACPI_MADT_ONLINE_CAPABLE          BIT(1)
#define ACPI_MADT_ONLINE_CAPABLE_REVISION 5
#define ACPI_XAPIC_ID_INVALID             0xff /* xAPIC ID 0xff is broadcast: use x2APIC entries */

struct acpi_madt_entry {
	uint8_t type;   /* 0x00 */
	uint8_t length; /* 0x01: whole entry */
} PACKED;

struct acpi_madt_local_apic {
	struct acpi_madt_entry entry; /* 0x00: type 0, length 8 */
	uint8_t uid;                  /* 0x02: ACPI Processor UID */
	uint8_t apic_id;              /* 0x03 */
	uint32_t flags;               /* 0x04 */
} PACKED;
_Static_assert(sizeof(struct acpi_madt_local_apic) == 8, "MADT type 0 layout");

struct acpi_madt_io_apic {
	struct acpi_madt_entry entry; /* 0x00: type 1, length 12 */
	uint8_t id;                   /* 0x02 */
	uint8_t reserved;             /* 0x03 */
	uint32_t address;             /* 0x04 */
	uint32_t gsi_base;            /* 0x08 */
} PACKED;
_Static_assert(sizeof(struct acpi_madt_io_apic) == 12, "MADT type 1 layout");

struct acpi_madt_interrupt_override {
	struct acpi_madt_entry entry; /* 0x00: type 2, length 10 */
	uint8_t bus;                  /* 0x02: 0, ISA */
	uint8_t source;               /* 0x03: ISA IRQ */
	uint32_t gsi;                 /* 0x04 */
	uint16_t flags;               /* 0x08: MPS INTI flags */
} PACKED;
_Static_assert(sizeof(struct acpi_madt_interrupt_override) == 10, "MADT type 2 layout");

struct acpi_madt_nmi_source {
	struct acpi_madt_entry entry; /* 0x00: type 3, length 8 */
	uint16_t flags;               /* 0x02 */
	uint32_t gsi;                 /* 0x04 */
} PACKED;
_Static_assert(sizeof(struct acpi_madt_nmi_source) == 8, "MADT type 3 layout");

struct acpi_madt_local_apic_nmi {
	struct acpi_madt_entry entry; /* 0x00: type 4, length 6 */
	uint8_t uid;                  /* 0x02: 0xff = all processors */
	uint16_t flags;               /* 0x03 */
	uint8_t lint;                 /* 0x05 */
} PACKED;
_Static_assert(sizeof(struct acpi_madt_local_apic_nmi) == 6, "MADT type 4 layout");

struct acpi_madt_local_apic_override {
	struct acpi_madt_entry entry; /* 0x00: type 5, length 12 */
	uint16_t reserved;            /* 0x02 */
	uint64_t address;             /* 0x04 */
} PACKED;
_Static_assert(sizeof(struct acpi_madt_local_apic_override) == 12, "MADT type 5 layout");

struct acpi_madt_local_x2apic {
	struct acpi_madt_entry entry; /* 0x00: type 9, length 16 */
	uint16_t reserved;            /* 0x02 */
	uint32_t x2apic_id;           /* 0x04 */
	uint32_t flags;               /* 0x08: as for type 0 */
	uint32_t uid;                 /* 0x0c */
} PACKED;
_Static_assert(sizeof(struct acpi_madt_local_x2apic) == 16, "MADT type 9 layout");

struct acpi_madt_local_x2apic_nmi {
	struct acpi_madt_entry entry; /* 0x00: type 10, length 12 */
	uint16_t flags;               /* 0x02 */
	uint32_t uid;                 /* 0x04: 0xffffffff = all processors */
	uint8_t lint;                 /* 0x08 */
	uint8_t reserved[3];          /* 0x09 */
} PACKED;
_Static_assert(sizeof(struct acpi_madt_local_x2apic_nmi) == 12, "MADT type 10 layout");

/* PCI Firmware Specification 3.2 §4.1.2, MCFG: a 44-byte header, then allocation entries. */
struct acpi_mcfg {
	struct acpi_sdt_header header; /* 0x00: "MCFG" */
	uint64_t reserved;             /* 0x24 */
} PACKED;
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG header is 44 bytes");

struct acpi_mcfg_allocation {
	uint64_t base;     /* 0x00: ECAM base of bus 0 of this segment */
	uint16_t segment;  /* 0x08 */
	uint8_t bus_start; /* 0x0a */
	uint8_t bus_end;   /* 0x0b */
	uint32_t reserved; /* 0x0c */
} PACKED;
_Static_assert(sizeof(struct acpi_mcfg_allocation) == 16, "MCFG entry is 16 bytes");

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

static bool acpi_signature_is(const char *have, const char *want, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (have[i] != want[i])
			return false;
	return true;
}

/* ACPI name characters (ACPI 6.5 §20.2.2, NameSeg): what any real table signature is made of. */
static bool acpi_signature_valid(const char *sig)
{
	for (int i = 0; i < 4; i++) {
		char c = sig[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* Maps [paddr, paddr + len), refusing ranges that wrap around the address space. */
static const void *acpi_map(acpi_map_fn map, uint64_t paddr, uint64_t len)
{
	if (len == 0 || paddr > UINT64_MAX - len)
		return NULL;
	return map(paddr, len);
}

static uint64_t acpi_read_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int acpi_signature_check(const struct acpi_sdt_header *h, const char *signature)
{
	bool ok = signature ? acpi_signature_is(h->signature, signature, 4)
	                    : acpi_signature_valid(h->signature);
	return ok ? ACPI_OK : ACPI_E_TABLE_SIGNATURE;
}

int acpi_table_check(const void *table, uint64_t avail, const char *signature)
{
	const struct acpi_sdt_header *h = table;

	if (avail < sizeof(*h))
		return ACPI_E_TABLE_LENGTH;
	if (acpi_signature_check(h, signature) != ACPI_OK)
		return ACPI_E_TABLE_SIGNATURE;
	if (h->length < sizeof(*h) || h->length > ACPI_MAX_TABLE_LENGTH || h->length > avail)
		return ACPI_E_TABLE_LENGTH;
	if (acpi_checksum(h, h->length) != 0)
		return ACPI_E_TABLE_CHECKSUM;
	return ACPI_OK;
}

/* Maps the table at 'paddr' in two steps (header, then its declared length) and validates it.
 * The signature is checked first: an address pointing at garbage is reported as such, and its
 * "length" is never used to map anything. */
static int acpi_map_table(acpi_map_fn map, uint64_t paddr, const char *signature,
                          const struct acpi_sdt_header **out)
{
	const struct acpi_sdt_header *h = acpi_map(map, paddr, sizeof(*h));

	if (!h)
		return ACPI_E_MAP;
	if (acpi_signature_check(h, signature) != ACPI_OK)
		return ACPI_E_TABLE_SIGNATURE;
	uint32_t length = h->length;
	if (length < sizeof(*h) || length > ACPI_MAX_TABLE_LENGTH || paddr > UINT64_MAX - length)
		return ACPI_E_TABLE_LENGTH;
	h = acpi_map(map, paddr, length);
	if (!h)
		return ACPI_E_MAP;
	int err = acpi_table_check(h, length, signature);
	if (err == ACPI_OK)
		*out = h;
	return err;
}

/* The part every revision has: signature and the checksum over the first 20 bytes. */
static int acpi_rsdp_check_v1(const struct acpi_rsdp *r)
{
	if (!acpi_signature_is(r->signature, "RSD PTR ", 8))
		return ACPI_E_RSDP_SIGNATURE;
	if (acpi_checksum(r, ACPI_RSDP_V1_LENGTH) != 0)
		return ACPI_E_RSDP_CHECKSUM;
	return ACPI_OK;
}

/* Checks a whole RSDP of which 'avail' bytes are readable. */
static int acpi_rsdp_check(const struct acpi_rsdp *r, uint64_t avail)
{
	if (avail < ACPI_RSDP_V1_LENGTH)
		return ACPI_E_RSDP_LENGTH;
	int err = acpi_rsdp_check_v1(r);
	if (err != ACPI_OK || r->revision < 2)
		return err;
	if (avail < sizeof(*r) || r->length < sizeof(*r) || r->length > ACPI_RSDP_MAX_LENGTH ||
	    r->length > avail)
		return ACPI_E_RSDP_LENGTH;
	if (acpi_checksum(r, r->length) != 0)
		return ACPI_E_RSDP_XCHECKSUM;
	return ACPI_OK;
}

/* Maps the RSDP in steps: the 20 bytes every revision has, and only once those are valid, the
 * extended structure of the length it declares. */
static int acpi_map_rsdp(acpi_map_fn map, uint64_t paddr, const struct acpi_rsdp **out)
{
	uint64_t avail = ACPI_RSDP_V1_LENGTH;
	const struct acpi_rsdp *r = acpi_map(map, paddr, avail);

	if (!r)
		return ACPI_E_MAP;
	int err = acpi_rsdp_check_v1(r);
	if (err != ACPI_OK)
		return err;
	if (r->revision >= 2) {
		avail = sizeof(*r);
		r = acpi_map(map, paddr, avail);
		if (!r)
			return ACPI_E_MAP;
		if (r->length > avail && r->length <= ACPI_RSDP_MAX_LENGTH) {
			avail = r->length;
			r = acpi_map(map, paddr, avail);
			if (!r)
				return ACPI_E_MAP;
		}
	}
	err = acpi_rsdp_check(r, avail);
	if (err == ACPI_OK)
		*out = r;
	return err;
}

static void acpi_note_invalid(struct acpi_info *out, int err)
{
	if (out->invalid_count++ == 0)
		out->first_invalid = err;
}

static void acpi_add_cpu(struct acpi_info *out, uint32_t apic_id, uint32_t uid, uint32_t flags,
                         bool online_capable_defined, bool x2apic_entry)
{
	bool enabled = flags & ACPI_MADT_ENABLED;
	bool online_capable =
	    !enabled && online_capable_defined && (flags & ACPI_MADT_ONLINE_CAPABLE);

	if (!enabled && !online_capable)
		return; /* "unusable" processor: not present */
	/* Firmware may describe one processor with both a type 0 and a type 9 entry. */
	for (unsigned i = 0; i < out->cpu_count; i++)
		if (out->cpu[i].apic_id == apic_id)
			return;
	if (out->cpu_count >= ACPI_MAX_CPUS) {
		out->madt_dropped++;
		return;
	}
	out->cpu[out->cpu_count++] =
	    (struct acpi_cpu){apic_id, uid, enabled, online_capable, x2apic_entry};
	if (enabled)
		out->cpu_enabled_count++;
	else
		out->cpu_online_capable_count++;
}

static void acpi_add_lapic_nmi(struct acpi_info *out, uint32_t uid, uint16_t flags, uint8_t lint)
{
	if (out->lapic_nmi_count >= ACPI_MAX_NMIS) {
		out->madt_dropped++;
		return;
	}
	out->lapic_nmi[out->lapic_nmi_count++] = (struct acpi_lapic_nmi){uid, flags, lint};
}

/* Minimum length of each entry type this parser reads; 0 for types it skips. */
static unsigned acpi_madt_entry_min_length(uint8_t type)
{
	switch (type) {
	case ACPI_MADT_TYPE_LOCAL_APIC:
		return sizeof(struct acpi_madt_local_apic);
	case ACPI_MADT_TYPE_IO_APIC:
		return sizeof(struct acpi_madt_io_apic);
	case ACPI_MADT_TYPE_INTERRUPT_OVERRIDE:
		return sizeof(struct acpi_madt_interrupt_override);
	case ACPI_MADT_TYPE_NMI_SOURCE:
		return sizeof(struct acpi_madt_nmi_source);
	case ACPI_MADT_TYPE_LOCAL_APIC_NMI:
		return sizeof(struct acpi_madt_local_apic_nmi);
	case ACPI_MADT_TYPE_LOCAL_APIC_OVERRIDE:
		return sizeof(struct acpi_madt_local_apic_override);
	case ACPI_MADT_TYPE_LOCAL_X2APIC:
		return sizeof(struct acpi_madt_local_x2apic);
	case ACPI_MADT_TYPE_LOCAL_X2APIC_NMI:
		return sizeof(struct acpi_madt_local_x2apic_nmi);
	default:
		return sizeof(struct acpi_madt_entry);
	}
}

static void acpi_madt_entry(struct acpi_info *out, const struct acpi_madt_entry *e,
                            bool online_capable_defined)
{
	switch (e->type) {
	case ACPI_MADT_TYPE_LOCAL_APIC: {
		const struct acpi_madt_local_apic *l = (const void *)e;
		if (l->apic_id != ACPI_XAPIC_ID_INVALID)
			acpi_add_cpu(out, l->apic_id, l->uid, l->flags, online_capable_defined,
			             false);
		break;
	}
	case ACPI_MADT_TYPE_LOCAL_X2APIC: {
		const struct acpi_madt_local_x2apic *x = (const void *)e;
		acpi_add_cpu(out, x->x2apic_id, x->uid, x->flags, online_capable_defined, true);
		break;
	}
	case ACPI_MADT_TYPE_IO_APIC: {
		const struct acpi_madt_io_apic *io = (const void *)e;
		if (out->ioapic_count >= ACPI_MAX_IOAPICS) {
			out->madt_dropped++;
			break;
		}
		out->ioapic[out->ioapic_count].id = io->id;
		out->ioapic[out->ioapic_count].base = io->address;
		out->ioapic[out->ioapic_count].gsi_base = io->gsi_base;
		out->ioapic_count++;
		break;
	}
	case ACPI_MADT_TYPE_INTERRUPT_OVERRIDE: {
		const struct acpi_madt_interrupt_override *o = (const void *)e;
		if (out->iso_count >= ACPI_MAX_ISOS) {
			out->madt_dropped++;
			break;
		}
		out->iso[out->iso_count++] = (struct acpi_iso){o->bus, o->source, o->gsi, o->flags};
		break;
	}
	case ACPI_MADT_TYPE_NMI_SOURCE: {
		const struct acpi_madt_nmi_source *n = (const void *)e;
		if (out->nmi_source_count >= ACPI_MAX_NMIS) {
			out->madt_dropped++;
			break;
		}
		out->nmi_source[out->nmi_source_count++] =
		    (struct acpi_nmi_source){n->gsi, n->flags};
		break;
	}
	case ACPI_MADT_TYPE_LOCAL_APIC_NMI: {
		const struct acpi_madt_local_apic_nmi *n = (const void *)e;
		acpi_add_lapic_nmi(out, n->uid == 0xff ? UINT32_MAX : n->uid, n->flags, n->lint);
		break;
	}
	case ACPI_MADT_TYPE_LOCAL_X2APIC_NMI: {
		const struct acpi_madt_local_x2apic_nmi *n = (const void *)e;
		acpi_add_lapic_nmi(out, n->uid, n->flags, n->lint);
		break;
	}
	case ACPI_MADT_TYPE_LOCAL_APIC_OVERRIDE: {
		const struct acpi_madt_local_apic_override *o = (const void *)e;
		out->lapic_base = o->address;
		break;
	}
	default:
		break;
	}
}

/* Walks the interrupt controller structures. Every entry must lie wholly inside the table and be
 * long enough for its type; an entry length of 0 or 1 would stall or misalign the walk, so it
 * fails the parse like an entry running past the end. The override (type 5) wins over the
 * 32-bit address in the header whatever its position (ACPI 6.5 §5.2.12.8). */
static int acpi_parse_madt(const struct acpi_madt *madt, struct acpi_info *out)
{
	uint32_t length = madt->header.length;
	const uint8_t *base = (const uint8_t *)madt;
	bool online_capable_defined = madt->header.revision >= ACPI_MADT_ONLINE_CAPABLE_REVISION;

	out->lapic_base = madt->lapic_address;
	out->madt_flags = madt->flags;
	for (uint32_t off = sizeof(*madt); off < length;) {
		const struct acpi_madt_entry *e = (const void *)(base + off);
		if (length - off < sizeof(*e) || e->length < acpi_madt_entry_min_length(e->type) ||
		    e->length > length - off)
			return ACPI_E_MADT_ENTRY;
		acpi_madt_entry(out, e, online_capable_defined);
		off += e->length;
	}
	return ACPI_OK;
}

static void acpi_parse_mcfg(const struct acpi_mcfg *mcfg, struct acpi_info *out)
{
	uint32_t length = mcfg->header.length;
	const struct acpi_mcfg_allocation *a = (const void *)(mcfg + 1);

	if (length < sizeof(*mcfg))
		return;
	for (uint32_t i = 0; i < (length - sizeof(*mcfg)) / sizeof(*a); i++) {
		if (a[i].bus_start > a[i].bus_end || out->mcfg_count >= ACPI_MAX_MCFG)
			continue;
		out->mcfg_entry[out->mcfg_count].base = a[i].base;
		out->mcfg_entry[out->mcfg_count].segment = a[i].segment;
		out->mcfg_entry[out->mcfg_count].bus_start = a[i].bus_start;
		out->mcfg_entry[out->mcfg_count].bus_end = a[i].bus_end;
		out->mcfg_count++;
	}
}

/* FADT (ACPI 6.5 §5.2.9): PM_TMR_BLK at 76 (4 bytes), Flags at 112 (TMR_VAL_EXT bit 8),
 * X_PM_TMR_BLK at 208 (a Generic Address Structure: space ID 1 = system I/O, address at +4).
 * Each field is read only when the table is long enough to hold it. */
#define FADT_PM_TMR_BLK   76
#define FADT_FLAGS        112
#define FADT_TMR_VAL_EXT  BIT(8)
#define FADT_X_PM_TMR_BLK 208
#define GAS_SYSTEM_IO     1

static uint32_t acpi_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void acpi_parse_fadt_pm_timer(const struct acpi_sdt_header *h, struct acpi_info *out)
{
	const uint8_t *f = (const uint8_t *)h;
	uint32_t port = 0;
	if (h->length >= FADT_PM_TMR_BLK + 4)
		port = acpi_le32(f + FADT_PM_TMR_BLK);
	if (h->length >= FADT_X_PM_TMR_BLK + 12 && f[FADT_X_PM_TMR_BLK] == GAS_SYSTEM_IO &&
	    acpi_le32(f + FADT_X_PM_TMR_BLK + 8) == 0 && acpi_le32(f + FADT_X_PM_TMR_BLK + 4))
		port = acpi_le32(f + FADT_X_PM_TMR_BLK + 4);
	if (port == 0 || port > 0xfffc)
		return;
	out->pm_timer_port = (uint16_t)port;
	out->pm_timer_32bit =
	    h->length >= FADT_FLAGS + 4 && (acpi_le32(f + FADT_FLAGS) & FADT_TMR_VAL_EXT);
}

/* FADT fields for power-off and reset (kernel/power.h): 32-bit DSDT at 40, SMI_CMD at 48,
 * ACPI_ENABLE at 52, PM1a_CNT_BLK at 64, PM1b_CNT_BLK at 68, Flags RESET_REG_SUP (bit 10),
 * RESET_REG (a GAS) at 116, RESET_VALUE at 128, X_DSDT at 140, X_PM1a_CNT_BLK at 172 and
 * X_PM1b_CNT_BLK at 184 (GAS, used when in system I/O space). */
#define FADT_DSDT          40
#define FADT_SMI_CMD       48
#define FADT_ACPI_ENABLE   52
#define FADT_PM1A_CNT_BLK  64
#define FADT_PM1B_CNT_BLK  68
#define FADT_RESET_REG_SUP BIT(10)
#define FADT_RESET_REG     116
#define FADT_RESET_VALUE   128
#define FADT_X_DSDT        140
#define FADT_X_PM1A_CNT    172
#define FADT_X_PM1B_CNT    184

/* A system-I/O GAS's port, or 0. */
static uint16_t acpi_gas_port(const uint8_t *gas)
{
	uint32_t lo = acpi_le32(gas + 4), hi = acpi_le32(gas + 8);
	return gas[0] == GAS_SYSTEM_IO && hi == 0 && lo <= 0xffff ? (uint16_t)lo : 0;
}

static void acpi_parse_fadt_power(const struct acpi_sdt_header *h, struct acpi_info *out)
{
	const uint8_t *f = (const uint8_t *)h;
	uint32_t len = h->length;
	if (len >= FADT_PM1B_CNT_BLK + 4) {
		out->dsdt = acpi_le32(f + FADT_DSDT);
		uint32_t smi = acpi_le32(f + FADT_SMI_CMD);
		out->smi_cmd = smi <= 0xffff ? (uint16_t)smi : 0;
		out->acpi_enable = f[FADT_ACPI_ENABLE];
		uint32_t a = acpi_le32(f + FADT_PM1A_CNT_BLK), b = acpi_le32(f + FADT_PM1B_CNT_BLK);
		out->pm1a_cnt = a <= 0xffff ? (uint16_t)a : 0;
		out->pm1b_cnt = b <= 0xffff ? (uint16_t)b : 0;
	}
	if (len >= FADT_RESET_VALUE + 1 && (acpi_le32(f + FADT_FLAGS) & FADT_RESET_REG_SUP)) {
		out->reset_supported = true;
		out->reset_space = f[FADT_RESET_REG];
		out->reset_addr = acpi_le32(f + FADT_RESET_REG + 4) |
				  (uint64_t)acpi_le32(f + FADT_RESET_REG + 8) << 32;
		out->reset_value = f[FADT_RESET_VALUE];
	}
	if (len >= FADT_X_DSDT + 8) {
		uint64_t x = acpi_le32(f + FADT_X_DSDT) | (uint64_t)acpi_le32(f + FADT_X_DSDT + 4) << 32;
		if (x)
			out->dsdt = x;
	}
	if (len >= FADT_X_PM1A_CNT + 12 && acpi_gas_port(f + FADT_X_PM1A_CNT))
		out->pm1a_cnt = acpi_gas_port(f + FADT_X_PM1A_CNT);
	if (len >= FADT_X_PM1B_CNT + 12 && acpi_gas_port(f + FADT_X_PM1B_CNT))
		out->pm1b_cnt = acpi_gas_port(f + FADT_X_PM1B_CNT);
}

/* Records one listed table; the first valid table of each kind wins. */
static int acpi_parse_table(uint64_t paddr, const struct acpi_sdt_header *h, struct acpi_info *out)
{
	if (acpi_signature_is(h->signature, "APIC", 4) && out->madt == 0) {
		if (h->length < sizeof(struct acpi_madt))
			return ACPI_E_TABLE_LENGTH;
		out->madt = paddr;
		return acpi_parse_madt((const struct acpi_madt *)h, out);
	}
	if (acpi_signature_is(h->signature, "MCFG", 4) && out->mcfg == 0) {
		out->mcfg = paddr;
		acpi_parse_mcfg((const struct acpi_mcfg *)h, out);
	} else if (acpi_signature_is(h->signature, "FACP", 4) && out->fadt == 0) {
		out->fadt = paddr;
		acpi_parse_fadt_pm_timer(h, out);
		acpi_parse_fadt_power(h, out);
	} else if (acpi_signature_is(h->signature, "HPET", 4) && out->hpet == 0) {
		out->hpet = paddr;
	} else if (acpi_signature_is(h->signature, "IVRS", 4) && out->ivrs == 0) {
		out->ivrs = paddr;
	}
	return ACPI_OK;
}

/* Validates the RSDT (4-byte entries) or XSDT (8-byte entries) at 'paddr' and returns it. */
static int acpi_map_root(acpi_map_fn map, uint64_t paddr, bool xsdt,
                         const struct acpi_sdt_header **root)
{
	unsigned entry_size = xsdt ? 8 : 4;
	int err = acpi_map_table(map, paddr, xsdt ? "XSDT" : "RSDT", root);

	if (err == ACPI_OK && ((*root)->length - sizeof(**root)) / entry_size > ACPI_MAX_TABLES)
		err = ACPI_E_TOO_MANY_TABLES;
	return err;
}

static int acpi_walk_root(acpi_map_fn map, const struct acpi_sdt_header *root, bool xsdt,
                          struct acpi_info *out)
{
	unsigned entry_size = xsdt ? 8 : 4;
	unsigned count = (root->length - sizeof(*root)) / entry_size;
	const uint8_t *entries = (const uint8_t *)(root + 1);

	for (unsigned i = 0; i < count; i++) {
		uint64_t paddr = acpi_read_le(entries + i * entry_size, entry_size);
		const struct acpi_sdt_header *h;
		if (paddr == 0)
			continue; /* null entries are skipped, as firmware sometimes leaves them */
		out->table_count++;
		int err = acpi_map_table(map, paddr, NULL, &h);
		if (err != ACPI_OK) {
			acpi_note_invalid(out, err);
			continue;
		}
		err = acpi_parse_table(paddr, h, out);
		if (err != ACPI_OK)
			return err;
	}
	return out->madt ? ACPI_OK : ACPI_E_NO_MADT;
}

/* The XSDT is used when the RSDP has revision >= 2 and names one (ACPI 6.5 §5.2.5.3: "platforms
 * provide the XSDT ... OSPM uses it in preference"); if it is invalid and an RSDT exists, the
 * RSDT is used instead and the XSDT's error is recorded like a skipped table. */
int acpi_parse(uint64_t rsdp_paddr, acpi_map_fn map, struct acpi_info *out)
{
	const struct acpi_rsdp *rsdp;
	const struct acpi_sdt_header *root;
	int err;

	*out = (struct acpi_info){0};
	err = acpi_map_rsdp(map, rsdp_paddr, &rsdp);
	if (err != ACPI_OK)
		return err;

	out->rsdp = rsdp_paddr;
	out->revision = rsdp->revision;
	out->rsdt = rsdp->rsdt_address;
	out->xsdt = rsdp->revision >= 2 ? rsdp->xsdt_address : 0;
	for (int i = 0; i < 6; i++)
		out->oem_id[i] = rsdp->oem_id[i];

	bool xsdt = out->xsdt != 0;
	err = xsdt ? acpi_map_root(map, out->xsdt, true, &root) : ACPI_E_NO_ROOT;
	if (err != ACPI_OK && xsdt && out->rsdt != 0)
		acpi_note_invalid(out, err);
	if (err != ACPI_OK && out->rsdt != 0) {
		xsdt = false;
		err = acpi_map_root(map, out->rsdt, false, &root);
	}
	if (err != ACPI_OK)
		return err;
	out->root = xsdt ? out->xsdt : out->rsdt;
	return acpi_walk_root(map, root, xsdt, out);
}

const char *acpi_strerror(int err)
{
	switch (err) {
	case ACPI_OK:
		return "success";
	case ACPI_E_MAP:
		return "physical range could not be mapped";
	case ACPI_E_NO_RSDP:
		return "no RSDP found";
	case ACPI_E_RSDP_SIGNATURE:
		return "RSDP signature is not \"RSD PTR \"";
	case ACPI_E_RSDP_CHECKSUM:
		return "RSDP checksum mismatch";
	case ACPI_E_RSDP_LENGTH:
		return "RSDP length invalid";
	case ACPI_E_RSDP_XCHECKSUM:
		return "RSDP extended checksum mismatch";
	case ACPI_E_TABLE_SIGNATURE:
		return "table signature invalid";
	case ACPI_E_TABLE_LENGTH:
		return "table length invalid";
	case ACPI_E_TABLE_CHECKSUM:
		return "table checksum mismatch";
	case ACPI_E_TOO_MANY_TABLES:
		return "root table lists too many tables";
	case ACPI_E_NO_ROOT:
		return "RSDP names no root table";
	case ACPI_E_NO_MADT:
		return "no valid MADT";
	case ACPI_E_MADT_ENTRY:
		return "malformed MADT entry";
	default:
		return "unknown ACPI error";
	}
}

/* Looks for a valid RSDP on 16-byte boundaries in [base, base + len). */
static bool acpi_scan_rsdp(acpi_map_fn map, uint64_t base, uint64_t len, uint64_t *rsdp)
{
	const uint8_t *area = acpi_map(map, base, len);

	if (!area)
		return false;
	for (uint64_t off = 0; off + ACPI_RSDP_V1_LENGTH <= len; off += 16) {
		if (acpi_rsdp_check((const struct acpi_rsdp *)(area + off), len - off) == ACPI_OK) {
			*rsdp = base + off;
			return true;
		}
	}
	return false;
}

#define BDA_EBDA_SEGMENT   0x40e
#define EBDA_SEARCH_LENGTH 1024
#define BIOS_ROM_BASE      0xe0000
#define BIOS_ROM_LENGTH    0x20000
#define CONVENTIONAL_END   0xa0000 /* the EBDA lives below the 640 KiB line */

int acpi_find_rsdp_bios(acpi_map_fn map, uint64_t *rsdp)
{
	const uint8_t *bda = acpi_map(map, BDA_EBDA_SEGMENT, 2);

	if (bda) {
		uint64_t ebda = acpi_read_le(bda, 2) << 4;
		if (ebda != 0 && ebda + EBDA_SEARCH_LENGTH <= CONVENTIONAL_END &&
		    acpi_scan_rsdp(map, ebda, EBDA_SEARCH_LENGTH, rsdp))
			return ACPI_OK;
	}
	if (!acpi_map(map, BIOS_ROM_BASE, BIOS_ROM_LENGTH))
		return ACPI_E_MAP;
	return acpi_scan_rsdp(map, BIOS_ROM_BASE, BIOS_ROM_LENGTH, rsdp) ? ACPI_OK : ACPI_E_NO_RSDP;
}
