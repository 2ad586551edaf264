// sources: iommu/ivrs.c kernel/acpi.c
/* Fuzz target for the IVRS parser (iommu/ivrs.c): IVHD blocks of types 10h, 11h and 40h with
 * their device entries (select, range, alias, extended, special, ACPI_HID), IVMD blocks.
 *
 * Input: one flags byte, then the table. Unless FLAG_RAW is set, the harness sets the header's
 * Length to the table's size and corrects its checksum, so that mutations reach the block walk.
 * The table is parsed from a heap buffer of exactly its size (ASan catches a read past it).
 * Invariants: the result is IVRS_OK or a known error with a message; on success the counts are
 * within their arrays, every device range has first <= last, names an IOMMU that exists and has
 * alias == first unless it came from an alias entry, every IOMMU has the chosen IVHD type and
 * feature flags that follow from its EFR (11h/40h) or feature field (10h); bytes after the
 * header's Length change nothing; parsing is deterministic. */
#include <stdlib.h>
#include <string.h>

#include "iommu/ivrs.h"
#include "kernel/acpi.h"
#include "tests/fuzz/fuzz.h"

#define FLAG_RAW 0x01

static void check_info(const struct ivrs_info *r)
{
	FUZZ_CHECK(r->ivhd_type == IVHD_TYPE_10H || r->ivhd_type == IVHD_TYPE_11H ||
	               r->ivhd_type == IVHD_TYPE_40H,
	           "IVRS_OK with IVHD type %#x", r->ivhd_type);
	FUZZ_CHECK(r->iommu_count <= IVRS_MAX_IOMMUS && r->dev_count <= IVRS_MAX_DEVS &&
	               r->special_count <= IVRS_MAX_SPECIAL,
	           "a count exceeds its array");
	FUZZ_CHECK(r->iommu_count >= 1, "IVRS_OK without an IOMMU");
	for (unsigned i = 0; i < r->iommu_count; i++) {
		const struct ivrs_iommu *m = &r->iommu[i];
		FUZZ_CHECK(m->type == r->ivhd_type, "IOMMU %u from an IVHD of type %#x, chose %#x", i,
		           m->type, r->ivhd_type);
		if (m->type == IVHD_TYPE_10H)
			FUZZ_CHECK(m->efr == 0 && !m->xt_sup && m->ga_sup == !!(m->feature & (1u << 6)),
			           "IOMMU %u: 10h feature flags", i);
		else
			FUZZ_CHECK(m->ga_sup == !!(m->efr & (1u << 7)) &&
			               m->xt_sup == !!(m->efr & (1u << 2)),
			           "IOMMU %u: EFR feature flags", i);
	}
	for (unsigned i = 0; i < r->dev_count; i++) {
		const struct ivrs_devrange *d = &r->dev[i];
		FUZZ_CHECK(d->first <= d->last, "device range %u: %#x > %#x", i, d->first, d->last);
		FUZZ_CHECK(d->iommu < r->iommu_count, "device range %u names IOMMU %u", i, d->iommu);
		FUZZ_CHECK(d->aliased || d->alias == d->first, "device range %u: alias without alias",
		           i);
	}
	for (unsigned i = 0; i < r->special_count; i++)
		FUZZ_CHECK(r->special[i].iommu < r->iommu_count, "special %u names IOMMU %u", i,
		           r->special[i].iommu);
}

static bool same(const struct ivrs_info *a, const struct ivrs_info *b)
{
	if (a->ivinfo != b->ivinfo || a->ivhd_type != b->ivhd_type ||
	    a->iommu_count != b->iommu_count || a->dev_count != b->dev_count ||
	    a->special_count != b->special_count || a->ivmd_count != b->ivmd_count ||
	    a->dropped != b->dropped)
		return false;
	for (unsigned i = 0; i < a->iommu_count; i++)
		if (a->iommu[i].mmio_base != b->iommu[i].mmio_base ||
		    a->iommu[i].devid != b->iommu[i].devid || a->iommu[i].efr != b->iommu[i].efr)
			return false;
	for (unsigned i = 0; i < a->dev_count; i++)
		if (a->dev[i].first != b->dev[i].first || a->dev[i].last != b->dev[i].last ||
		    a->dev[i].alias != b->dev[i].alias || a->dev[i].settings != b->dev[i].settings)
			return false;
	for (unsigned i = 0; i < a->special_count; i++)
		if (a->special[i].devid != b->special[i].devid ||
		    a->special[i].handle != b->special[i].handle)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ivrs_info info, again;
	if (size < 1 || size - 1 > UINT32_MAX)
		return 0;
	uint32_t length = (uint32_t)(size - 1);
	uint8_t *t = malloc(length ? length : 1);
	if (!t)
		abort();
	memcpy(t, data + 1, length);
	if (!(data[0] & FLAG_RAW) && length >= sizeof(struct acpi_sdt_header)) {
		t[4] = (uint8_t)length;
		t[5] = (uint8_t)(length >> 8);
		t[6] = (uint8_t)(length >> 16);
		t[7] = (uint8_t)(length >> 24);
		t[9] = 0;
		t[9] = (uint8_t)-acpi_checksum(t, length);
	}
	int rc = ivrs_parse(t, length, &info);
	FUZZ_CHECK(rc <= IVRS_OK && rc >= IVRS_E_NO_IVHD, "unknown result %d", rc);
	FUZZ_CHECK(ivrs_strerror(rc) != NULL, "no message for %d", rc);
	int rc2 = ivrs_parse(t, length, &again);
	FUZZ_CHECK(rc == rc2 && (rc != IVRS_OK || same(&info, &again)), "not deterministic");
	if (rc == IVRS_OK) {
		check_info(&info);
		uint32_t declared = fuzz_le32(t + 4);
		if (declared < length) {
			/* a copy of exactly the declared length: the parser must not look further */
			uint8_t *cut = malloc(declared);
			if (!cut)
				abort();
			memcpy(cut, t, declared);
			rc2 = ivrs_parse(cut, declared, &again);
			free(cut);
			FUZZ_CHECK(rc2 == IVRS_OK && same(&info, &again),
			           "bytes after the table's Length changed the result");
		}
	}
	free(t);
	return 0;
}

const struct fuzz_target fuzz_target = {
	.name = "ivrs",
	.iterations = 100000,
	.max_len = 1024,
};
