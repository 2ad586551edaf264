#include "guests/lib/test.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/printf.h"
#include "guests/lib/x86.h"
#include "kernel/format.h"

struct counts {
	uint32_t passed, failed;
};

static struct counts common_counts, doorbell_counts;

static bool count_check(struct counts *c, const char *tag, bool cond, const char *fmt, va_list ap)
{
	char name[160];
	format_v(name, sizeof(name), fmt, ap);
	__atomic_fetch_add(cond ? &c->passed : &c->failed, 1, __ATOMIC_RELAXED);
	printf("%s:%s %s\n", cond ? "PASS" : "FAIL", tag, name);
	return cond;
}

bool test_check(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	count_check(&common_counts, "", cond, fmt, ap);
	va_end(ap);
	return cond;
}

bool test_check_doorbell(bool cond, const char *fmt, ...)
{
	if (!doorbell_present())
		return cond;
	va_list ap;
	va_start(ap, fmt);
	count_check(&doorbell_counts, " [doorbell]", cond, fmt, ap);
	va_end(ap);
	return cond;
}

NORETURN void test_exit(uint32_t code)
{
	outl(DEBUG_EXIT_PORT, code);
	/* Reached only when the machine has no isa-debug-exit device. */
	if (doorbell_present())
		doorbell_hypercall(HC_EXIT, code, 0, 0);
	for (;;) {
		cli();
		hlt();
	}
}

NORETURN void test_done(void)
{
	struct counts c = common_counts, d = doorbell_counts;
	if (doorbell_present()) {
		printf("guest-%s: doorbell-only checks: %u passed, %u failed\n", guest_name,
		       d.passed, d.failed);
		doorbell_hypercall(HC_TEST_RESULT, c.passed + d.passed, c.failed + d.failed, 0);
	}
	printf("guest-%s: %u passed, %u failed\n", guest_name, c.passed, c.failed);
	test_exit(c.failed || d.failed ? TEST_EXIT_FAIL : TEST_EXIT_PASS);
}

NORETURN void test_abort(const char *why)
{
	struct counts c = common_counts;
	printf_unlocked("guest-%s: aborted: %s\n", guest_name, why);
	if (doorbell_present())
		doorbell_hypercall(HC_TEST_RESULT, c.passed, c.failed + 1, 0);
	printf_unlocked("guest-%s: %u passed, %u failed\n", guest_name, c.passed, c.failed + 1);
	test_exit(TEST_EXIT_FAIL);
}
