/* Floor 11, tests/hooks/ (docs/architecture.md "Floors").
 * Owns: test-only code, linked into the test image only.
 * May use: anything; nothing in the product uses it but through svm/vm/test_hooks.h. */
/* The test image's hooks (svm/vm/test_hooks.h): linked into build/doorbell-test.* in place of
 * svm/vm/test_hooks_none.c, never into the image users boot. */
#include "svm/vm/test_hooks.h"
#include "kernel/config.h"
#include "kernel/console.h"
#include "kernel/string.h"
#include "svm/cpu/spec.h"
#include "tests/hooks/intremap_test.h"
#include "tests/hooks/iommu_test.h"
#include "tests/hooks/test_race.h"
#include "tests/hooks/trace_bench.h"

/* test-fault=pf|ud: the fault-handling path must print a register dump and fail the run. */
static void test_fault(void)
{
	const char *kind = kernel_config.test_fault;
	if (!kind[0])
		return;
	printk("test-fault: forcing a '%s' fault\n", kind);
	if (!strcmp(kind, "ud"))
		__asm__ volatile("ud2");
	volatile uint64_t *bad = (volatile uint64_t *)0xdead0000000ull;
	*bad = 1;
}

static void iommu_test(void)
{
	iommu_test_run(kernel_config.iommu_test);
}

/* iommu-test=irte-bench: make bench's hypervisor measurements */
static void bench_after_intremap_init(void)
{
	intremap_test_bench();
	trace_bench_run();
}

/* test-spec=ibpb: QEMU 7.2's TCG never offers IBPB (Fn8000_0008_EBX is filtered to 0) but
 * ignores a PRED_CMD write without #GP, so the IBPB decisions between VMs run and are counted
 * (tests/qemu/guests.py spec-ibpb-*). */
static void test_spec_caps(struct spec_caps *c)
{
	if (!kernel_config.test_spec_ibpb)
		return;
	c->ibpb = true;
	printk("test-spec: IBPB forced on (tests only): PRED_CMD written without CPUID's bit\n");
}

static const struct test_hooks hooks = {
	.before_vms = test_fault,
	.after_iommu_init = iommu_test,
	.after_intremap_init = bench_after_intremap_init,
	.race_delay = test_race_point_delay,
	.hypercall = intremap_test_hypercall,
	.after_vms = test_race_report,
	.adjust_spec_caps = test_spec_caps,
};

const struct test_hooks *test_hooks(void)
{
	return &hooks;
}
