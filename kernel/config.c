#include "kernel/config.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/string.h"

static bool config_option(void *ctx, const char *key, const char *value)
{
	struct kernel_config *c = ctx;
	uint64_t n;
	if (!strcmp(key, "log")) {
		if (!console_parse_level(value, &console_level))
			pr_err("config: log=%s: expected error, warn, info or debug\n", value);
	} else if (!strcmp(key, "cpus")) {
		if (cmdline_parse_uint(value, &n) && n >= 1 && n <= 0xffff)
			c->max_cpus = (unsigned)n;
		else
			pr_err("config: cpus=%s: expected a number of CPUs >= 1\n", value);
	} else if (!strcmp(key, "policy")) {
		strlcpy(c->policy, value, sizeof(c->policy));
	} else if (!strcmp(key, "timeout")) {
		if (cmdline_parse_uint(value, &n))
			c->vm_timeout_s = n;
		else
			pr_err("config: timeout=%s: expected seconds\n", value);
	} else if (!strcmp(key, "iommu-test")) {
		strlcpy(c->iommu_test, value, sizeof(c->iommu_test));
	} else if (!strcmp(key, "test-race")) {
		if (!strcmp(value, "wake")) {
			c->test_race_wake = true;
			printk("test-race: wake/block race windows widened (tests only)\n");
		} else {
			pr_err("config: test-race=%s: expected wake\n", value);
		}
	} else if (!strcmp(key, "test-fault")) {
		strlcpy(c->test_fault, value[0] ? value : "pf", sizeof(c->test_fault));
	} else {
		pr_err("config: unknown option '%s' ignored (see README, \"Command-line options\")\n",
		       key);
		c->unknown_options++;
	}
	return true;
}

void config_parse(struct kernel_config *c, const char *cmdline)
{
	printk("doorbell: command line '%s'\n", cmdline);
	cmdline_each(cmdline, config_option, c);
}
