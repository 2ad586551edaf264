/* 64-bit division for a 32-bit freestanding build. gcc lowers a 64-bit '/' or '%' on i386 to calls
 * of libgcc routines (GCC internals manual, "Integer library routines"); the host's libgcc is
 * 64-bit only, so the guests bring their own: the unsigned ones they use, and the signed ones on
 * top of them. Restoring shift-and-subtract division: one quotient bit per step. */
#include "kernel/types.h"

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
int64_t __divdi3(int64_t n, int64_t d);
int64_t __moddi3(int64_t n, int64_t d);

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;
	if (d == 0) /* what DIV would do: a divide error, here a visible trap */
		__builtin_trap();
	for (int bit = 63; bit >= 0; bit--) {
		r = r << 1 | ((n >> bit) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << bit;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	return __udivmoddi4(n, d, NULL);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;
	__udivmoddi4(n, d, &r);
	return r;
}

static uint64_t magnitude(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

/* C rounds toward zero: the quotient is negative when the signs differ, the remainder takes the
 * sign of the dividend (C11 6.5.5). */
int64_t __divdi3(int64_t n, int64_t d)
{
	uint64_t q = __udivmoddi4(magnitude(n), magnitude(d), NULL);
	return (n < 0) != (d < 0) ? -(int64_t)q : (int64_t)q;
}

int64_t __moddi3(int64_t n, int64_t d)
{
	uint64_t r;
	__udivmoddi4(magnitude(n), magnitude(d), &r);
	return n < 0 ? -(int64_t)r : (int64_t)r;
}
