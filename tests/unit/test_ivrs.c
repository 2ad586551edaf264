// sources: iommu/ivrs.c kernel/acpi.c
/* IVRS parsing: the real tables QEMU 7.2 builds for -device amd-iommu (tests/unit/data), and
 * synthetic tables for the block types and device entries QEMU does not generate. */
#include "iommu/ivrs.h"
#include "kernel/acpi.h"
#include "tests/unit/check.h"

#include <string.h>

static struct ivrs_info info;

static size_t load(const char *set, uint8_t *buf, size_t size)
{
	char path[1024];
	const char *slash = strrchr(__FILE__, '/');
	int n = slash ? (int)(slash - __FILE__ + 1) : 0;

	snprintf(path, sizeof(path), "%.*sdata/%s/IVRS.bin", n, __FILE__, set);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 0;
	}
	size_t got = fread(buf, 1, size, f);
	fclose(f);
	return got;
}

/* QEMU's IVRS (hw/i386/acpi-build.c build_amd_iommu, as shown by iasl -d): revision 1, IVinfo
 * 0x2800 (PASize 40), one IVHD 10h with flags 0xd1 at MMIO 0xfed80000, capability at 0x40,
 * feature reporting 0x44 (GTSup, GASup), one SELECT entry per PCI function on bus 0, and a
 * SPECIAL entry for IOAPIC 0 as device 00:14.0. */
static void check_qemu(uint16_t iommu_devid, const uint16_t *selects, unsigned n)
{
	CHECK_EQ(info.ivinfo, 0x2800);
	CHECK_EQ(info.ivhd_type, IVHD_TYPE_10H);
	CHECK_EQ(info.iommu_count, 1);
	CHECK_EQ(info.iommu[0].type, 0x10);
	CHECK_EQ(info.iommu[0].flags, 0xd1);
	CHECK_EQ(info.iommu[0].devid, iommu_devid);
	CHECK_EQ(info.iommu[0].cap_ptr, 0x40);
	CHECK_EQ(info.iommu[0].mmio_base, 0xfed80000);
	CHECK_EQ(info.iommu[0].segment, 0);
	CHECK_EQ(info.iommu[0].feature, 0x44);
	CHECK_EQ(info.iommu[0].efr, 0);
	CHECK(info.iommu[0].ga_sup);
	CHECK(!info.iommu[0].xt_sup);
	CHECK_EQ(info.dev_count, n);
	for (unsigned i = 0; i < n && i < IVRS_MAX_DEVS; i++) {
		CHECK_EQ(info.dev[i].first, selects[i]);
		CHECK_EQ(info.dev[i].last, selects[i]);
		CHECK_EQ(info.dev[i].alias, selects[i]);
		CHECK_EQ(info.dev[i].settings, 0);
		CHECK_EQ(info.dev[i].iommu, 0);
		CHECK(!info.dev[i].aliased);
	}
	CHECK_EQ(info.special_count, 1);
	CHECK_EQ(info.special[0].handle, 0);
	CHECK_EQ(info.special[0].variety, IVHD_SPECIAL_IOAPIC);
	CHECK_EQ(info.special[0].devid, 0xa0);
	CHECK_EQ(info.ivmd_count, 0);
	CHECK_EQ(info.dropped, 0);
}

static void test_qemu(void)
{
	static uint8_t buf[4096];
	size_t n;

	/* -net none: 00:00.0 host bridge, 00:01.0 VGA, 00:02.0 IOMMU, 00:1f.0/2/3 ICH9. */
	static const uint16_t ovmf[] = {0x00, 0x08, 0x10, 0xf8, 0xfa, 0xfb};
	n = load("qemu-q35-iommu-ovmf", buf, sizeof(buf));
	CHECK_EQ(n, 104);
	CHECK_EQ(ivrs_parse(buf, n, &info), IVRS_OK);
	check_qemu(0x10, ovmf, ARRAY_SIZE(ovmf));

	/* Default NIC at 00:02.0 moves the IOMMU to 00:03.0. */
	static const uint16_t seabios[] = {0x00, 0x08, 0x10, 0x18, 0xf8, 0xfa, 0xfb};
	n = load("qemu-q35-iommu-seabios", buf, sizeof(buf));
	CHECK_EQ(n, 108);
	CHECK_EQ(ivrs_parse(buf, n, &info), IVRS_OK);
	check_qemu(0x18, seabios, ARRAY_SIZE(seabios));

	/* Fewer bytes available than the table claims. */
	CHECK_EQ(ivrs_parse(buf, n - 1, &info), IVRS_E_LENGTH);
	/* More bytes available than the table claims: the extra is not parsed. */
	buf[n] = 0xff;
	CHECK_EQ(ivrs_parse(buf, n + 1, &info), IVRS_OK);
	CHECK_EQ(info.dev_count, 7);

	n = load("malformed/ivrs-bad-checksum", buf, sizeof(buf));
	CHECK_EQ(n, 104);
	CHECK_EQ(ivrs_parse(buf, n, &info), IVRS_E_CHECKSUM);
}

/* ---- synthetic tables ---- */

static uint8_t tbl[16384];
static uint16_t next_segment; /* PCI segment of the IVHD blocks ivhd_begin() writes */
static size_t tlen, block_at;

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void ivrs_begin(uint32_t ivinfo)
{
	memset(tbl, 0, sizeof(tbl));
	memcpy(tbl, "IVRS", 4);
	tbl[8] = 2;
	put_le(tbl + 36, ivinfo, 4);
	tlen = 48;
}

static void ivhd_begin(uint8_t type, uint8_t flags, uint16_t devid, uint64_t mmio, uint32_t feature,
                       uint64_t efr)
{
	uint8_t *h = tbl + tlen;
	block_at = tlen;
	h[0] = type;
	h[1] = flags;
	put_le(h + 4, devid, 2);
	put_le(h + 6, 0x40, 2);
	put_le(h + 8, mmio, 8);
	put_le(h + 16, next_segment, 2);
	put_le(h + 20, feature, 4);
	if (type == 0x10) {
		tlen += 24;
	} else {
		put_le(h + 24, efr, 8);
		tlen += 40;
	}
}

static void block_end(void)
{
	put_le(tbl + block_at + 2, tlen - block_at, 2);
}

static void entry(const uint8_t *e, size_t n)
{
	memcpy(tbl + tlen, e, n);
	tlen += n;
}

static void entry4(uint8_t type, uint16_t devid, uint8_t settings)
{
	uint8_t e[4] = {type, (uint8_t)devid, (uint8_t)(devid >> 8), settings};
	entry(e, 4);
}

static void entry8(uint8_t type, uint16_t devid, uint8_t settings, uint8_t b4, uint16_t w5,
                   uint8_t b7)
{
	uint8_t e[8] = {type, (uint8_t)devid, (uint8_t)(devid >> 8), settings,
	                b4,   (uint8_t)w5,    (uint8_t)(w5 >> 8),    b7};
	entry(e, 8);
}

static void ivmd(uint8_t type)
{
	uint8_t b[32] = {type, 0, 32, 0};
	entry(b, 32);
}

/* An IVMD block (#48882 §5.2.3): devid at 4, last devid (RANGE) at 6, segment at 8, start at 16,
 * length at 24. */
static void ivmd_full(uint8_t type, uint8_t flags, uint16_t devid, uint16_t aux, uint16_t segment,
                      uint64_t start, uint64_t length)
{
	uint8_t b[32] = {type, flags, 32, 0};
	put_le(b + 4, devid, 2);
	put_le(b + 6, aux, 2);
	put_le(b + 8, segment, 2);
	put_le(b + 16, start, 8);
	put_le(b + 24, length, 8);
	entry(b, 32);
}

static int parse(void)
{
	put_le(tbl + 4, tlen, 4);
	tbl[9] = 0;
	tbl[9] = (uint8_t)-acpi_checksum(tbl, tlen);
	return ivrs_parse(tbl, (uint32_t)tlen, &info);
}

#define EFR_XTSUP (1ull << 2)
#define EFR_GASUP (1ull << 7)

/* Firmware for a newer IOMMU describes it with 10h, 11h and 40h blocks; only the 40h ones
 * (the highest) are used, for both IOMMUs. */
static void test_types_and_entries(void)
{
	ivrs_begin(0x00203041);
	ivhd_begin(0x10, 0xb0, 0x0002, 0xfd200000, 0x80048f6e, 0);
	entry4(0x02, 0x0bad, 0);
	block_end();
	ivhd_begin(0x11, 0xb0, 0x0002, 0xfd200000, 0, EFR_GASUP);
	entry4(0x02, 0x0bad, 0);
	block_end();
	ivmd(0x21);
	ivhd_begin(0x40, 0xb0, 0x0002, 0xfd200000, 0x12345678,
	           EFR_GASUP | EFR_XTSUP | (1ull << 46));
	entry4(0x01, 0, 0x00);                    /* ALL */
	entry4(0x02, 0x0010, 0x01);               /* SELECT 00:02.0 */
	entry4(0x03, 0x0100, 0x02);               /* range 01:00.0 .. */
	entry4(0x04, 0x01ff, 0x00);               /* .. 01:1f.7 */
	entry8(0x42, 0x0300, 0x04, 0, 0x02ff, 0); /* alias select */
	entry8(0x43, 0x0400, 0x08, 0, 0x03ff, 0); /* alias range .. */
	entry4(0x04, 0x04ff, 0x00);               /* .. end */
	entry8(0x46, 0x0500, 0x10, 0, 0, 0x80);   /* extended select, ATS disabled */
	entry8(0x47, 0x0600, 0x20, 0, 0, 0);      /* extended range .. */
	entry4(0x04, 0x06ff, 0x00);               /* .. end */
	entry8(0x48, 0, 0xd7, 0x21, 0x00a0, 1);   /* SPECIAL IOAPIC 0x21 = 00:14.0 */
	entry8(0x48, 0, 0x00, 0x00, 0x00a5, 2);   /* SPECIAL HPET 0 = 00:14.5 */
	uint8_t hid[27] = {0xf0, 0xa5, 0x00, 0x40, 'A', 'M', 'D', 'I', '0', '0', '2', '0'};
	hid[20] = 2; /* UID format: string */
	hid[21] = 5; /* UID length */
	memcpy(hid + 22, "ID00", 5);
	entry(hid, sizeof(hid));          /* ACPI_HID, 27 bytes */
	entry4(0x00, 0, 0);               /* padding */
	entry4(0x05, 0x0bad, 0);          /* reserved 4-byte type */
	entry8(0x41, 0x0bad, 0, 0, 0, 0); /* reserved 8-byte type */
	entry4(0x02, 0x0700, 0x40);       /* SELECT after all of them */
	block_end();
	ivhd_begin(0x40, 0x30, 0x1002, 0xfe200000, 0, 0);
	entry4(0x02, 0x1000, 0x00);
	block_end();
	ivmd(0x20);
	ivmd(0x22);

	CHECK_EQ(parse(), IVRS_OK);
	CHECK_EQ(info.ivinfo, 0x00203041);
	CHECK_EQ(info.ivhd_type, 0x40);
	CHECK_EQ(info.ivmd_count, 0); /* flags 0: neither unity map nor exclusion range */
	CHECK_EQ(info.iommu_count, 2);
	CHECK_EQ(info.iommu[0].type, 0x40);
	CHECK_EQ(info.iommu[0].devid, 0x0002);
	CHECK_EQ(info.iommu[0].mmio_base, 0xfd200000);
	CHECK_EQ(info.iommu[0].feature, 0x12345678);
	CHECK_EQ(info.iommu[0].efr, EFR_GASUP | EFR_XTSUP | (1ull << 46));
	CHECK(info.iommu[0].ga_sup);
	CHECK(info.iommu[0].xt_sup);
	CHECK_EQ(info.iommu[1].devid, 0x1002);
	CHECK_EQ(info.iommu[1].mmio_base, 0xfe200000);
	CHECK_EQ(info.iommu[1].flags, 0x30);
	CHECK(!info.iommu[1].ga_sup);
	CHECK(!info.iommu[1].xt_sup);

	static const struct ivrs_devrange want[] = {
	    {0x0000, 0xffff, 0x0000, 0x00, 0, false}, {0x0010, 0x0010, 0x0010, 0x01, 0, false},
	    {0x0100, 0x01ff, 0x0100, 0x02, 0, false}, {0x0300, 0x0300, 0x02ff, 0x04, 0, true},
	    {0x0400, 0x04ff, 0x03ff, 0x08, 0, true},  {0x0500, 0x0500, 0x0500, 0x10, 0, false},
	    {0x0600, 0x06ff, 0x0600, 0x20, 0, false}, {0x0700, 0x0700, 0x0700, 0x40, 0, false},
	    {0x1000, 0x1000, 0x1000, 0x00, 1, false},
	};
	CHECK_EQ(info.dev_count, ARRAY_SIZE(want));
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		CHECK_EQ(info.dev[i].first, want[i].first);
		CHECK_EQ(info.dev[i].last, want[i].last);
		CHECK_EQ(info.dev[i].alias, want[i].alias);
		CHECK_EQ(info.dev[i].settings, want[i].settings);
		CHECK_EQ(info.dev[i].iommu, want[i].iommu);
		CHECK_EQ(info.dev[i].aliased, want[i].aliased);
	}
	CHECK_EQ(info.special_count, 2);
	CHECK_EQ(info.special[0].handle, 0x21);
	CHECK_EQ(info.special[0].devid, 0x00a0);
	CHECK_EQ(info.special[0].variety, IVHD_SPECIAL_IOAPIC);
	CHECK_EQ(info.special[0].settings, 0xd7);
	CHECK_EQ(info.special[1].handle, 0);
	CHECK_EQ(info.special[1].devid, 0x00a5);
	CHECK_EQ(info.special[1].variety, IVHD_SPECIAL_HPET);
	CHECK_EQ(info.dropped, 0);

	/* Only 10h and 11h: 11h wins, GASup/XTSup from its EFR image. */
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 0x0002, 0xfd200000, 0x41, 0);
	block_end();
	ivhd_begin(0x11, 0, 0x0002, 0xfd200000, 0, EFR_XTSUP);
	entry4(0x02, 0x0008, 0);
	block_end();
	CHECK_EQ(parse(), IVRS_OK);
	CHECK_EQ(info.ivhd_type, 0x11);
	CHECK_EQ(info.iommu_count, 1);
	CHECK(!info.iommu[0].ga_sup);
	CHECK(info.iommu[0].xt_sup);
	CHECK_EQ(info.dev_count, 1);

	/* 10h only: GASup from feature bit 6; its XTSup bit 0 is not trusted. */
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 0x0002, 0xfd200000, 0x41, 0);
	block_end();
	CHECK_EQ(parse(), IVRS_OK);
	CHECK_EQ(info.ivhd_type, 0x10);
	CHECK(info.iommu[0].ga_sup);
	CHECK(!info.iommu[0].xt_sup);
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 0x0002, 0xfd200000, 0x01, 0);
	block_end();
	CHECK_EQ(parse(), IVRS_OK);
	CHECK(!info.iommu[0].ga_sup);

	/* Unsupported IVHD types are skipped (a future type, say 50h). */
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 0x0002, 0xfd200000, 0, 0);
	block_end();
	uint8_t future[8] = {0x50, 0, 8, 0};
	entry(future, sizeof(future));
	CHECK_EQ(parse(), IVRS_OK);
	CHECK_EQ(info.ivhd_type, 0x10);
}

static void test_limits(void)
{
	/* 17 IOMMUs, 520 devices, 34 special entries, unmatched range ends. */
	ivrs_begin(0);
	for (unsigned i = 0; i < IVRS_MAX_IOMMUS + 1; i++) {
		ivhd_begin(0x10, 0, (uint16_t)(0x2 + i), 0xfd200000 + i * 0x100000, 0, 0);
		if (i == 0) {
			for (unsigned d = 0; d < IVRS_MAX_DEVS + 6; d++)
				entry4(0x02, (uint16_t)d, 0);
			for (unsigned s = 0; s < IVRS_MAX_SPECIAL + 2; s++)
				entry8(0x48, 0, 0, (uint8_t)s, (uint16_t)(0xa0 + s), 1);
			entry4(0x04, 0x10, 0); /* end without start */
			entry4(0x03, 0x20, 0); /* start ... */
			entry4(0x04, 0x1f, 0); /* ... end before it */
			entry4(0x03, 0x30, 0); /* start never closed */
		}
		block_end();
	}
	CHECK_EQ(parse(), IVRS_OK);
	CHECK_EQ(info.iommu_count, IVRS_MAX_IOMMUS);
	CHECK_EQ(info.iommu[3].devid, 0x5);
	CHECK_EQ(info.dev_count, IVRS_MAX_DEVS);
	CHECK_EQ(info.special_count, IVRS_MAX_SPECIAL);
	CHECK_EQ(info.special[IVRS_MAX_SPECIAL - 1].devid, 0xa0 + IVRS_MAX_SPECIAL - 1);
	/* 1 IOMMU + 6 devices + 2 special + 3 bad ranges */
	CHECK_EQ(info.dropped, 1 + 6 + 2 + 3);
	CHECK_EQ(info.iommu[IVRS_MAX_IOMMUS - 1].devid, 0x2 + IVRS_MAX_IOMMUS - 1);
}

static void test_malformed(void)
{
	/* Block length 0: must fail, not loop. */
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 2, 0xfd200000, 0, 0);
	block_end();
	uint8_t zero[4] = {0x20, 0, 0, 0};
	entry(zero, 4);
	CHECK_EQ(parse(), IVRS_E_BLOCK);

	/* IVHD shorter than its header; IVMD shorter than 32 bytes; block past the table end. */
	ivrs_begin(0);
	ivhd_begin(0x40, 0, 2, 0xfd200000, 0, 0);
	put_le(tbl + block_at + 2, 24, 2); /* 40h needs 40 */
	CHECK_EQ(parse(), IVRS_E_BLOCK);
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 2, 0xfd200000, 0, 0);
	block_end();
	uint8_t short_ivmd[8] = {0x21, 0, 8, 0};
	entry(short_ivmd, 8);
	CHECK_EQ(parse(), IVRS_E_BLOCK);
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 2, 0xfd200000, 0, 0);
	entry4(0x02, 0x8, 0);
	block_end();
	put_le(tbl + block_at + 2, 32, 2); /* 4 bytes more than there are */
	CHECK_EQ(parse(), IVRS_E_BLOCK);
	/* Three stray bytes after the last block. */
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 2, 0xfd200000, 0, 0);
	block_end();
	tlen += 3;
	CHECK_EQ(parse(), IVRS_E_BLOCK);

	/* Device entries: an 8-byte entry with 4 bytes left, an unknown type >= 80h, an ACPI_HID
	 * whose UID runs past the block. */
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 2, 0xfd200000, 0, 0);
	entry4(0x42, 0x8, 0);
	block_end();
	CHECK_EQ(parse(), IVRS_E_ENTRY);
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 2, 0xfd200000, 0, 0);
	entry4(0x80, 0x8, 0);
	entry4(0x02, 0x8, 0);
	block_end();
	CHECK_EQ(parse(), IVRS_E_ENTRY);
	ivrs_begin(0);
	ivhd_begin(0x40, 0, 2, 0xfd200000, 0, 0);
	uint8_t hid[24] = {0xf0};
	hid[21] = 3; /* 22 + 3 = 25 > 24 */
	entry(hid, sizeof(hid));
	block_end();
	CHECK_EQ(parse(), IVRS_E_ENTRY);

	/* No IVHD at all. */
	ivrs_begin(0);
	ivmd(0x20);
	CHECK_EQ(parse(), IVRS_E_NO_IVHD);
	ivrs_begin(0);
	CHECK_EQ(parse(), IVRS_E_NO_IVHD);

	/* Table-level: signature, length below the IVRS header, too little data. */
	ivrs_begin(0);
	ivhd_begin(0x10, 0, 2, 0xfd200000, 0, 0);
	block_end();
	CHECK_EQ(parse(), IVRS_OK);
	tbl[0] = 'X';
	CHECK_EQ(parse(), IVRS_E_SIGNATURE);
	tbl[0] = 'I';
	tlen = 40;
	CHECK_EQ(parse(), IVRS_E_LENGTH);
	CHECK_EQ(ivrs_parse(tbl, 20, &info), IVRS_E_LENGTH);

	CHECK(strcmp(ivrs_strerror(IVRS_E_ENTRY), "malformed IVHD device entry") == 0);
	CHECK(strcmp(ivrs_strerror(-99), "unknown IVRS error") == 0);
	for (int e = IVRS_E_NO_IVHD; e <= IVRS_OK; e++)
		CHECK(strcmp(ivrs_strerror(e), "unknown IVRS error") != 0);
}

/* A two-socket Genoa: 8 IOMMUs of IVHD 40h (described once more as 10h and 11h), four on
 * segment 0 and four on segment 1; IVMD unity and exclusion blocks; per-device settings. */
static void test_two_sockets(void)
{
	ivrs_begin(0x00203041);
	for (unsigned type = 0; type < 3; type++) {
		static const uint8_t types[] = {0x10, 0x11, 0x40};
		for (unsigned i = 0; i < 8; i++) {
			next_segment = (uint16_t)(i / 4);
			uint16_t bus = (uint16_t)((i % 4) * 0x40);
			ivhd_begin(types[type], 0x0b ^ (uint8_t)i, (uint16_t)((bus << 8) | 2),
			           0xf0000000ull + i * 0x80000, 0, EFR_GASUP | EFR_XTSUP);
			entry4(0x03, (uint16_t)(bus << 8), 0x00);           /* range: 0x40 buses */
			entry4(0x04, (uint16_t)(((bus + 0x3f) << 8) | 0xff), 0);
			entry4(0x02, (uint16_t)((bus << 8) | 0x41), 0x40); /* SELECT: Lint0Pass */
			if (i == 0)
				entry8(0x48, 0, 0xd7, 0xf0, 0x00a0, 1); /* IOAPIC 0xf0 */
			block_end();
		}
	}
	next_segment = 0;
	ivmd_full(0x21, 0x07, 0x0041, 0, 0, 0x9d000000, 0x3000);            /* unity rw */
	ivmd_full(0x22, 0x03, 0x4000, 0x40ff, 1, 0x9e000000, 0x1000);       /* unity read */
	ivmd_full(0x20, 0x08, 0, 0, 1, 0xa0000000, 0x2000);                 /* exclusion */
	ivmd_full(0x21, 0x00, 0x0041, 0, 0, 0x9f000000, 0x1000);            /* no flags: skip */
	ivmd_full(0x22, 0x01, 0x4100, 0x40ff, 0, 0x9f000000, 0x1000);       /* last < first */
	ivmd_full(0x21, 0x01, 0x0042, 0, 0, 0xfffffffffffff000ull, 0x2000); /* wraps */

	CHECK_EQ(parse(), IVRS_OK);
	CHECK_EQ(info.ivhd_type, 0x40);
	CHECK_EQ(info.iommu_count, 8);
	for (unsigned i = 0; i < 8 && i < info.iommu_count; i++) {
		CHECK_EQ(info.iommu[i].segment, i / 4);
		CHECK_EQ(info.iommu[i].flags, 0x0b ^ i);
		CHECK_EQ(info.iommu[i].mmio_base, 0xf0000000ull + i * 0x80000);
	}
	CHECK_EQ(info.dev_count, 16);
	CHECK_EQ(info.special_count, 1);
	CHECK_EQ(info.dropped, 2);
	/* which IOMMU translates a device: by segment, the narrowest entry */
	CHECK_EQ(ivrs_iommu_of(&info, 0, 0x0000), 0);
	CHECK_EQ(ivrs_iommu_of(&info, 0, 0x4100), 1);
	CHECK_EQ(ivrs_iommu_of(&info, 0, 0xc0ff), 3);
	CHECK_EQ(ivrs_iommu_of(&info, 1, 0x0000), 4);
	CHECK_EQ(ivrs_iommu_of(&info, 1, 0xffff), 7);
	CHECK_EQ(ivrs_iommu_of(&info, 2, 0x0000), -1);
	CHECK_EQ(ivrs_iommu_of(&info, 0, 0x00a0), 0);
	CHECK_EQ(ivrs_settings_of(&info, 0, 0x00a0), 0xd7);
	CHECK_EQ(ivrs_settings_of(&info, 0, 0x0041), 0x40);
	CHECK_EQ(ivrs_settings_of(&info, 0, 0x0042), 0);
	CHECK_EQ(ivrs_settings_of(&info, 1, 0x4041), 0x40);
	CHECK_EQ(ivrs_settings_of(&info, 1, 0x00a0), 0);
	/* IVMD */
	CHECK_EQ(info.ivmd_count, 3);
	CHECK_EQ(info.ivmd[0].type, 0x21);
	CHECK_EQ(info.ivmd[0].flags, 0x07);
	CHECK_EQ(info.ivmd[0].first, 0x41);
	CHECK_EQ(info.ivmd[0].last, 0x41);
	CHECK_EQ(info.ivmd[0].start, 0x9d000000);
	CHECK_EQ(info.ivmd[0].length, 0x3000);
	CHECK_EQ(info.ivmd[1].segment, 1);
	CHECK_EQ(info.ivmd[1].first, 0x4000);
	CHECK_EQ(info.ivmd[1].last, 0x40ff);
	CHECK_EQ(info.ivmd[2].first, 0);
	CHECK_EQ(info.ivmd[2].last, 0xffff);
	CHECK_EQ(info.ivmd[2].flags, IVMD_FLAG_EXCL_RANGE);
	CHECK(ivrs_ivmd_applies(&info.ivmd[1], 1, 0x4080));
	CHECK(!ivrs_ivmd_applies(&info.ivmd[1], 0, 0x4080));
	CHECK(!ivrs_ivmd_applies(&info.ivmd[1], 1, 0x4100));
}

int main(void)
{
	test_qemu();
	test_types_and_entries();
	test_limits();
	test_two_sockets();
	test_malformed();
	return check_summary("ivrs");
}
