/* Minimal host unit-test support. Each tests/unit/test_*.c is one program:
 *   - its first lines contain "// sources: a.c b.c" naming the project files it links;
 *   - it calls CHECK()/CHECK_EQ() and returns check_summary() from main().
 * check_summary() prints "N passed, N failed" on its own line and returns non-zero on failure. */
#ifndef TESTS_UNIT_CHECK_H
#define TESTS_UNIT_CHECK_H

#include <stdio.h>

static unsigned check_passed, check_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (cond) {                                                                        \
			check_passed++;                                                            \
		} else {                                                                           \
			check_failed++;                                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		unsigned long long check_a_ = (unsigned long long)(a);                             \
		unsigned long long check_b_ = (unsigned long long)(b);                             \
		if (check_a_ == check_b_) {                                                        \
			check_passed++;                                                            \
		} else {                                                                           \
			check_failed++;                                                            \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (0x%llx != 0x%llx)\n",   \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);                   \
		}                                                                                  \
	} while (0)

static inline int check_summary(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, check_passed, check_failed);
	return check_failed != 0;
}

#endif
