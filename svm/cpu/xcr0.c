#include "svm/cpu/xcr0.h"

#define XSAVE_HEADER_END 576 /* legacy region + XSAVE header (SDM vol. 1 §13.4) */

struct xsave_layout xsave_layout;

uint32_t xcr0_xsave_size(const struct xsave_layout *l, uint64_t components)
{
	uint32_t size = XSAVE_HEADER_END;
	for (unsigned i = 2; i < XCR0_LAYOUT_COMPONENTS; i++)
		if ((components & BIT(i)) && l->end[i] > size)
			size = l->end[i];
	return size;
}

uint64_t xcr0_guest_supported(uint64_t cpu_supported)
{
	uint64_t s = cpu_supported & XCR0_SWITCHED;
	if (!(s & XCR0_SSE))
		s &= ~XCR0_YMM;
	if (!(s & XCR0_YMM) || (s & XCR0_AVX512) != XCR0_AVX512)
		s &= ~XCR0_AVX512;
	return s | XCR0_X87;
}

bool xcr0_set_allowed(uint64_t supported, unsigned cpl, uint32_t index, uint64_t value)
{
	if (cpl != 0 || index != 0)
		return false;
	if (!(value & XCR0_X87))
		return false;
	if ((value & XCR0_YMM) && !(value & XCR0_SSE))
		return false;
	if (value & ~supported)
		return false;
	uint64_t avx512 = value & XCR0_AVX512;
	if (avx512 && (avx512 != XCR0_AVX512 || !(value & XCR0_YMM)))
		return false;
	return true;
}
