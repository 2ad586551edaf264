// sources: kernel/acpi_s5.c
/* _S5 in AML (kernel/acpi_s5.h): QEMU 7.2's three DSDTs as captured (tests/unit/data, all
 * `Name (_S5, Package (0x04) {Zero, Zero, Zero, Zero})`), and the encodings of real firmware:
 * a root prefix, BytePrefix constants (`{0x05, 0x05, ...}`, common on AMD boards), Word and DWord
 * prefixes, a two-byte PkgLength, a one-element package; and what is not an _S5 declaration. */
#include "kernel/acpi_s5.h"
#include "tests/unit/check.h"
#include <string.h>

static uint8_t typa, typb;

static bool find(const uint8_t *aml, uint32_t len)
{
	typa = typb = 0xee;
	return acpi_find_s5(aml, len, &typa, &typb);
}

static void test_qemu_dsdts(void)
{
	static const char *const sets[] = {"qemu-pc-smp2", "qemu-q35-iommu-seabios",
					   "qemu-q35-iommu-ovmf"};
	for (unsigned i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof(path), "tests/unit/data/%s/DSDT.bin", sets[i]);
		FILE *f = fopen(path, "rb");
		CHECK(f != NULL);
		if (!f)
			continue;
		static uint8_t dsdt[65536];
		size_t n = fread(dsdt, 1, sizeof(dsdt), f);
		fclose(f);
		CHECK(n > 36);
		CHECK(find(dsdt, (uint32_t)n));
		CHECK_EQ(typa, 0); /* QEMU: S5 is SLP_TYP 0 (hw/acpi/core.c: soft power-off) */
		CHECK_EQ(typb, 0);
		/* cut right after the NameSeg: no package, not found */
		const uint8_t *at = NULL;
		for (size_t j = 0; j + 4 <= n; j++)
			if (!memcmp(dsdt + j, "_S5_", 4)) {
				at = dsdt + j;
				break;
			}
		CHECK(at != NULL);
		CHECK(!find(dsdt, (uint32_t)(at - dsdt + 4)));
	}
}

static void test_encodings(void)
{
	/* Name (\_S5, Package (0x04) {0x05, 0x05, Zero, Zero}) */
	static const uint8_t amd[] = {0x10, 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x0a, 0x04,
				      0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00};
	CHECK(find(amd, sizeof(amd)));
	CHECK_EQ(typa, 5);
	CHECK_EQ(typb, 5);
	/* Word and DWord constants, One, and a two-byte PkgLength (lead byte 0x4n) */
	static const uint8_t wide[] = {0x08, '_', 'S', '5', '_', 0x12, 0x41, 0x00, 0x02,
				       0x0b, 0x07, 0x00, 0x01};
	CHECK(find(wide, sizeof(wide)));
	CHECK_EQ(typa, 7);
	CHECK_EQ(typb, 1);
	static const uint8_t dword[] = {0x08, '_', 'S', '5', '_', 0x12, 0x0c, 0x02,
					0x0c, 0x06, 0x00, 0x00, 0x00, 0x00};
	CHECK(find(dword, sizeof(dword)));
	CHECK_EQ(typa, 6);
	CHECK_EQ(typb, 0);
	/* one element: SLP_TYPb 0 */
	static const uint8_t one[] = {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x03};
	CHECK(find(one, sizeof(one)));
	CHECK_EQ(typa, 3);
	CHECK_EQ(typb, 0);
	/* only bits 2:0 are a sleep type */
	static const uint8_t ones[] = {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0xff, 0x0a, 0x0d};
	CHECK(find(ones, sizeof(ones)));
	CHECK_EQ(typa, 7);
	CHECK_EQ(typb, 5);
	/* the first of two declarations, after a mere reference to _S5_ */
	static const uint8_t ref_then_decl[] = {0x70, '_', 'S', '5', '_', 0x60, 0x08, '_', 'S', '5',
						'_', 0x12, 0x05, 0x02, 0x0a, 0x02, 0x01};
	CHECK(find(ref_then_decl, sizeof(ref_then_decl)));
	CHECK_EQ(typa, 2);
	CHECK_EQ(typb, 1);
}

static void test_not_found(void)
{
	/* a reference, not a declaration */
	static const uint8_t ref[] = {0x70, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x05};
	CHECK(!find(ref, sizeof(ref)));
	CHECK_EQ(typa, 0xee); /* untouched */
	/* a name that is not a package (a method would need an interpreter) */
	static const uint8_t method[] = {0x08, '_', 'S', '5', '_', 0x0a, 0x05};
	CHECK(!find(method, sizeof(method)));
	/* an element doorbell cannot evaluate (a name string) */
	static const uint8_t named[] = {0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x01,
					'S', 'L', 'P', '5'};
	CHECK(!find(named, sizeof(named)));
	/* empty package, truncated constants */
	static const uint8_t empty[] = {0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00};
	CHECK(!find(empty, sizeof(empty)));
	static const uint8_t cut[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0b, 0x05};
	CHECK(!find(cut, sizeof(cut)));
	static const uint8_t cut_len[] = {0x08, '_', 'S', '5', '_', 0x12, 0xc4};
	CHECK(!find(cut_len, sizeof(cut_len)));
	CHECK(!find(NULL, 0));
	static const uint8_t s5[] = {'_', 'S', '5', '_'}; /* at offset 0: nothing before it */
	CHECK(!find(s5, sizeof(s5)));
}

int main(void)
{
	test_qemu_dsdts();
	test_encodings();
	test_not_found();
	return check_summary("acpi_s5");
}
