/* IVRS parsing (#48882 §5.2). Every block and device entry is bounds-checked against its
 * container before it is read; lengths of 0 are rejected so that no walk can stall. */
#include "iommu/ivrs.h"
#include "kernel/acpi.h"

/* IVRS header (#48882 §5.2.1): the ACPI header, IVinfo, 8 reserved bytes. */
struct ivrs_header {
	struct acpi_sdt_header header; /* 0x00: "IVRS" */
	uint32_t ivinfo;               /* 0x24 */
	uint64_t reserved;             /* 0x28 */
} PACKED;
_Static_assert(sizeof(struct ivrs_header) == 48, "IVRS header is 48 bytes");

/* The start every IVHD and IVMD block shares. */
struct ivrs_block {
	uint8_t type;    /* 0x00 */
	uint8_t flags;   /* 0x01 */
	uint16_t length; /* 0x02: whole block, device entries included */
} PACKED;

/* I/O Virtualization Hardware Definition block header (#48882 §5.2.2.1). Type 10h ends at 0x18;
 * types 11h and 40h add the EFR image and EFR2. */
struct ivhd_header {
	struct ivrs_block block; /* 0x00 */
	uint16_t devid;          /* 0x04: the IOMMU's own PCI function */
	uint16_t cap_ptr;        /* 0x06: its capability block in config space */
	uint64_t mmio_base;      /* 0x08 */
	uint16_t segment;        /* 0x10: PCI segment group */
	uint16_t info;           /* 0x12: MSI number, UnitID */
	uint32_t feature;        /* 0x14: 10h feature reporting; 11h/40h IOMMU attributes */
	uint64_t efr;            /* 0x18: 11h/40h only: Extended Feature Register image */
	uint64_t efr2;           /* 0x20: 11h/40h only */
} PACKED;
_Static_assert(__builtin_offsetof(struct ivhd_header, feature) == 0x14, "IVHD layout");
_Static_assert(sizeof(struct ivhd_header) == 40, "IVHD 11h/40h header is 40 bytes");

#define IVHD_10H_HEADER_LENGTH 24
#define IVHD_11H_HEADER_LENGTH 40
#define IVMD_BLOCK_LENGTH      32

/* IVMD block (#48882 §5.2.3): the range applies to the devices the type says. */
struct ivmd_block {
	struct ivrs_block block; /* 0x00 */
	uint16_t devid;          /* 0x04: the device (SELECT) or the range's first (RANGE) */
	uint16_t aux;            /* 0x06: the range's last device (RANGE) */
	uint16_t segment;        /* 0x08: PCI segment group */
	uint8_t reserved[6];     /* 0x0a */
	uint64_t start;          /* 0x10 */
	uint64_t length;         /* 0x18 */
} PACKED;
_Static_assert(sizeof(struct ivmd_block) == 32, "IVMD block is 32 bytes");

/* Feature bits. In IVHD 10h the feature reporting field has GASup at bit 6 (and XTSup at bit 0);
 * in 11h/40h the EFR image has XTSup at bit 2 and GASup at bit 7 (#48882 §3.4.12, MMIO 0x30). */
#define IVHD_10H_FEATURE_GASUP BIT(6)
#define IOMMU_EFR_XTSUP        BIT(2)
#define IOMMU_EFR_GASUP        BIT(7)

/* Device entry types (#48882 §5.2.2.2, "IVHD Device Entry Type Codes"). */
#define IVHD_DEV_PAD          0x00
#define IVHD_DEV_ALL          0x01
#define IVHD_DEV_SELECT       0x02
#define IVHD_DEV_RANGE_START  0x03
#define IVHD_DEV_RANGE_END    0x04
#define IVHD_DEV_ALIAS_SELECT 0x42
#define IVHD_DEV_ALIAS_RANGE  0x43
#define IVHD_DEV_EXT_SELECT   0x46
#define IVHD_DEV_EXT_RANGE    0x47
#define IVHD_DEV_SPECIAL      0x48
#define IVHD_DEV_ACPI_HID     0xf0

/* 4-byte entries (types 00h-3Fh) and the first four bytes of the 8-byte ones (40h-7Fh). */
struct ivhd_entry {
	uint8_t type;     /* 0x00 */
	uint16_t devid;   /* 0x01 */
	uint8_t settings; /* 0x03: DTE setting */
} PACKED;
_Static_assert(sizeof(struct ivhd_entry) == 4, "IVHD 4-byte entry");

/* Alias entries (42h, 43h). */
struct ivhd_entry_alias {
	struct ivhd_entry entry; /* 0x00 */
	uint8_t reserved;        /* 0x04 */
	uint16_t source_devid;   /* 0x05: the requester ID the devices use */
	uint8_t reserved2;       /* 0x07 */
} PACKED;
_Static_assert(sizeof(struct ivhd_entry_alias) == 8, "IVHD alias entry");

/* SPECIAL entry (48h): devid in the common part is reserved. */
struct ivhd_entry_special {
	struct ivhd_entry entry; /* 0x00 */
	uint8_t handle;          /* 0x04: IOAPIC ID or HPET number */
	uint16_t devid;          /* 0x05: the BDF it uses as requester */
	uint8_t variety;         /* 0x07 */
} PACKED;
_Static_assert(sizeof(struct ivhd_entry_special) == 8, "IVHD special entry");

/* ACPI_HID entry (F0h, IVHD 40h only): 22 fixed bytes, then a UID of uid_length bytes. */
struct ivhd_entry_acpi_hid {
	struct ivhd_entry entry; /* 0x00 */
	uint8_t hid[8];          /* 0x04 */
	uint8_t cid[8];          /* 0x0c */
	uint8_t uid_format;      /* 0x14 */
	uint8_t uid_length;      /* 0x15 */
} PACKED;
_Static_assert(sizeof(struct ivhd_entry_acpi_hid) == 22, "IVHD ACPI_HID entry");

static bool ivrs_ivhd_type_supported(uint8_t type)
{
	return type == IVHD_TYPE_10H || type == IVHD_TYPE_11H || type == IVHD_TYPE_40H;
}

static bool ivrs_ivmd_type(uint8_t type)
{
	return type == IVMD_TYPE_ALL || type == IVMD_TYPE_SELECT || type == IVMD_TYPE_RANGE;
}

static unsigned ivrs_ivhd_header_length(uint8_t type)
{
	return type == IVHD_TYPE_10H ? IVHD_10H_HEADER_LENGTH : IVHD_11H_HEADER_LENGTH;
}

/* Length of the device entry at 'e', of which 'avail' bytes lie inside the block; 0 if unknown
 * or not wholly inside. Types below 80h encode their size in bits 7:6 (#48882 §5.2.2.2). */
static unsigned ivrs_entry_length(const uint8_t *e, unsigned avail)
{
	unsigned length;

	if (e[0] < 0x80)
		length = 4u << (e[0] >> 6);
	else if (e[0] == IVHD_DEV_ACPI_HID && avail >= sizeof(struct ivhd_entry_acpi_hid))
		length = sizeof(struct ivhd_entry_acpi_hid) + e[0x15];
	else
		return 0;
	return length <= avail ? length : 0;
}

/* State of one IVHD's walk: a range start (03h/43h/47h) waits for its end entry (04h). */
struct ivrs_walk {
	struct ivrs_info *out;
	uint8_t iommu;
	bool range_open;
	struct ivrs_devrange range;
};

static void ivrs_add_dev(struct ivrs_walk *w, uint16_t first, uint16_t last, uint8_t settings,
                         bool aliased, uint16_t alias)
{
	struct ivrs_info *out = w->out;

	if (out->dev_count >= IVRS_MAX_DEVS) {
		out->dropped++;
		return;
	}
	out->dev[out->dev_count++] = (struct ivrs_devrange){
	    first, last, aliased ? alias : first, settings, w->iommu, aliased};
}

static void ivrs_open_range(struct ivrs_walk *w, uint16_t devid, uint8_t settings, bool aliased,
                            uint16_t alias)
{
	if (w->range_open)
		w->out->dropped++; /* a start without an end: the firmware's bug, not fatal */
	w->range_open = true;
	w->range = (struct ivrs_devrange){devid,    devid,    aliased ? alias : devid,
	                                  settings, w->iommu, aliased};
}

static void ivrs_close_range(struct ivrs_walk *w, uint16_t last)
{
	bool was_open = w->range_open;

	w->range_open = false; /* an end entry always ends the pending range, even a bad one */
	if (!was_open || last < w->range.first) {
		w->out->dropped++;
		return;
	}
	ivrs_add_dev(w, w->range.first, last, w->range.settings, w->range.aliased, w->range.alias);
}

static void ivrs_add_special(struct ivrs_walk *w, const struct ivhd_entry_special *s)
{
	struct ivrs_info *out = w->out;

	if (out->special_count >= IVRS_MAX_SPECIAL) {
		out->dropped++;
		return;
	}
	out->special[out->special_count++] =
	    (struct ivrs_special){s->handle, s->variety, s->devid, s->entry.settings, w->iommu};
}

static void ivrs_device_entry(struct ivrs_walk *w, const uint8_t *p)
{
	const struct ivhd_entry *e = (const void *)p;
	const struct ivhd_entry_alias *a = (const void *)p;

	switch (e->type) {
	case IVHD_DEV_ALL:
		ivrs_add_dev(w, 0, 0xffff, e->settings, false, 0);
		break;
	case IVHD_DEV_SELECT:
	case IVHD_DEV_EXT_SELECT: /* the extended setting (ATS) is not needed here */
		ivrs_add_dev(w, e->devid, e->devid, e->settings, false, 0);
		break;
	case IVHD_DEV_RANGE_START:
	case IVHD_DEV_EXT_RANGE:
		ivrs_open_range(w, e->devid, e->settings, false, 0);
		break;
	case IVHD_DEV_ALIAS_SELECT:
		ivrs_add_dev(w, e->devid, e->devid, e->settings, true, a->source_devid);
		break;
	case IVHD_DEV_ALIAS_RANGE:
		ivrs_open_range(w, e->devid, e->settings, true, a->source_devid);
		break;
	case IVHD_DEV_RANGE_END:
		ivrs_close_range(w, e->devid);
		break;
	case IVHD_DEV_SPECIAL:
		ivrs_add_special(w, (const struct ivhd_entry_special *)p);
		break;
	case IVHD_DEV_PAD:
	case IVHD_DEV_ACPI_HID: /* ACPI devices (e.g. AMDI0020 UARTs) are not passed through */
	default:                /* reserved types: their size is known, their meaning is not */
		break;
	}
}

static void ivrs_add_iommu(struct ivrs_info *out, const struct ivhd_header *h)
{
	struct ivrs_iommu *m = &out->iommu[out->iommu_count++];

	m->type = h->block.type;
	m->flags = h->block.flags;
	m->devid = h->devid;
	m->cap_ptr = h->cap_ptr;
	m->mmio_base = h->mmio_base;
	m->segment = h->segment;
	m->feature = h->feature;
	if (h->block.type == IVHD_TYPE_10H) {
		m->efr = 0;
		m->ga_sup = h->feature & IVHD_10H_FEATURE_GASUP;
		/* The 10h XTSup bit is not enough for x2APIC interrupts, which also need
		 * EFR[MsiCapMmioSup], only reported by 11h/40h; Linux ignores it too. */
		m->xt_sup = false;
	} else {
		m->efr = h->efr;
		m->ga_sup = h->efr & IOMMU_EFR_GASUP;
		m->xt_sup = h->efr & IOMMU_EFR_XTSUP;
	}
}

static int ivrs_parse_ivhd(const uint8_t *p, uint16_t length, struct ivrs_info *out)
{
	const struct ivhd_header *h = (const void *)p;
	unsigned off = ivrs_ivhd_header_length(h->block.type);

	if (out->iommu_count >= IVRS_MAX_IOMMUS) {
		out->dropped++;
		return IVRS_OK;
	}
	struct ivrs_walk w = {.out = out, .iommu = (uint8_t)out->iommu_count};
	ivrs_add_iommu(out, h);
	while (off < length) {
		unsigned entry_length = ivrs_entry_length(p + off, length - off);
		if (entry_length == 0)
			return IVRS_E_ENTRY;
		ivrs_device_entry(&w, p + off);
		off += entry_length;
	}
	if (w.range_open)
		out->dropped++;
	return IVRS_OK;
}

/* Keeps the IVMD blocks Linux acts on (unity map or exclusion range flag); the others ask
 * nothing of the IOMMU. A range whose end wraps, or RANGE with last < first, is dropped. */
static void ivrs_add_ivmd(struct ivrs_info *out, const struct ivmd_block *b)
{
	if (!(b->block.flags & (IVMD_FLAG_UNITY_MAP | IVMD_FLAG_EXCL_RANGE)))
		return;
	struct ivrs_ivmd m = {.type = b->block.type,
	                      .flags = b->block.flags,
	                      .segment = b->segment,
	                      .first = b->devid,
	                      .last = b->devid,
	                      .start = b->start,
	                      .length = b->length};
	if (m.type == IVMD_TYPE_ALL) {
		m.first = 0;
		m.last = 0xffff;
	} else if (m.type == IVMD_TYPE_RANGE) {
		m.last = b->aux;
	}
	if (out->ivmd_count >= IVRS_MAX_IVMDS || m.last < m.first || m.length == 0 ||
	    m.start + m.length < m.start) {
		out->dropped++;
		return;
	}
	out->ivmd[out->ivmd_count++] = m;
}

/* Checks the block at 'off' fits the table and is long enough for its type; returns its length,
 * or 0 if it is malformed. */
static uint16_t ivrs_block_length(const uint8_t *table, uint32_t length, uint32_t off)
{
	if (length - off < sizeof(struct ivrs_block))
		return 0;
	const struct ivrs_block *b = (const void *)(table + off);
	unsigned min = sizeof(*b);
	if (ivrs_ivhd_type_supported(b->type))
		min = ivrs_ivhd_header_length(b->type);
	else if (ivrs_ivmd_type(b->type))
		min = IVMD_BLOCK_LENGTH;
	if (b->length < min || b->length > length - off)
		return 0;
	return b->length;
}

/* First pass: all blocks well-formed, and the highest supported IVHD type. Linux takes the type
 * of the last IVHD describing the first IOMMU; blocks are listed per IOMMU in ascending type
 * order, so that is the highest type that IOMMU has. */
static int ivrs_choose_type(const uint8_t *table, uint32_t length, uint8_t *type)
{
	*type = 0;
	for (uint32_t off = sizeof(struct ivrs_header); off < length;) {
		uint16_t block_length = ivrs_block_length(table, length, off);
		if (block_length == 0)
			return IVRS_E_BLOCK;
		uint8_t t = table[off];
		if (ivrs_ivhd_type_supported(t) && t > *type)
			*type = t;
		off += block_length;
	}
	return *type ? IVRS_OK : IVRS_E_NO_IVHD;
}

int ivrs_parse(const void *table, uint32_t length, struct ivrs_info *out)
{
	const uint8_t *base = table;
	int err;

	*out = (struct ivrs_info){0};
	switch (acpi_table_check(table, length, "IVRS")) {
	case ACPI_OK:
		break;
	case ACPI_E_TABLE_SIGNATURE:
		return IVRS_E_SIGNATURE;
	case ACPI_E_TABLE_CHECKSUM:
		return IVRS_E_CHECKSUM;
	default:
		return IVRS_E_LENGTH;
	}
	length = ((const struct acpi_sdt_header *)table)->length; /* trailing bytes are not ours */
	if (length < sizeof(struct ivrs_header))
		return IVRS_E_LENGTH;
	out->ivinfo = ((const struct ivrs_header *)table)->ivinfo;

	err = ivrs_choose_type(base, length, &out->ivhd_type);
	if (err != IVRS_OK)
		return err;
	for (uint32_t off = sizeof(struct ivrs_header); off < length;) {
		uint16_t block_length = ivrs_block_length(base, length, off);
		uint8_t type = base[off];
		if (type == out->ivhd_type) {
			err = ivrs_parse_ivhd(base + off, block_length, out);
			if (err != IVRS_OK)
				return err;
		} else if (ivrs_ivmd_type(type)) {
			ivrs_add_ivmd(out, (const struct ivmd_block *)(base + off));
		}
		off += block_length;
	}
	return IVRS_OK;
}

/* Index of the narrowest device range naming 'devid' (a SELECT beats the ALL entry); -1 when
 * none does. */
static int ivrs_range_of(const struct ivrs_info *ivrs, uint16_t segment, uint16_t devid)
{
	int best = -1;
	uint32_t best_width = UINT32_MAX;
	for (unsigned i = 0; i < ivrs->dev_count; i++) {
		const struct ivrs_devrange *d = &ivrs->dev[i];
		if (ivrs->iommu[d->iommu].segment != segment || devid < d->first || devid > d->last)
			continue;
		uint32_t width = (uint32_t)d->last - d->first;
		if (width < best_width) {
			best = (int)i;
			best_width = width;
		}
	}
	return best;
}

static int ivrs_special_of(const struct ivrs_info *ivrs, uint16_t segment, uint16_t devid)
{
	for (unsigned i = 0; i < ivrs->special_count; i++) {
		const struct ivrs_special *s = &ivrs->special[i];
		if (s->devid == devid && ivrs->iommu[s->iommu].segment == segment)
			return (int)i;
	}
	return -1;
}

int ivrs_iommu_of(const struct ivrs_info *ivrs, uint16_t segment, uint16_t devid)
{
	int s = ivrs_special_of(ivrs, segment, devid);
	if (s >= 0)
		return ivrs->special[s].iommu;
	int r = ivrs_range_of(ivrs, segment, devid);
	return r >= 0 ? ivrs->dev[r].iommu : -1;
}

uint8_t ivrs_settings_of(const struct ivrs_info *ivrs, uint16_t segment, uint16_t devid)
{
	int s = ivrs_special_of(ivrs, segment, devid);
	if (s >= 0)
		return ivrs->special[s].settings;
	int r = ivrs_range_of(ivrs, segment, devid);
	if (r >= 0)
		return ivrs->dev[r].settings;
	/* the requester ID an alias entry names gets the aliased devices' setting */
	for (unsigned i = 0; i < ivrs->dev_count; i++) {
		const struct ivrs_devrange *d = &ivrs->dev[i];
		if (d->aliased && d->alias == devid && ivrs->iommu[d->iommu].segment == segment)
			return d->settings;
	}
	return 0;
}

bool ivrs_ivmd_applies(const struct ivrs_ivmd *m, uint16_t segment, uint16_t devid)
{
	return m->segment == segment && devid >= m->first && devid <= m->last;
}

const char *ivrs_strerror(int err)
{
	switch (err) {
	case IVRS_OK:
		return "success";
	case IVRS_E_SIGNATURE:
		return "IVRS signature invalid";
	case IVRS_E_LENGTH:
		return "IVRS length invalid";
	case IVRS_E_CHECKSUM:
		return "IVRS checksum mismatch";
	case IVRS_E_BLOCK:
		return "malformed IVHD/IVMD block";
	case IVRS_E_ENTRY:
		return "malformed IVHD device entry";
	case IVRS_E_NO_IVHD:
		return "no supported IVHD block";
	default:
		return "unknown IVRS error";
	}
}
