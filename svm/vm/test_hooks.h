/* Test hooks. The test-only paths (iommu-test=, test-race=, test-fault=, the HC_TEST_DEVICE_IRQ
 * hypercall) live in tests/hooks/ and are linked only into the test image
 * (build/doorbell-test.elf and .efi, which make test boots where a test needs them). The image
 * users boot links svm/vm/test_hooks_none.c instead: test_hooks() is NULL there, the options are
 * refused as unknown, and none of the test code is in it. */
#ifndef SVM_VM_TEST_HOOKS_H
#define SVM_VM_TEST_HOOKS_H

#include "kernel/types.h"

struct vcpu;
struct spec_caps;

enum test_race_point {
	/* A wake-up by the delivery protocol, mostly a sender's that found its target not loaded:
	 * as if the host had descheduled the sender's CPU there (1 in 4 times, 2 to 10 ms). */
	TEST_RACE_WAKE,
	/* A vCPU that left its run loop to wait (BLOCKED or WAIT_SIPI), before it is put (1 in 2
	 * times, 0.5 to 1.5 ms). */
	TEST_RACE_PUT,
	TEST_RACE_POINTS
};

struct test_hooks {
	void (*before_vms)(void);          /* test-fault=: a forced fault in the hypervisor */
	void (*after_iommu_init)(void);    /* iommu-test=edu-dma: edu's DMA against blocked entries */
	void (*after_intremap_init)(void); /* iommu-test=irte-bench: cycles per IRTE update and
	                                    * per trace point (tests/hooks/trace_bench.c) */
	void (*race_delay)(enum test_race_point p); /* test-race=wake: widened race windows */
	long (*hypercall)(struct vcpu *v, uint64_t op, uint64_t a, uint64_t b); /* edu-irq */
	void (*after_vms)(void);           /* test-race=wake: how many calls were delayed */
	void (*adjust_spec_caps)(struct spec_caps *c); /* test-spec=ibpb: IBPB on without CPUID */
};

/* The test image's hooks, or NULL in the image users boot. */
const struct test_hooks *test_hooks(void);

static inline void test_race_delay(enum test_race_point p)
{
	const struct test_hooks *h = test_hooks();
	if (h)
		h->race_delay(p);
}

#endif
