/* The hypervisor's command line (README "Command-line options"). Every option is checked here;
 * a bad one is reported with what to write instead, and config_refused() then stops the boot
 * before any VM runs unless the command line says `lenient`. */
#include "boot/config.h"
#include "avic/avic_policy.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/serial.h"
#include "kernel/string.h"
#include "svm/vm/test_hooks.h"

static bool one_of(const char *value, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(value, names[i]))
			return true;
	}
	return false;
}

/* The UART of console=com1|com2, 0 for anything else. */
static uint16_t config_console_port_of(const char *value)
{
	if (!strcmp(value, "com1"))
		return SERIAL_COM1;
	if (!strcmp(value, "com2"))
		return SERIAL_COM2;
	return 0;
}

static bool console_option(void *ctx, const char *key, const char *value)
{
	uint16_t *port = ctx;
	if (!strcmp(key, "console") && config_console_port_of(value))
		*port = config_console_port_of(value);
	return true;
}

uint16_t config_console_port(const char *cmdline)
{
	uint16_t port = SERIAL_COM1;
	cmdline_each(cmdline, console_option, &port);
	return port;
}

/* NULL when the option is good (and applied), else what to write instead. */
static const char *config_option_error(struct kernel_config *c, const char *key,
				       const char *value)
{
	static const char *const iommu_tests[] = {"edu-dma", "edu-irq", "irte-bench"};
	static const char *const faults[] = {"pf", "ud"};
	uint64_t n;
	enum avic_policy_request policy;
	if (!strcmp(key, "log")) {
		if (!console_parse_level(value, &console_level))
			return "expected log=error, warn, info or debug";
	} else if (!strcmp(key, "cpus")) {
		if (!cmdline_parse_uint(value, &n) || n < 1 || n > 0xffff)
			return "expected a number of CPUs >= 1, e.g. cpus=2";
		c->max_cpus = (unsigned)n;
	} else if (!strcmp(key, "policy")) {
		if (!avic_policy_parse(value, &policy))
			return "expected policy=auto, errata, standard or soft";
		strlcpy(c->policy, value, sizeof(c->policy));
	} else if (!strcmp(key, "timeout")) {
		if (!cmdline_parse_uint(value, &n) || n > 1000000)
			return "expected seconds, e.g. timeout=120 (0 = never)";
		c->vm_timeout_s = n;
	} else if ((!strcmp(key, "iommu-test") || !strcmp(key, "test-race") ||
		    !strcmp(key, "test-fault") || !strcmp(key, "test-spec")) && !test_hooks()) {
		return "a test-only option: this image has no test hooks (make test boots "
		       "build/doorbell-test.elf or .efi, which has them)";
	} else if (!strcmp(key, "iommu-test")) {
		if (!one_of(value, iommu_tests, ARRAY_SIZE(iommu_tests)))
			return "expected iommu-test=edu-dma, edu-irq or irte-bench";
		strlcpy(c->iommu_test, value, sizeof(c->iommu_test));
	} else if (!strcmp(key, "test-race")) {
		if (strcmp(value, "wake"))
			return "expected test-race=wake";
		c->test_race_wake = true;
	} else if (!strcmp(key, "test-spec")) {
		if (strcmp(value, "ibpb"))
			return "expected test-spec=ibpb";
		c->test_spec_ibpb = true;
	} else if (!strcmp(key, "test-fault")) {
		if (value[0] && !one_of(value, faults, ARRAY_SIZE(faults)))
			return "expected test-fault=pf or ud";
		strlcpy(c->test_fault, value[0] ? value : "pf", sizeof(c->test_fault));
	} else if (!strcmp(key, "report")) {
		if (strcmp(value, "1") && strcmp(value, "0"))
			return "expected report=1 (print the machine report, run no VM) or report=0";
		c->report = value[0] == '1';
	} else if (!strcmp(key, "console")) {
		if (!config_console_port_of(value))
			return "expected console=com1 or com2";
	} else if (!strcmp(key, "after")) {
		if (!strcmp(value, "halt"))
			c->after = AFTER_HALT;
		else if (!strcmp(value, "reboot"))
			c->after = AFTER_REBOOT;
		else if (!strcmp(value, "poweroff"))
			c->after = AFTER_POWEROFF;
		else
			return "expected after=halt, reboot or poweroff";
	} else if (!strcmp(key, "lenient")) {
		if (value[0])
			return "lenient takes no value";
		c->lenient = true;
	} else {
		return "unknown option";
	}
	return NULL;
}

static bool config_option(void *ctx, const char *key, const char *value)
{
	struct kernel_config *c = ctx;
	const char *error = config_option_error(c, key, value);
	if (error) {
		pr_err("config: '%s%s%s': %s (README \"Command-line options\")\n", key,
		       value[0] ? "=" : "", value, error);
		c->bad_options++;
	}
	return true;
}

void config_parse(struct kernel_config *c, const char *cmdline)
{
	printk("doorbell: command line '%s'\n", cmdline);
	cmdline_each(cmdline, config_option, c);
	if (c->test_race_wake)
		printk("test-race: wake/block race windows widened (tests only)\n");
}

bool config_refused(const struct kernel_config *c)
{
	if (!c->bad_options)
		return false;
	if (c->lenient) {
		pr_warn("config: %u bad option(s) ignored (lenient): this run is not the one the "
			"command line describes\n",
			c->bad_options);
		return false;
	}
	pr_err("config: %u bad option(s) on the command line: no VM is run; correct them, or add "
	       "'lenient' to boot anyway without them\n",
	       c->bad_options);
	return true;
}
