/* The hypervisor's configuration, from its command line (README "Command-line options"). */
#ifndef KERNEL_CONFIG_H
#define KERNEL_CONFIG_H

#include "kernel/types.h"

struct boot_info;
struct acpi_info;

struct kernel_config {
	struct boot_info *boot;
	unsigned max_cpus;     /* cpus=N: use at most N CPUs, 0 = all */
	char test_fault[16];   /* test-fault=pf|ud: force a hypervisor fault (tests only) */
	char iommu_test[16];   /* iommu-test=edu-dma: blocked-DMA check at boot (tests only) */
	bool test_race_wake;   /* test-race=wake: widen the wake/block race (svm/vm/test_race.h) */
	char policy[16];       /* policy=auto|errata|standard|soft */
	uint64_t vm_timeout_s; /* timeout=S: stop VMs still running after S seconds, 0 = never */
	bool lenient;          /* lenient: report bad options and boot anyway */
	unsigned bad_options;  /* unknown options and bad values */
};

extern struct kernel_config kernel_config;

void config_parse(struct kernel_config *c, const char *cmdline);
/* After config_parse(): true (having said why and what to do) when the command line had a bad
 * option and no `lenient`, and the boot must stop before any VM runs. */
bool config_refused(const struct kernel_config *c);
/* Creates and runs the VMs named by the loader's modules; returns the QEMU exit value. */
int kernel_run_vms(const struct acpi_info *acpi);

#endif
