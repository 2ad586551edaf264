/* The hypervisor's configuration, from its command line (README "Command-line options"): a plain
 * record that boot/config.c fills in at start-up and every floor may read. */
#ifndef KERNEL_CONFIG_H
#define KERNEL_CONFIG_H

#include "kernel/types.h"

struct boot_info;
struct acpi_info;

/* after=: what the machine does once the run is over (kernel/power.h) */
enum after_run {
	AFTER_HALT,     /* default: QEMU's isa-debug-exit with the status when under QEMU, else park */
	AFTER_REBOOT,   /* reset the machine */
	AFTER_POWEROFF, /* ACPI S5 */
};

struct kernel_config {
	struct boot_info *boot;
	unsigned max_cpus;     /* cpus=N: use at most N CPUs, 0 = all */
	char test_fault[16];   /* test-fault=pf|ud: force a hypervisor fault (tests only) */
	char iommu_test[16];   /* iommu-test=edu-dma: blocked-DMA check at boot (tests only) */
	bool test_race_wake;   /* test-race=wake: widen the wake/block race (tests/hooks/test_race.h) */
	bool test_spec_ibpb;   /* test-spec=ibpb: IBPB between VMs without CPUID's bit (tests only) */
	char policy[16];       /* policy=auto|errata|standard|soft */
	uint64_t vm_timeout_s; /* timeout=S: stop VMs still running after S seconds, 0 = never */
	bool lenient;          /* lenient: report bad options and boot anyway */
	bool report;           /* report=1: print the machine report, run no VM (boot/report.h) */
	enum after_run after;  /* after=halt|reboot|poweroff */
	unsigned bad_options;  /* unknown options and bad values */
};

extern struct kernel_config kernel_config;


#endif
