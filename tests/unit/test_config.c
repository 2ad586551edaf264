// sources: boot/config.c kernel/cmdline.c kernel/string.c avic/avic_policy.c avic/avic_table.c
/* doorbell's command line fails closed: every unknown option or bad value is reported with what
 * to write instead, and config_refused() stops the boot unless `lenient` is given. */
#include "tests/unit/check.h"
#include "boot/config.h"
#include "svm/vm/test_hooks.h"
#include "kernel/console.h"
#include <stdarg.h>
#include <string.h>

/* The test image has hooks, the image users boot has none (svm/vm/test_hooks.h). */
static bool test_image;

const struct test_hooks *test_hooks(void)
{
	static const struct test_hooks hooks;
	return test_image ? &hooks : NULL;
}

/* The console, as the config code sees it: everything printed goes into one buffer. */
enum log_level console_level = LOG_INFO;
static char out[4096];

static void out_append(const char *fmt, va_list ap)
{
	size_t n = strlen(out);
	vsnprintf(out + n, sizeof(out) - n, fmt, ap);
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_append(fmt, ap);
	va_end(ap);
}

void log_at(enum log_level level, const char *fmt, ...)
{
	(void)level;
	va_list ap;
	va_start(ap, fmt);
	out_append(fmt, ap);
	va_end(ap);
}

bool console_parse_level(const char *s, enum log_level *level)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	for (unsigned i = 0; i < 4; i++) {
		if (!strcmp(s, names[i])) {
			*level = (enum log_level)i;
			return true;
		}
	}
	return false;
}

/* Parses line into a fresh configuration; returns config_refused()'s answer. */
static bool parse(struct kernel_config *c, const char *line)
{
	memset(c, 0, sizeof(*c));
	out[0] = 0;
	config_parse(c, line);
	return config_refused(c);
}

int main(void)
{
	struct kernel_config c;
	/* the image users boot has no test hooks: a test-only option is refused, saying why */
	CHECK(parse(&c, "iommu-test=irte-bench"));
	CHECK_EQ(c.bad_options, 1);
	CHECK(strstr(out, "'iommu-test=irte-bench': a test-only option: this image has no test hooks") !=
	      NULL);
	CHECK(parse(&c, "test-race=wake"));
	CHECK(parse(&c, "test-fault=ud"));
	CHECK(parse(&c, "test-spec=ibpb"));
	CHECK(!c.test_race_wake && !c.test_fault[0] && !c.test_spec_ibpb);
	test_image = true;

	/* good options are applied and accepted */
	CHECK(!parse(&c, "log=info cpus=2 timeout=30 policy=errata iommu-test=irte-bench"));
	CHECK_EQ(c.bad_options, 0);
	CHECK_EQ(c.max_cpus, 2);
	CHECK_EQ(c.vm_timeout_s, 30);
	CHECK(!strcmp(c.policy, "errata"));
	CHECK(!strcmp(c.iommu_test, "irte-bench"));
	CHECK(!parse(&c, "test-fault test-race=wake"));
	CHECK(!strcmp(c.test_fault, "pf") && c.test_race_wake);
	CHECK(!parse(&c, "test-spec=ibpb report=1"));
	CHECK(c.test_spec_ibpb && c.report);
	CHECK(!parse(&c, "report=0"));
	CHECK(!c.report);
	CHECK(!parse(&c, "console=com2"));
	CHECK_EQ(config_console_port("log=info console=com2 cpus=1"), 0x2f8);
	CHECK_EQ(config_console_port("console=com1"), 0x3f8);
	CHECK_EQ(config_console_port("log=info"), 0x3f8);
	CHECK_EQ(config_console_port("console=ttyS1"), 0x3f8); /* refused by config_parse */
	CHECK(!parse(&c, "after=reboot"));
	CHECK_EQ(c.after, AFTER_REBOOT);
	CHECK(!parse(&c, "after=poweroff"));
	CHECK_EQ(c.after, AFTER_POWEROFF);
	CHECK(!parse(&c, "after=halt"));
	CHECK_EQ(c.after, AFTER_HALT);

	/* the typo: refused, named, and the policy is not changed behind the user's back */
	CHECK(parse(&c, "polcy=errata"));
	CHECK_EQ(c.bad_options, 1);
	CHECK(c.policy[0] == 0);
	CHECK(strstr(out, "config: 'polcy=errata': unknown option") != NULL);
	CHECK(strstr(out, "no VM is run; correct them, or add 'lenient'") != NULL);

	/* each bad value is refused with the values it accepts */
	static const struct {
		const char *line, *message;
	} bad[] = {
		{"policy=erata", "expected policy=auto, errata, standard or soft"},
		{"policy=", "expected policy=auto, errata, standard or soft"},
		{"log=loud", "expected log=error, warn, info or debug"},
		{"cpus=0", "expected a number of CPUs >= 1"},
		{"cpus=two", "expected a number of CPUs >= 1"},
		{"timeout=10s", "expected seconds"},
		{"iommu-test=edu", "expected iommu-test=edu-dma, edu-irq or irte-bench"},
		{"test-race=sleep", "expected test-race=wake"},
		{"test-fault=gp", "expected test-fault=pf or ud"},
		{"lenient=1", "lenient takes no value"},
		{"test-spec=ibrs", "expected test-spec=ibpb"},
		{"report=yes", "expected report=1"},
		{"report", "expected report=1"},
		{"after=shutdown", "expected after=halt, reboot or poweroff"},
		{"console=ttyS1", "expected console=com1 or com2"},
		{"frobnicate", "unknown option"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool refused = parse(&c, bad[i].line);
		CHECK(refused);
		if (!refused || !strstr(out, bad[i].message))
			fprintf(stderr, "'%s' gave: %s\n", bad[i].line, out);
		CHECK(strstr(out, bad[i].message) != NULL);
	}
	/* every bad option is counted, not just the first */
	CHECK(parse(&c, "frobnicate=1 log=loud cpus=1"));
	CHECK_EQ(c.bad_options, 2);
	CHECK(strstr(out, "config: 2 bad option(s)") != NULL);

	/* lenient: reported, and the boot goes on, saying the run is not the one described */
	CHECK(!parse(&c, "lenient polcy=errata"));
	CHECK_EQ(c.bad_options, 1);
	CHECK(strstr(out, "'polcy=errata': unknown option") != NULL);
	CHECK(strstr(out, "ignored (lenient)") != NULL);
	return check_summary("config");
}
