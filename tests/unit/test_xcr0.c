// sources: svm/cpu/xcr0.c
/* Host tests of XCR0's rules (svm/cpu/xcr0.c): which components a guest may enable, and which
 * XSETBV operands raise #GP (SDM vol. 1 §13.3, vol. 2 "XSETBV"; APM vol. 3 "XSETBV"). */
#include "tests/unit/check.h"
#include "svm/cpu/xcr0.h"

#define ZEN2 (XCR0_X87 | XCR0_SSE | XCR0_YMM)                     /* EPYC-Rome, QEMU TCG */
#define ZEN4 (ZEN2 | XCR0_AVX512 | XCR0_PKRU)
#define MPX (BIT(3) | BIT(4))
#define AMX (BIT(17) | BIT(18))

static void test_guest_supported(void)
{
	CHECK_EQ(xcr0_guest_supported(ZEN2), ZEN2);
	CHECK_EQ(xcr0_guest_supported(ZEN4), ZEN4);
	/* components doorbell does not switch are never offered */
	CHECK_EQ(xcr0_guest_supported(ZEN2 | MPX | AMX), ZEN2);
	/* only whole groups: AVX needs SSE, AVX-512 needs all three and AVX */
	CHECK_EQ(xcr0_guest_supported(XCR0_X87 | XCR0_YMM), XCR0_X87);
	CHECK_EQ(xcr0_guest_supported(ZEN2 | XCR0_OPMASK), ZEN2);
	CHECK_EQ(xcr0_guest_supported(XCR0_X87 | XCR0_SSE | XCR0_AVX512), XCR0_X87 | XCR0_SSE);
	/* x87 is always there (XCR0 bit 0 is fixed at 1) */
	CHECK_EQ(xcr0_guest_supported(0), XCR0_X87);
}

static void test_set_allowed(void)
{
	uint64_t s = ZEN2;
	CHECK(xcr0_set_allowed(s, 0, 0, XCR0_X87));
	CHECK(xcr0_set_allowed(s, 0, 0, XCR0_X87 | XCR0_SSE));
	CHECK(xcr0_set_allowed(s, 0, 0, ZEN2));
	CHECK(!xcr0_set_allowed(s, 3, 0, ZEN2));           /* CPL 3 */
	CHECK(!xcr0_set_allowed(s, 1, 0, XCR0_X87));       /* CPL 1 */
	CHECK(!xcr0_set_allowed(s, 0, 1, XCR0_X87));       /* XCR1 */
	CHECK(!xcr0_set_allowed(s, 0, 0x80000000u, XCR0_X87));
	CHECK(!xcr0_set_allowed(s, 0, 0, 0));              /* x87 clear */
	CHECK(!xcr0_set_allowed(s, 0, 0, XCR0_SSE));
	CHECK(!xcr0_set_allowed(s, 0, 0, XCR0_X87 | XCR0_YMM)); /* AVX without SSE */
	CHECK(!xcr0_set_allowed(s, 0, 0, ZEN2 | BIT(3)));  /* not advertised */
	CHECK(!xcr0_set_allowed(s, 0, 0, ZEN2 | XCR0_PKRU));
	CHECK(!xcr0_set_allowed(s, 0, 0, XCR0_X87 | BIT(63)));
	CHECK(!xcr0_set_allowed(s, 0, 0, ZEN2 | XCR0_AVX512)); /* AVX-512 not advertised here */
	s = ZEN4;
	CHECK(xcr0_set_allowed(s, 0, 0, ZEN4));
	CHECK(xcr0_set_allowed(s, 0, 0, ZEN2 | XCR0_AVX512));
	CHECK(xcr0_set_allowed(s, 0, 0, XCR0_X87 | XCR0_PKRU));
	CHECK(!xcr0_set_allowed(s, 0, 0, ZEN2 | XCR0_OPMASK)); /* AVX-512 only in part */
	CHECK(!xcr0_set_allowed(s, 0, 0, ZEN2 | XCR0_OPMASK | XCR0_ZMM_HI256));
	CHECK(!xcr0_set_allowed(s, 0, 0, XCR0_X87 | XCR0_SSE | XCR0_AVX512)); /* without AVX */
}

static void test_xsave_size(void)
{
	/* EPYC-Rome under QEMU TCG: AVX (component 2) at offset 576, 256 bytes */
	struct xsave_layout l = {.present = true, .guest = ZEN2, .end = {[2] = 576 + 256}};
	CHECK_EQ(xcr0_xsave_size(&l, XCR0_X87), 576u);
	CHECK_EQ(xcr0_xsave_size(&l, XCR0_X87 | XCR0_SSE), 576u);
	CHECK_EQ(xcr0_xsave_size(&l, ZEN2), 832u);
	/* the end of the last enabled component, not the sum */
	l.end[9] = 2696 + 8; /* PKRU after AVX-512 */
	l.end[7] = 2688;
	CHECK_EQ(xcr0_xsave_size(&l, ZEN2 | XCR0_PKRU), 2704u);
	CHECK_EQ(xcr0_xsave_size(&l, ZEN2 | XCR0_AVX512), 2688u);
}

int main(void)
{
	test_xsave_size();
	test_guest_supported();
	test_set_allowed();
	return check_summary("xcr0");
}
