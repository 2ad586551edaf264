// sources: boot/config.c kernel/cmdline.c kernel/string.c avic/avic_policy.c avic/avic_table.c
/* Fuzz target for doorbell's own command line (boot/config.c over kernel/cmdline.c): what the
 * boot loader passes (GRUB's multiboot2 line or doorbell.cfg), parsed into struct kernel_config.
 *
 * Input: the command line (bytes up to the first NUL). The console is this file's: printk() and
 * log_at() format into a buffer with vsnprintf(), so every format argument is really read.
 * Invariants: each bad option is reported once (bad_options equals the error lines printed) and
 * config_refused() holds exactly when there was one and no `lenient`; every accepted value is in
 * its documented range: policy auto/errata/standard/soft, cpus 1-65535, timeout at most 10^6 s,
 * iommu-test one of its three tests, test-fault pf or ud; every string is NUL-terminated; parsing
 * the same line twice gives the same configuration; the image users boot (no test hooks) takes no
 * test-only option. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/config.h"
#include "kernel/console.h"
#include "svm/vm/test_hooks.h"
#include "tests/fuzz/fuzz.h"

enum log_level console_level = LOG_INFO;
static unsigned error_lines;
static bool hooks_linked;

/* The test image (build/doorbell-test.*) has hooks; the image users boot has none. */
const struct test_hooks *test_hooks(void)
{
	static const struct test_hooks hooks;
	return hooks_linked ? &hooks : NULL;
}

void printk(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}

void log_at(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	error_lines += level == LOG_ERROR && !strncmp(line, "config: '", 9);
}

bool console_parse_level(const char *s, enum log_level *out)
{
	if (!strcmp(s, "error"))
		*out = LOG_ERROR;
	else if (!strcmp(s, "warn"))
		*out = LOG_WARN;
	else if (!strcmp(s, "info"))
		*out = LOG_INFO;
	else if (!strcmp(s, "debug"))
		*out = LOG_DEBUG;
	else
		return false;
	return true;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static void check(const struct kernel_config *c)
{
	static const char *const policies[] = {"", "auto", "errata", "standard", "soft", NULL};
	static const char *const tests[] = {"", "edu-dma", "edu-irq", "irte-bench", NULL};
	static const char *const faults[] = {"", "pf", "ud", NULL};
	FUZZ_CHECK(memchr(c->policy, 0, sizeof(c->policy)) && memchr(c->iommu_test, 0,
	                                                             sizeof(c->iommu_test)) &&
	               memchr(c->test_fault, 0, sizeof(c->test_fault)),
	           "a string option is not terminated");
	FUZZ_CHECK(in_list(c->policy, policies), "policy '%s' accepted", c->policy);
	FUZZ_CHECK(in_list(c->iommu_test, tests), "iommu-test '%s' accepted", c->iommu_test);
	FUZZ_CHECK(in_list(c->test_fault, faults), "test-fault '%s' accepted", c->test_fault);
	FUZZ_CHECK(c->max_cpus <= 0xffff, "cpus=%u accepted", c->max_cpus);
	FUZZ_CHECK(c->vm_timeout_s <= 1000000, "timeout=%llu accepted",
	           (unsigned long long)c->vm_timeout_s);
	FUZZ_CHECK(c->bad_options == error_lines, "%u bad options, %u error lines", c->bad_options,
	           error_lines);
	FUZZ_CHECK(config_refused(c) == (c->bad_options && !c->lenient),
	           "config_refused() with %u bad options, lenient %d", c->bad_options, c->lenient);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kernel_config a, b;
	char *line = fuzz_string(data, size);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	hooks_linked = true;
	error_lines = 0;
	config_parse(&a, line);
	check(&a);
	error_lines = 0;
	config_parse(&b, line);
	static struct kernel_config product;
	memset(&product, 0, sizeof(product));
	hooks_linked = false;
	error_lines = 0;
	config_parse(&product, line);
	free(line);
	check(&product);
	FUZZ_CHECK(!product.iommu_test[0] && !product.test_fault[0] && !product.test_race_wake,
	           "the image without test hooks took a test-only option");
	FUZZ_CHECK(!strcmp(a.policy, b.policy) && !strcmp(a.iommu_test, b.iommu_test) &&
	               !strcmp(a.test_fault, b.test_fault) && a.max_cpus == b.max_cpus &&
	               a.vm_timeout_s == b.vm_timeout_s && a.lenient == b.lenient &&
	               a.test_race_wake == b.test_race_wake && a.bad_options == b.bad_options,
	           "not deterministic");
	return 0;
}

/* Words of doorbell's options, good and bad values, quotes and blanks. */
static size_t generate(uint8_t *buf, size_t cap, uint64_t (*rnd)(void))
{
	static const char *const parts[] = {
	    "log=",    "cpus=",   "policy=", "timeout=", "iommu-test=", "test-race=", "test-fault=",
	    "lenient", "debug",   "warn",    "auto",     "errata",      "standard",   "soft",
	    "edu-dma", "edu-irq", "irte-bench", "wake",  "pf",          "ud",         "0",
	    "1",       "65535",   "65536",   "1000000",  "1000001",     "0x10",       " ",
	    "\"",      "=",       "\t",      "x"};
	return fuzz_words(buf, 0, cap, parts, sizeof(parts) / sizeof(parts[0]), 16, rnd);
}

const struct fuzz_target fuzz_target = {
	.name = "config",
	.iterations = 50000,
	.max_len = 512,
	.generate = generate,
};
