// sources: kernel/format.c
#include "tests/unit/check.h"
#include "kernel/format.h"
#include <string.h>

static char buf[128];

#define EXPECT(expected, ...)                                                                      \
	do {                                                                                       \
		int n_ = format(buf, sizeof(buf), __VA_ARGS__);                                    \
		CHECK(strcmp(buf, expected) == 0);                                                 \
		CHECK_EQ(n_, strlen(expected));                                                    \
		if (strcmp(buf, expected))                                                         \
			fprintf(stderr, "  got \"%s\" want \"%s\"\n", buf, expected);              \
	} while (0)

int main(void)
{
	EXPECT("42", "%d", 42);
	EXPECT("-42", "%d", -42);
	EXPECT("-9223372036854775808", "%ld", (long)(-9223372036854775807L - 1));
	EXPECT("18446744073709551615", "%lu", ~0ul);
	EXPECT("ffffffff", "%x", 0xffffffffu);
	EXPECT("0x00001000", "0x%08lx", 0x1000ul);
	EXPECT("DEAD", "%X", 0xdead);
	EXPECT("   7", "%4d", 7);
	EXPECT("7   |", "%-4d|", 7);
	EXPECT("-007", "%04d", -7);
	EXPECT("17", "%o", 15);
	EXPECT("ab", "%s%c", "a", 'b');
	const char *volatile null_str = NULL;
	EXPECT("(null)", "%s", null_str);
	EXPECT("  hi", "%4s", "hi");
	EXPECT("hel", "%.3s", "hello");
	EXPECT("0x1234", "%p", (void *)0x1234);
	EXPECT("100%", "%d%%", 100);
	EXPECT("255 65535", "%hhu %hu", 0x1ff, 0x1ffff);
	EXPECT("5", "%zu", (size_t)5);
	EXPECT("1099511627776 -1099511627776", "%llu %lld", 1ull << 40, -(1ll << 40));
	EXPECT("10000000000", "%llx", 1ull << 40);
	EXPECT("  ab", "%*s", 4, "ab");
	/* truncation: the return value is the full length, the buffer is terminated */
	char small[4];
	CHECK_EQ(format(small, sizeof(small), "%s", "abcdef"), 6);
	CHECK(strcmp(small, "abc") == 0);
	CHECK_EQ(format(NULL, 0, "%d", 12345), 5);
	return check_summary("format");
}
