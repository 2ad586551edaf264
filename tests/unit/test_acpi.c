// sources: kernel/acpi.c
/* ACPI parsing against real QEMU 7.2 tables (tests/unit/data, see its README.md), hand-made
 * malformed variants of them, and synthetic tables for what QEMU does not generate. The tables
 * are placed at their captured physical addresses in a fake physical address space. */
#include "kernel/acpi.h"
#include "tests/unit/check.h"

#include <stdlib.h>
#include <string.h>

/* ---- fake physical memory ---- */

struct region {
	uint64_t base, size;
	uint8_t *data;
};

static struct region regions[64];
static unsigned region_count;
static unsigned map_calls;

static const void *fake_map(uint64_t paddr, uint64_t len)
{
	map_calls++;
	for (unsigned i = 0; i < region_count; i++) {
		const struct region *r = &regions[i];
		if (paddr >= r->base && paddr - r->base <= r->size &&
		    len <= r->size - (paddr - r->base))
			return r->data + (paddr - r->base);
	}
	return NULL;
}

static void fake_reset(void)
{
	for (unsigned i = 0; i < region_count; i++)
		free(regions[i].data);
	region_count = 0;
}

static uint8_t *fake_add(uint64_t base, const void *data, uint64_t size)
{
	struct region *r = &regions[region_count++];
	r->base = base;
	r->size = size;
	r->data = calloc(1, size ? size : 1);
	if (data)
		memcpy(r->data, data, size);
	return r->data;
}

static char data_dir[512];

/* tests/unit/data, found next to this source file. */
static void find_data_dir(void)
{
	const char *slash = strrchr(__FILE__, '/');
	int n = slash ? (int)(slash - __FILE__ + 1) : 0;
	snprintf(data_dir, sizeof(data_dir), "%.*sdata", n, __FILE__);
}

static bool load_file(const char *path, uint64_t base)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	fake_add(base, buf, n);
	return true;
}

/* Loads the table set described by data/<set>/index.txt; returns the RSDP address (0 on error). */
static uint64_t load_set(const char *set)
{
	char path[1024], word[16], file[256];
	unsigned long long addr, rsdp = 0;

	fake_reset();
	snprintf(path, sizeof(path), "%s/%s/index.txt", data_dir, set);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 0;
	}
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s", word) != 1 || word[0] == '#')
			continue;
		if (strcmp(word, "rsdp") == 0 && sscanf(line, "%*s %llx", &addr) == 1)
			rsdp = addr;
		if (strcmp(word, "table") == 0 &&
		    sscanf(line, "%*s %255s %llx", file, &addr) == 2) {
			snprintf(path, sizeof(path), "%s/%s/%s", data_dir, set, file);
			if (!load_file(path, addr)) {
				fprintf(stderr, "cannot load %s\n", path);
				rsdp = 0;
			}
		}
	}
	fclose(f);
	return rsdp;
}

static struct acpi_info info;

static bool str_is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* ---- real QEMU tables ---- */

/* The interrupt wiring QEMU's pc and q35 machines describe (hw/i386/acpi-common.c, as shown by
 * iasl -d): one IOAPIC at 0xfec00000 with GSI base 0, ISA IRQ 0 -> GSI 2 with bus-default flags,
 * IRQs 5, 9, 10, 11 level-triggered active-high (INTI flags 0xd), LINT1 NMI on all CPUs. */
static void check_qemu_interrupts(void)
{
	static const struct acpi_iso iso[] = {
	    {0, 0, 2, 0}, {0, 5, 5, 0xd}, {0, 9, 9, 0xd}, {0, 10, 10, 0xd}, {0, 11, 11, 0xd}};

	CHECK_EQ(info.lapic_base, 0xfee00000);
	CHECK_EQ(info.madt_flags, 1); /* PCAT_COMPAT */
	CHECK_EQ(info.ioapic_count, 1);
	CHECK_EQ(info.ioapic[0].id, 0);
	CHECK_EQ(info.ioapic[0].base, 0xfec00000);
	CHECK_EQ(info.ioapic[0].gsi_base, 0);
	CHECK_EQ(info.iso_count, 5);
	for (unsigned i = 0; i < 5; i++) {
		CHECK_EQ(info.iso[i].bus, iso[i].bus);
		CHECK_EQ(info.iso[i].source, iso[i].source);
		CHECK_EQ(info.iso[i].gsi, iso[i].gsi);
		CHECK_EQ(info.iso[i].flags, iso[i].flags);
	}
	CHECK_EQ(info.lapic_nmi_count, 1);
	CHECK_EQ(info.lapic_nmi[0].uid, UINT32_MAX);
	CHECK_EQ(info.lapic_nmi[0].flags, 0);
	CHECK_EQ(info.lapic_nmi[0].lint, 1);
	CHECK_EQ(info.nmi_source_count, 0);
	CHECK_EQ(info.madt_dropped, 0);
	CHECK_EQ(info.invalid_count, 0);
	CHECK_EQ(info.first_invalid, ACPI_OK);
}

static void check_cpus(unsigned n)
{
	CHECK_EQ(info.cpu_count, n);
	CHECK_EQ(info.cpu_enabled_count, n);
	CHECK_EQ(info.cpu_online_capable_count, 0);
	for (unsigned i = 0; i < n && i < ACPI_MAX_CPUS; i++) {
		CHECK_EQ(info.cpu[i].apic_id, i);
		CHECK_EQ(info.cpu[i].uid, i);
		CHECK(info.cpu[i].enabled);
		CHECK(!info.cpu[i].online_capable);
		CHECK(!info.cpu[i].x2apic_entry);
	}
}

static void test_qemu_pc(void)
{
	uint64_t rsdp = load_set("qemu-pc-smp2");
	CHECK_EQ(rsdp, 0xf59d0);
	CHECK_EQ(acpi_parse(rsdp, fake_map, &info), ACPI_OK);
	CHECK_EQ(info.rsdp, 0xf59d0);
	CHECK_EQ(info.revision, 0);
	CHECK(str_is(info.oem_id, "BOCHS "));
	CHECK_EQ(info.rsdt, 0x7fe1b33);
	CHECK_EQ(info.xsdt, 0);
	CHECK_EQ(info.root, 0x7fe1b33);
	CHECK_EQ(info.table_count, 4); /* FACP APIC HPET WAET */
	CHECK_EQ(info.fadt, 0x7fe19df);
	/* QEMU's PM block at 0x600 (PIIX4 and ICH9 alike): the PM timer at 0x608 (FADT PM_TMR_BLK) */
	CHECK_EQ(info.pm_timer_port, 0x608);
	CHECK(!info.pm_timer_32bit);
	CHECK_EQ(info.madt, 0x7fe1a53);
	CHECK_EQ(info.hpet, 0x7fe1ad3);
	/* power-off: PM1a_CNT at 0x604, the DSDT, SMI_CMD 0xb2 with PIIX4's ACPI_ENABLE 0xf1; a
	 * revision 1 FADT (116 bytes) has no reset register */
	CHECK_EQ(info.dsdt, 0x7fe0040);
	CHECK_EQ(info.pm1a_cnt, 0x604);
	CHECK_EQ(info.pm1b_cnt, 0);
	CHECK_EQ(info.smi_cmd, 0xb2);
	CHECK_EQ(info.acpi_enable, 0xf1);
	CHECK(!info.reset_supported);
	CHECK_EQ(info.mcfg, 0);
	CHECK_EQ(info.mcfg_count, 0);
	CHECK_EQ(info.ivrs, 0);
	check_cpus(2);
	check_qemu_interrupts();
}

static void check_q35_mcfg(void)
{
	/* q35's ECAM window: MCH_HOST_BRIDGE_PCIEXBAR_DEFAULT 0xb0000000, 256 buses. */
	CHECK_EQ(info.mcfg_count, 1);
	CHECK_EQ(info.mcfg_entry[0].base, 0xb0000000);
	CHECK_EQ(info.mcfg_entry[0].segment, 0);
	CHECK_EQ(info.mcfg_entry[0].bus_start, 0);
	CHECK_EQ(info.mcfg_entry[0].bus_end, 255);
}

/* ICH9: PM1a_CNT at 0x604, SMI_CMD 0xb2 with ACPI_ENABLE 2, the reset register: port 0xcf9,
 * value 0xf (kernel/power.h) */
static void check_q35_power(uint64_t dsdt)
{
	CHECK_EQ(info.dsdt, dsdt);
	CHECK_EQ(info.pm1a_cnt, 0x604);
	CHECK_EQ(info.pm1b_cnt, 0);
	CHECK_EQ(info.smi_cmd, 0xb2);
	CHECK_EQ(info.acpi_enable, 2);
	CHECK(info.reset_supported);
	CHECK_EQ(info.reset_space, 1);
	CHECK_EQ(info.reset_addr, 0xcf9);
	CHECK_EQ(info.reset_value, 0xf);
}

static void test_qemu_q35_seabios(void)
{
	uint64_t rsdp = load_set("qemu-q35-iommu-seabios");
	CHECK_EQ(acpi_parse(rsdp, fake_map, &info), ACPI_OK);
	CHECK_EQ(info.revision, 0);
	CHECK_EQ(info.xsdt, 0);
	CHECK_EQ(info.root, 0xffe2475);
	CHECK_EQ(info.table_count, 6); /* FACP APIC HPET MCFG IVRS WAET */
	CHECK_EQ(info.fadt, 0xffe21e9);
	/* QEMU's PM block at 0x600 (PIIX4 and ICH9 alike): the PM timer at 0x608 (FADT PM_TMR_BLK) */
	CHECK_EQ(info.pm_timer_port, 0x608);
	CHECK(!info.pm_timer_32bit);
	CHECK_EQ(info.madt, 0xffe22dd);
	CHECK_EQ(info.hpet, 0xffe236d);
	check_q35_power(0xffe0040);
	CHECK_EQ(info.mcfg, 0xffe23a5);
	CHECK_EQ(info.ivrs, 0xffe23e1);
	check_cpus(4);
	check_qemu_interrupts();
	check_q35_mcfg();
}

static void test_qemu_q35_ovmf(void)
{
	uint64_t rsdp = load_set("qemu-q35-iommu-ovmf");
	CHECK_EQ(rsdp, 0xf77d014);
	CHECK_EQ(acpi_parse(rsdp, fake_map, &info), ACPI_OK);
	CHECK_EQ(info.revision, 2);
	CHECK(str_is(info.oem_id, "BOCHS "));
	CHECK_EQ(info.xsdt, 0xf77c0e8);
	CHECK_EQ(info.rsdt, 0xf77c074);
	CHECK_EQ(info.root, 0xf77c0e8); /* XSDT preferred */
	CHECK_EQ(info.table_count, 7);  /* FACP APIC HPET MCFG IVRS WAET BGRT */
	CHECK_EQ(info.fadt, 0xf778000);
	/* QEMU's PM block at 0x600 (PIIX4 and ICH9 alike): the PM timer at 0x608 (FADT PM_TMR_BLK) */
	CHECK_EQ(info.pm_timer_port, 0x608);
	CHECK(!info.pm_timer_32bit);
	CHECK_EQ(info.madt, 0xf777000);
	CHECK_EQ(info.hpet, 0xf776000);
	check_q35_power(0xf779000); /* OVMF's FADT: also X_DSDT and X_PM1a_CNT_BLK */
	CHECK_EQ(info.mcfg, 0xf775000);
	CHECK_EQ(info.ivrs, 0xf774000);
	check_cpus(4);
	check_qemu_interrupts();
	check_q35_mcfg();
}

/* ---- malformed variants (data/malformed/make.py) ---- */

static void test_malformed(void)
{
	static const struct {
		const char *set;
		int err;
	} fatal[] = {
	    {"malformed/rsdp-bad-checksum", ACPI_E_RSDP_CHECKSUM},
	    {"malformed/rsdp-bad-xchecksum", ACPI_E_RSDP_XCHECKSUM},
	    {"malformed/rsdp-truncated", ACPI_E_MAP},
	    {"malformed/madt-bad-checksum", ACPI_E_NO_MADT},
	    {"malformed/madt-truncated", ACPI_E_NO_MADT},
	    {"malformed/madt-zero-length-entry", ACPI_E_MADT_ENTRY},
	    {"malformed/madt-entry-past-end", ACPI_E_MADT_ENTRY},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(fatal); i++) {
		uint64_t rsdp = load_set(fatal[i].set);
		CHECK_EQ(rsdp, 0xf77d014);
		map_calls = 0;
		int err = acpi_parse(rsdp, fake_map, &info);
		if (err != fatal[i].err)
			fprintf(stderr, "%s: %d (%s)\n", fatal[i].set, err, acpi_strerror(err));
		CHECK_EQ(err, fatal[i].err);
		CHECK(map_calls < 64); /* no runaway walk */
	}

	/* The broken MADT was skipped, not half-used: its failure is what was recorded. */
	load_set("malformed/madt-bad-checksum");
	acpi_parse(0xf77d014, fake_map, &info);
	CHECK_EQ(info.invalid_count, 1);
	CHECK_EQ(info.first_invalid, ACPI_E_TABLE_CHECKSUM);
	CHECK_EQ(info.madt, 0);
	CHECK_EQ(info.cpu_count, 0);
	load_set("malformed/madt-truncated");
	acpi_parse(0xf77d014, fake_map, &info);
	CHECK_EQ(info.first_invalid, ACPI_E_MAP);

	/* XSDT entries into AML and into nothing: both skipped, the rest parsed. */
	CHECK_EQ(acpi_parse(load_set("malformed/xsdt-entry-garbage"), fake_map, &info), ACPI_OK);
	CHECK_EQ(info.root, 0xf77c0e8);
	CHECK_EQ(info.table_count, 7);
	CHECK_EQ(info.invalid_count, 2);
	CHECK_EQ(info.first_invalid, ACPI_E_TABLE_SIGNATURE);
	CHECK_EQ(info.ivrs, 0);
	CHECK_EQ(info.madt, 0xf777000);
	CHECK_EQ(info.mcfg, 0xf775000);
	check_cpus(4);

	/* An RSDP whose XSDT address points into AML: the RSDT is used instead. */
	CHECK_EQ(acpi_parse(load_set("malformed/xsdt-address-garbage"), fake_map, &info), ACPI_OK);
	CHECK_EQ(info.xsdt, 0xf779200);
	CHECK_EQ(info.root, 0xf77c074);
	CHECK_EQ(info.invalid_count, 1);
	CHECK_EQ(info.first_invalid, ACPI_E_TABLE_SIGNATURE);
	CHECK_EQ(info.table_count, 7);
	CHECK_EQ(info.ivrs, 0xf774000);
	check_cpus(4);

	/* A broken IVRS is only absent. */
	CHECK_EQ(acpi_parse(load_set("malformed/ivrs-bad-checksum"), fake_map, &info), ACPI_OK);
	CHECK_EQ(info.ivrs, 0);
	CHECK_EQ(info.invalid_count, 1);
	CHECK_EQ(info.first_invalid, ACPI_E_TABLE_CHECKSUM);
	CHECK_EQ(info.mcfg, 0xf775000);

	/* Nothing mapped at all. */
	fake_reset();
	CHECK_EQ(acpi_parse(0xf77d014, fake_map, &info), ACPI_E_MAP);
}

/* ---- legacy BIOS RSDP search ---- */

static void test_find_rsdp_bios(void)
{
	uint64_t rsdp = 0;
	uint8_t good[20];

	load_set("qemu-pc-smp2");
	memcpy(good, fake_map(0xf59d0, 20), 20);
	fake_reset();
	uint8_t *bda = fake_add(0x400, NULL, 0x100);
	uint8_t *ebda = fake_add(0x9f800, NULL, 0x800); /* 0x9f800 .. 0xa0000 */
	uint8_t *rom = fake_add(0xe0000, NULL, 0x20000);
	bda[0x0e] = 0xc0; /* EBDA segment 0x9fc0 */
	bda[0x0f] = 0x9f;

	CHECK_EQ(acpi_find_rsdp_bios(fake_map, &rsdp), ACPI_E_NO_RSDP);
	memcpy(rom + 0x159d0, good, 20);
	CHECK_EQ(acpi_find_rsdp_bios(fake_map, &rsdp), ACPI_OK);
	CHECK_EQ(rsdp, 0xf59d0);
	/* A signature with a bad checksum earlier in the ROM is passed over. */
	memcpy(rom + 0x1000, good, 20);
	rom[0x1000 + 19] ^= 0x55;
	rsdp = 0;
	CHECK_EQ(acpi_find_rsdp_bios(fake_map, &rsdp), ACPI_OK);
	CHECK_EQ(rsdp, 0xf59d0);
	/* Only 16-byte boundaries count. */
	memcpy(rom + 0x2008, good, 20);
	CHECK_EQ(acpi_find_rsdp_bios(fake_map, &rsdp), ACPI_OK);
	CHECK_EQ(rsdp, 0xf59d0);
	/* The EBDA is searched first. */
	memcpy(ebda + 0x430, good, 20);
	CHECK_EQ(acpi_find_rsdp_bios(fake_map, &rsdp), ACPI_OK);
	CHECK_EQ(rsdp, 0x9fc30);
	/* With the EBDA at 0x9f800, 0x9fc30 lies beyond its first KiB and is not looked at. */
	bda[0x0e] = 0x80;
	CHECK_EQ(acpi_find_rsdp_bios(fake_map, &rsdp), ACPI_OK);
	CHECK_EQ(rsdp, 0xf59d0);
	/* An EBDA segment pointing at or above 640 KiB is ignored. */
	bda[0x0e] = 0x00;
	bda[0x0f] = 0xa0;
	CHECK_EQ(acpi_find_rsdp_bios(fake_map, &rsdp), ACPI_OK);
	CHECK_EQ(rsdp, 0xf59d0);

	/* The RSDP found in the ROM leads to the full parse of the captured tables. */
	load_set("qemu-pc-smp2");
	rom = fake_add(0xe0000, NULL, 0x20000);
	memcpy(rom + 0x159d0, good, 20);
	rsdp = 0;
	CHECK_EQ(acpi_find_rsdp_bios(fake_map, &rsdp), ACPI_OK); /* no BDA: ROM only */
	CHECK_EQ(rsdp, 0xf59d0);
	CHECK_EQ(acpi_parse(rsdp, fake_map, &info), ACPI_OK);
	CHECK_EQ(info.cpu_count, 2);

	fake_reset();
	CHECK_EQ(acpi_find_rsdp_bios(fake_map, &rsdp), ACPI_E_MAP);
}

/* ---- synthetic tables ---- */

#define SYN_RSDP 0x1000
#define SYN_XSDT 0x2000
#define SYN_MADT 0x3000

static uint8_t syn_xsdt[4096], syn_madt[32768];
static size_t syn_madt_len;
static struct {
	uint64_t base;
	const void *data;
	size_t size;
} syn_extra; /* one more region to map with the synthetic tables */

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void table_header(uint8_t *t, const char *sig, uint8_t revision)
{
	memset(t, 0, 36);
	memcpy(t, sig, 4);
	t[8] = revision;
	memcpy(t + 10, "TESTER", 6);
}

static void table_finish(uint8_t *t, size_t len)
{
	put_le(t + 4, len, 4);
	t[9] = 0;
	t[9] = (uint8_t)-acpi_checksum(t, len);
}

static void madt_begin(uint8_t revision)
{
	table_header(syn_madt, "APIC", revision);
	put_le(syn_madt + 36, 0xfee00000, 4);
	put_le(syn_madt + 40, 0, 4);
	syn_madt_len = 44;
}

static void madt_entry(const uint8_t *e, size_t len)
{
	memcpy(syn_madt + syn_madt_len, e, len);
	syn_madt_len += len;
}

static void madt_lapic(uint8_t uid, uint8_t apic_id, uint32_t flags)
{
	uint8_t e[8] = {0, 8, uid, apic_id};
	put_le(e + 4, flags, 4);
	madt_entry(e, sizeof(e));
}

static void madt_x2apic(uint32_t x2apic_id, uint32_t flags, uint32_t uid)
{
	uint8_t e[16] = {9, 16};
	put_le(e + 4, x2apic_id, 4);
	put_le(e + 8, flags, 4);
	put_le(e + 12, uid, 4);
	madt_entry(e, sizeof(e));
}

/* Places an RSDP (revision 2), an XSDT listing 'n' entries (the MADT first, then 'extra'), and
 * the MADT built so far, then parses. */
static int syn_parse_with(const uint64_t *extra, unsigned n_extra)
{
	uint8_t rsdp[36] = "RSD PTR ";
	memcpy(rsdp + 9, "TESTER", 6);
	rsdp[15] = 2;
	put_le(rsdp + 16, 0, 4);
	put_le(rsdp + 20, 36, 4);
	put_le(rsdp + 24, SYN_XSDT, 8);
	rsdp[8] = (uint8_t)-acpi_checksum(rsdp, 20);
	rsdp[32] = (uint8_t)-acpi_checksum(rsdp, 36);

	table_header(syn_xsdt, "XSDT", 1);
	put_le(syn_xsdt + 36, SYN_MADT, 8);
	for (unsigned i = 0; i < n_extra; i++)
		put_le(syn_xsdt + 44 + 8 * i, extra[i], 8);
	table_finish(syn_xsdt, 44 + 8 * n_extra);
	table_finish(syn_madt, syn_madt_len);

	fake_reset();
	fake_add(SYN_RSDP, rsdp, sizeof(rsdp));
	fake_add(SYN_XSDT, syn_xsdt, sizeof(syn_xsdt));
	fake_add(SYN_MADT, syn_madt, sizeof(syn_madt));
	if (syn_extra.size)
		fake_add(syn_extra.base, syn_extra.data, syn_extra.size);
	return acpi_parse(SYN_RSDP, fake_map, &info);
}

static int syn_parse(void)
{
	return syn_parse_with(NULL, 0);
}

static void test_synthetic_cpus(void)
{
	/* MADT revision 5 (ACPI 6.3): Online Capable is defined. */
	madt_begin(5);
	madt_lapic(0, 0, 1);      /* enabled */
	madt_lapic(1, 2, 2);      /* disabled, online capable */
	madt_lapic(2, 4, 0);      /* disabled, not capable: absent */
	madt_lapic(3, 0xff, 1);   /* invalid xAPIC ID */
	madt_x2apic(0, 1, 0);     /* same processor as the first entry */
	madt_x2apic(0x100, 1, 7); /* needs x2APIC */
	madt_x2apic(0x101, 3, 8); /* enabled wins over online capable */
	madt_x2apic(0x102, 2, 9); /* online capable */
	uint8_t override[12] = {5, 12};
	put_le(override + 4, 0xfed00000ull | (1ull << 40), 8);
	madt_entry(override, sizeof(override));
	uint8_t nmi_source[8] = {3, 8, 0x05, 0x00};
	put_le(nmi_source + 4, 23, 4);
	madt_entry(nmi_source, sizeof(nmi_source));
	uint8_t x2nmi[12] = {10, 12, 0x0d, 0x00};
	put_le(x2nmi + 4, 7, 4);
	x2nmi[8] = 0;
	madt_entry(x2nmi, sizeof(x2nmi));
	uint8_t lnmi[6] = {4, 6, 3, 0x05, 0x00, 1};
	madt_entry(lnmi, sizeof(lnmi));
	uint8_t unknown[7] = {0x7f, 7}; /* a type from the future: skipped by its length */
	madt_entry(unknown, sizeof(unknown));
	uint8_t gicc[4] = {0x0b, 4}; /* too short for a GICC, but we do not read type 0Bh */
	madt_entry(gicc, sizeof(gicc));

	CHECK_EQ(syn_parse(), ACPI_OK);
	CHECK_EQ(info.revision, 2);
	CHECK_EQ(info.root, SYN_XSDT);
	CHECK_EQ(info.cpu_count, 5);
	CHECK_EQ(info.cpu_enabled_count, 3);
	CHECK_EQ(info.cpu_online_capable_count, 2);
	static const struct acpi_cpu want[] = {
	    {0, 0, true, false, false},    {2, 1, false, true, false},
	    {0x100, 7, true, false, true}, {0x101, 8, true, false, true},
	    {0x102, 9, false, true, true},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		CHECK_EQ(info.cpu[i].apic_id, want[i].apic_id);
		CHECK_EQ(info.cpu[i].uid, want[i].uid);
		CHECK_EQ(info.cpu[i].enabled, want[i].enabled);
		CHECK_EQ(info.cpu[i].online_capable, want[i].online_capable);
		CHECK_EQ(info.cpu[i].x2apic_entry, want[i].x2apic_entry);
	}
	CHECK_EQ(info.lapic_base, 0xfed00000ull | (1ull << 40));
	CHECK_EQ(info.nmi_source_count, 1);
	CHECK_EQ(info.nmi_source[0].gsi, 23);
	CHECK_EQ(info.nmi_source[0].flags, 5);
	CHECK_EQ(info.lapic_nmi_count, 2);
	CHECK_EQ(info.lapic_nmi[0].uid, 7);
	CHECK_EQ(info.lapic_nmi[0].flags, 0xd);
	CHECK_EQ(info.lapic_nmi[0].lint, 0);
	CHECK_EQ(info.lapic_nmi[1].uid, 3);
	CHECK_EQ(info.lapic_nmi[1].flags, 5);
	CHECK_EQ(info.lapic_nmi[1].lint, 1);

	/* Before MADT revision 5 bit 1 is reserved: a disabled CPU is simply absent. */
	madt_begin(4);
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 2);
	CHECK_EQ(syn_parse(), ACPI_OK);
	CHECK_EQ(info.cpu_count, 1);
	CHECK_EQ(info.cpu_online_capable_count, 0);

	/* A two-socket Genoa in x2APIC mode: 384 threads, APIC IDs 0-383, every one kept with its
	 * full 32-bit ID (none dropped, none truncated to 8 bits). */
	madt_begin(5);
	for (unsigned i = 0; i < 384; i++)
		madt_x2apic(i, 1, i);
	CHECK_EQ(syn_parse(), ACPI_OK);
	CHECK_EQ(info.cpu_count, 384);
	CHECK_EQ(info.cpu_enabled_count, 384);
	CHECK_EQ(info.madt_dropped, 0);
	CHECK_EQ(info.cpu[256].apic_id, 256);
	CHECK_EQ(info.cpu[383].apic_id, 383);
	CHECK(info.cpu[383].x2apic_entry);

	/* More processors than ACPI_MAX_CPUS: the rest are counted as dropped. */
	madt_begin(5);
	for (unsigned i = 0; i < ACPI_MAX_CPUS + 3; i++)
		madt_x2apic(i, 1, i);
	CHECK_EQ(syn_parse(), ACPI_OK);
	CHECK_EQ(info.cpu_count, ACPI_MAX_CPUS);
	CHECK_EQ(info.madt_dropped, 3);
	CHECK_EQ(info.cpu[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
}

static void test_synthetic_bad_madt(void)
{
	/* Entries shorter than their type, a 1-byte tail, length 1: all rejected, none loops. */
	static const uint8_t short_lapic[6] = {0, 6, 0, 0, 1, 0};
	static const uint8_t short_x2apic[12] = {9, 12};
	static const uint8_t length_one[2] = {0x7f, 1};
	static const uint8_t tail[1] = {0};
	const struct {
		const uint8_t *e;
		size_t len;
	} bad[] = {{short_lapic, 6}, {short_x2apic, 12}, {length_one, 2}, {tail, 1}};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		madt_begin(5);
		madt_lapic(0, 0, 1);
		madt_entry(bad[i].e, bad[i].len);
		map_calls = 0;
		CHECK_EQ(syn_parse(), ACPI_E_MADT_ENTRY);
		CHECK(map_calls < 16);
	}

	/* A MADT shorter than its own fixed fields, with a valid checksum. */
	madt_begin(5);
	syn_madt_len = 40;
	CHECK_EQ(syn_parse(), ACPI_E_TABLE_LENGTH);
}

/* The FADT's PM timer (ACPI 6.5 §5.2.9): PM_TMR_BLK at 76, Flags TMR_VAL_EXT (bit 8) at 112,
 * X_PM_TMR_BLK (GAS, system I/O) at 208, each only when the table holds it. */
static int fadt_parse(size_t len, uint32_t pm_tmr_blk, uint32_t flags, uint8_t x_space,
                      uint64_t x_address)
{
	static uint8_t fadt[276];
	table_header(fadt, "FACP", 6);
	memset(fadt + 36, 0, sizeof(fadt) - 36);
	put_le(fadt + 76, pm_tmr_blk, 4);
	put_le(fadt + 112, flags, 4);
	fadt[208] = x_space;
	fadt[209] = 32;
	put_le(fadt + 212, x_address, 8);
	table_finish(fadt, len);
	syn_extra.base = 0x40000;
	syn_extra.data = fadt;
	syn_extra.size = sizeof(fadt);
	madt_begin(1);
	madt_lapic(0, 0, 1);
	const uint64_t extra[] = {0x40000};
	int err = syn_parse_with(extra, 1);
	syn_extra.size = 0;
	return err;
}

static void test_synthetic_fadt_pm_timer(void)
{
	CHECK_EQ(fadt_parse(276, 0x408, 0, 0, 0), ACPI_OK);
	CHECK_EQ(info.fadt, 0x40000);
	CHECK_EQ(info.pm_timer_port, 0x408);
	CHECK(!info.pm_timer_32bit);
	CHECK_EQ(fadt_parse(276, 0x408, 1u << 8, 0, 0), ACPI_OK);
	CHECK(info.pm_timer_32bit);
	/* X_PM_TMR_BLK in system I/O space wins over PM_TMR_BLK; in memory space it is not used */
	CHECK_EQ(fadt_parse(276, 0x408, 0, 1, 0x1808), ACPI_OK);
	CHECK_EQ(info.pm_timer_port, 0x1808);
	CHECK_EQ(fadt_parse(276, 0, 0, 0, 0xfed00000), ACPI_OK);
	CHECK_EQ(info.pm_timer_port, 0);
	CHECK_EQ(fadt_parse(276, 0, 0, 1, 0x10000), ACPI_OK); /* not a port */
	CHECK_EQ(info.pm_timer_port, 0);
	/* a revision 1 FADT of 116 bytes: PM_TMR_BLK and Flags, no X_ fields */
	CHECK_EQ(fadt_parse(116, 0x808, 1u << 8, 1, 0x1808), ACPI_OK);
	CHECK_EQ(info.pm_timer_port, 0x808);
	CHECK(info.pm_timer_32bit);
	/* too short to hold PM_TMR_BLK */
	CHECK_EQ(fadt_parse(78, 0x808, 0, 0, 0), ACPI_OK);
	CHECK_EQ(info.pm_timer_port, 0);
}

static void test_synthetic_root(void)
{
	/* Tables listed more than once, a null entry, an entry whose length wraps the address
	 * space, an unmapped entry. */
	madt_begin(1);
	madt_lapic(0, 0, 1);
	const uint64_t extra[] = {SYN_MADT, 0, UINT64_MAX - 16, 0x7000};
	CHECK_EQ(syn_parse_with(extra, ARRAY_SIZE(extra)), ACPI_OK);
	CHECK_EQ(info.table_count, 4);
	CHECK_EQ(info.invalid_count, 2);
	CHECK_EQ(info.first_invalid, ACPI_E_MAP);
	CHECK_EQ(info.cpu_count, 1); /* the second MADT was not parsed again */

	/* A table at the top of the address space whose declared length would wrap. */
	uint8_t top[64];
	table_header(top, "TEST", 1);
	table_finish(top, 36);
	put_le(top + 4, 0x100, 4);
	syn_extra.base = UINT64_MAX - 63;
	syn_extra.data = top;
	syn_extra.size = sizeof(top);
	const uint64_t wraps[] = {UINT64_MAX - 63};
	CHECK_EQ(syn_parse_with(wraps, 1), ACPI_OK);
	CHECK_EQ(info.invalid_count, 1);
	CHECK_EQ(info.first_invalid, ACPI_E_TABLE_LENGTH);
	syn_extra.size = 0;

	/* A root table listing more than ACPI_MAX_TABLES entries is refused outright. */
	static uint64_t many[ACPI_MAX_TABLES];
	for (unsigned i = 0; i < ACPI_MAX_TABLES; i++)
		many[i] = SYN_MADT;
	CHECK_EQ(syn_parse_with(many, ACPI_MAX_TABLES - 1), ACPI_OK);
	CHECK_EQ(info.table_count, ACPI_MAX_TABLES);
	CHECK_EQ(syn_parse_with(many, ACPI_MAX_TABLES), ACPI_E_TOO_MANY_TABLES);

	/* No MADT at all: the only listed table is a valid "NOPE". */
	table_header(syn_madt, "NOPE", 1);
	syn_madt_len = 36;
	CHECK_EQ(syn_parse(), ACPI_E_NO_MADT);
	CHECK_EQ(info.table_count, 1);
	CHECK_EQ(info.invalid_count, 0);

	/* RSDP problems: wrong signature, impossible extended length, no root at all. */
	madt_begin(1);
	madt_lapic(0, 0, 1);
	CHECK_EQ(syn_parse(), ACPI_OK);
	uint8_t *r = regions[0].data;
	r[0] = 'X';
	CHECK_EQ(acpi_parse(SYN_RSDP, fake_map, &info), ACPI_E_RSDP_SIGNATURE);
	r[0] = 'R';
	put_le(r + 20, 20, 4); /* Length below 36 */
	r[32] = 0;
	r[32] = (uint8_t)-acpi_checksum(r, 36);
	CHECK_EQ(acpi_parse(SYN_RSDP, fake_map, &info), ACPI_E_RSDP_LENGTH);
	put_le(r + 20, 36, 4);
	put_le(r + 24, 0, 8); /* no XSDT, no RSDT */
	r[32] = 0;
	r[32] = (uint8_t)-acpi_checksum(r, 36);
	CHECK_EQ(acpi_parse(SYN_RSDP, fake_map, &info), ACPI_E_NO_ROOT);
	put_le(r + 24, SYN_MADT, 8); /* the "XSDT" is an APIC table and there is no RSDT */
	r[32] = 0;
	r[32] = (uint8_t)-acpi_checksum(r, 36);
	CHECK_EQ(acpi_parse(SYN_RSDP, fake_map, &info), ACPI_E_TABLE_SIGNATURE);
}

static void test_strerror(void)
{
	CHECK(str_is(acpi_strerror(ACPI_OK), "success"));
	CHECK(str_is(acpi_strerror(ACPI_E_MADT_ENTRY), "malformed MADT entry"));
	CHECK(str_is(acpi_strerror(ACPI_E_RSDP_XCHECKSUM), "RSDP extended checksum mismatch"));
	CHECK(str_is(acpi_strerror(-1000), "unknown ACPI error"));
	for (int e = ACPI_E_MADT_ENTRY; e < 0; e++)
		CHECK(!str_is(acpi_strerror(e), "unknown ACPI error"));
}

int main(void)
{
	find_data_dir();
	test_qemu_pc();
	test_qemu_q35_seabios();
	test_qemu_q35_ovmf();
	test_malformed();
	test_find_rsdp_bios();
	test_synthetic_cpus();
	test_synthetic_bad_madt();
	test_synthetic_root();
	test_synthetic_fadt_pm_timer();
	test_strerror();
	fake_reset();
	return check_summary("acpi");
}
