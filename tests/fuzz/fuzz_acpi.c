// sources: kernel/acpi.c
/* Fuzz target for the ACPI table walk (kernel/acpi.c): RSDP, XSDT/RSDT, MADT, MCFG and the FADT,
 * HPET and IVRS addresses, as firmware hands them to doorbell at boot.
 *
 * Input: one flags byte, two bytes of BDA EBDA segment, then a physical memory image placed at
 * IMAGE_BASE (0xE0000, the BIOS area; 128 KiB, zero past the input). The RSDP is at IMAGE_BASE,
 * or with FLAG_SEARCH it is found by acpi_find_rsdp_bios(), which also scans the EBDA: the image
 * is visible there too (an alias of its first KiB at the segment the BDA word names).
 * Unless FLAG_RAW is set, the harness first corrects the checksums of the RSDP and of every table
 * the root tables name, so that mutations get past the checksums and reach the parsers.
 *
 * Every map() call returns a fresh heap copy of exactly the bytes asked for, so ASan reports any
 * read the parser makes beyond what it mapped. Invariants: the result is ACPI_OK or a known error;
 * on success a MADT was found, the counts are within their arrays and agree with each other, the
 * root is the XSDT or the RSDT, MCFG ranges have start <= end; an RSDP that the BIOS search
 * accepted is never rejected by acpi_parse() for its checksum or length; parsing twice gives the
 * same result. */
#include <stdlib.h>
#include <string.h>

#include "kernel/acpi.h"
#include "tests/fuzz/fuzz.h"

#define IMAGE_BASE         0xe0000u
#define IMAGE_SIZE         0x20000u
#define EBDA_WINDOW        1024u
#define FLAG_RAW           0x01
#define FLAG_SEARCH        0x02
#define HEADER_BYTES       3

static uint8_t image[IMAGE_SIZE];
static uint64_t ebda_base;
static void *mapped[4096];
static unsigned mapped_count;

static const void *copy_out(const uint8_t *src, uint64_t len)
{
	if (mapped_count == sizeof(mapped) / sizeof(mapped[0]))
		fuzz_fail("more than %u map() calls for one input", mapped_count);
	void *p = malloc(len);
	if (!p)
		abort();
	memcpy(p, src, len);
	mapped[mapped_count++] = p;
	return p;
}

static bool inside(uint64_t paddr, uint64_t len, uint64_t base, uint64_t size)
{
	return paddr >= base && len <= size && paddr - base <= size - len;
}

static const void *fuzz_map(uint64_t paddr, uint64_t len)
{
	if (len == 0)
		fuzz_fail("map() of 0 bytes at %#llx", (unsigned long long)paddr);
	if (paddr == 0x40e && len == 2) {
		uint8_t w[2] = {(uint8_t)(ebda_base >> 4), (uint8_t)(ebda_base >> 12)};
		return copy_out(w, 2);
	}
	if (inside(paddr, len, IMAGE_BASE, IMAGE_SIZE))
		return copy_out(image + (paddr - IMAGE_BASE), len);
	if (ebda_base && inside(paddr, len, ebda_base, EBDA_WINDOW))
		return copy_out(image + (paddr - ebda_base), len);
	return NULL;
}

static void unmap_all(void)
{
	while (mapped_count)
		free(mapped[--mapped_count]);
}

static uint32_t rd32(uint64_t off)
{
	return off + 4 <= IMAGE_SIZE ? fuzz_le32(image + off) : 0;
}

/* Sets the checksum byte at 'sum_at' so that [off, off + len) sums to 0. */
static void fix_sum(uint64_t off, uint64_t len, uint64_t sum_at)
{
	if (off + len > IMAGE_SIZE || len == 0)
		return;
	image[sum_at] = 0;
	uint8_t s = acpi_checksum(image + off, len);
	image[sum_at] = (uint8_t)-s;
}

static void fix_table(uint64_t paddr)
{
	if (!inside(paddr, 36, IMAGE_BASE, IMAGE_SIZE))
		return;
	uint64_t off = paddr - IMAGE_BASE;
	uint32_t len = rd32(off + 4);
	if (len >= 36 && len <= IMAGE_SIZE - off)
		fix_sum(off, len, off + 9);
}

static void fix_root(uint64_t paddr, unsigned entry_size)
{
	if (!inside(paddr, 36, IMAGE_BASE, IMAGE_SIZE))
		return;
	uint64_t off = paddr - IMAGE_BASE;
	uint32_t len = rd32(off + 4);
	if (len < 36 || len > IMAGE_SIZE - off)
		return;
	for (uint64_t e = off + 36; e + entry_size <= off + len; e += entry_size)
		fix_table(entry_size == 8 ? fuzz_le64(image + e) : rd32(e));
	fix_table(paddr);
}

static void fix_checksums(void)
{
	uint32_t rsdt = rd32(16);
	uint64_t xsdt = fuzz_le64(image + 24);
	if (image[15] >= 2)
		fix_root(xsdt, 8);
	fix_root(rsdt, 4);
	fix_sum(0, 20, 8);
	uint32_t len = rd32(20);
	if (image[15] >= 2 && len >= 36 && len <= 4096)
		fix_sum(0, len, 32);
}

static bool known_error(int rc)
{
	return rc <= ACPI_OK && rc >= ACPI_E_MADT_ENTRY;
}

static void check_info(const struct acpi_info *a)
{
	FUZZ_CHECK(a->madt != 0, "ACPI_OK without a MADT");
	FUZZ_CHECK(a->root == a->xsdt || a->root == a->rsdt, "root is neither XSDT nor RSDT");
	FUZZ_CHECK(a->cpu_count <= ACPI_MAX_CPUS && a->ioapic_count <= ACPI_MAX_IOAPICS &&
	               a->iso_count <= ACPI_MAX_ISOS && a->lapic_nmi_count <= ACPI_MAX_NMIS &&
	               a->nmi_source_count <= ACPI_MAX_NMIS && a->mcfg_count <= ACPI_MAX_MCFG,
	           "a count exceeds its array");
	FUZZ_CHECK(a->cpu_count == a->cpu_enabled_count + a->cpu_online_capable_count,
	           "cpu_count %u != enabled %u + online capable %u", a->cpu_count,
	           a->cpu_enabled_count, a->cpu_online_capable_count);
	for (unsigned i = 0; i < a->cpu_count; i++) {
		FUZZ_CHECK(a->cpu[i].enabled != a->cpu[i].online_capable,
		           "cpu %u both or neither enabled and online capable", i);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(a->cpu[i].apic_id != a->cpu[j].apic_id, "APIC ID %u listed twice",
			           a->cpu[i].apic_id);
	}
	for (unsigned i = 0; i < a->mcfg_count; i++)
		FUZZ_CHECK(a->mcfg_entry[i].bus_start <= a->mcfg_entry[i].bus_end,
		           "MCFG entry %u: bus start above end", i);
	FUZZ_CHECK(a->invalid_count <= a->table_count + 1, "more invalid tables than tables");
	FUZZ_CHECK((a->invalid_count == 0) == (a->first_invalid == ACPI_OK),
	           "first_invalid disagrees with invalid_count");
}

static bool same_info(const struct acpi_info *a, const struct acpi_info *b)
{
	return a->root == b->root && a->madt == b->madt && a->cpu_count == b->cpu_count &&
	       a->ioapic_count == b->ioapic_count && a->iso_count == b->iso_count &&
	       a->mcfg_count == b->mcfg_count && a->lapic_base == b->lapic_base &&
	       a->ivrs == b->ivrs && a->fadt == b->fadt && a->hpet == b->hpet &&
	       a->invalid_count == b->invalid_count && a->table_count == b->table_count &&
	       !memcmp(a->cpu, b->cpu, sizeof(a->cpu[0]) * a->cpu_count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_info info, again;
	if (size < HEADER_BYTES)
		return 0;
	uint8_t flags = data[0];
	ebda_base = (uint64_t)(data[1] | data[2] << 8) << 4;
	size_t n = size - HEADER_BYTES < IMAGE_SIZE ? size - HEADER_BYTES : IMAGE_SIZE;
	/* Zero what the previous input used (its bytes, and the checksum bytes the fix-up may
	 * have set just past them), not all 128 KiB each time. */
	static size_t dirty = IMAGE_SIZE;
	memset(image, 0, dirty);
	memcpy(image, data + HEADER_BYTES, n);
	dirty = n + 64 < IMAGE_SIZE ? n + 64 : IMAGE_SIZE;
	if (!(flags & FLAG_RAW))
		fix_checksums();

	uint64_t rsdp = IMAGE_BASE;
	bool searched = false;
	if (flags & FLAG_SEARCH) {
		int rc = acpi_find_rsdp_bios(fuzz_map, &rsdp);
		unmap_all();
		FUZZ_CHECK(rc == ACPI_OK || rc == ACPI_E_NO_RSDP || rc == ACPI_E_MAP,
		           "acpi_find_rsdp_bios: result %d", rc);
		if (rc != ACPI_OK)
			return 0;
		FUZZ_CHECK(rsdp % 16 == 0, "RSDP found at %#llx, not on a 16-byte boundary",
		           (unsigned long long)rsdp);
		searched = true;
	}
	int rc = acpi_parse(rsdp, fuzz_map, &info);
	unmap_all();
	FUZZ_CHECK(known_error(rc), "acpi_parse: unknown result %d", rc);
	FUZZ_CHECK(acpi_strerror(rc) != NULL, "no message for %d", rc);
	if (searched)
		FUZZ_CHECK(rc != ACPI_E_RSDP_SIGNATURE && rc != ACPI_E_RSDP_CHECKSUM &&
		               rc != ACPI_E_RSDP_LENGTH && rc != ACPI_E_RSDP_XCHECKSUM,
		           "the RSDP the search accepted is refused: %s", acpi_strerror(rc));
	int rc2 = acpi_parse(rsdp, fuzz_map, &again);
	unmap_all();
	FUZZ_CHECK(rc == rc2, "not deterministic: %d then %d", rc, rc2);
	if (rc != ACPI_OK)
		return 0;
	check_info(&info);
	FUZZ_CHECK(same_info(&info, &again), "not deterministic: different tables");
	return 0;
}

const struct fuzz_target fuzz_target = {
	.name = "acpi",
	.iterations = 20000,
	.max_len = 2048,
};
