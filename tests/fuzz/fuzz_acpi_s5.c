// sources: kernel/acpi_s5.c
/* Fuzz target for the _S5 finder (kernel/acpi_s5.c): the DSDT's AML, from firmware, searched
 * for `Name (_S5, Package () {SLP_TYPa, SLP_TYPb, ...})` without an interpreter before an ACPI
 * power-off (after=poweroff).
 *
 * Input: the AML bytes (a DSDT body). Invariants: no read outside the input (ASan: the input is a
 * heap buffer of exactly its size); a result has SLP_TYPa and SLP_TYPb within 0-7 and only when
 * the bytes hold a NameOp (08h) before an "_S5_" NameSeg followed by a PackageOp (12h); the
 * output is untouched when nothing is found; the same input gives the same answer twice. The
 * seeds are QEMU's three captured DSDTs and the encodings of tests/unit/test_acpi_s5.c. */
#include "kernel/acpi_s5.h"
#include "tests/fuzz/fuzz.h"

/* A declaration-shaped occurrence: the necessary condition for a result. */
static bool has_s5_declaration(const uint8_t *d, size_t n)
{
	for (size_t i = 1; i + 5 <= n; i++) {
		if (memcmp(d + i, "_S5_", 4) || d[i + 4] != 0x12)
			continue;
		if (d[i - 1] == 0x08 || (i >= 2 && d[i - 1] == 0x5c && d[i - 2] == 0x08))
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	uint8_t a = 0xee, b = 0xee, a2 = 0xee, b2 = 0xee;
	bool found = acpi_find_s5(data, len, &a, &b);
	FUZZ_CHECK(found == acpi_find_s5(data, len, &a2, &b2), "two calls disagree");
	if (found) {
		FUZZ_CHECK(a <= 7 && b <= 7, "sleep types %u/%u above 7", a, b);
		FUZZ_CHECK(a == a2 && b == b2, "two calls gave different types");
		FUZZ_CHECK(has_s5_declaration(data, size), "found _S5 where no declaration is");
	} else {
		FUZZ_CHECK(a == 0xee && b == 0xee, "output written without a result");
	}
	return 0;
}

/* Inputs around a declaration: random bytes with an _S5 declaration, a PkgLength and elements of
 * every encoding spliced in, so that the parser's branches are reached often. */
static size_t generate(uint8_t *buf, size_t cap, uint64_t (*rnd)(void))
{
	static const uint8_t consts[] = {0x00, 0x01, 0xff, 0x0a, 0x0b, 0x0c, 0x5c, 0x12, 0x08};
	size_t len = (size_t)(rnd() % cap);
	for (size_t i = 0; i < len; i++)
		buf[i] = (rnd() & 1) ? consts[rnd() % sizeof(consts)] : (uint8_t)rnd();
	if (len >= 8) {
		size_t at = (size_t)(rnd() % (len - 7));
		memcpy(buf + at, "\x08_S5_\x12", 6);
		buf[at + 6] = (uint8_t)rnd(); /* PkgLength lead byte */
		buf[at + 7] = (uint8_t)(rnd() % 5);
	}
	return len;
}

const struct fuzz_target fuzz_target = {
	.name = "acpi_s5",
	.iterations = 200000,
	.max_len = 256,
	.generate = generate,
};
