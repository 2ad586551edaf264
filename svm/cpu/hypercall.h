/* The guest-visible doorbell ABI: hypervisor CPUID leaves and VMMCALL hypercalls. Shared by the
 * hypervisor (svm/) and the guest runtime (guests/lib/); documented in docs/hypercalls.md.
 *
 * CPUID 0x40000000: EAX = highest hypervisor leaf (0x40000001),
 *                   EBX, ECX, EDX = "doorbell\0\0\0\0" (the vendor signature, 12 bytes).
 * CPUID 0x40000001: EAX = ABI version, EBX = this vCPU's index, ECX = number of vCPUs of the VM.
 *
 * VMMCALL (0F 01 D9): RAX = call number, arguments in RBX, RCX, RDX; result in RAX (negative =
 * error). Any other register is preserved. A call from CPL > 0 fails with HC_E_PERM. */
#ifndef SVM_CPU_HYPERCALL_H
#define SVM_CPU_HYPERCALL_H

#define DOORBELL_CPUID_BASE 0x40000000u
#define DOORBELL_CPUID_INFO 0x40000001u
#define DOORBELL_CPUID_SIG_EBX 0x726f6f64u /* "door" */
#define DOORBELL_CPUID_SIG_ECX 0x6c6c6562u /* "bell" */
#define DOORBELL_CPUID_SIG_EDX 0x00000000u
#define DOORBELL_ABI_VERSION 1

enum hypercall {
	HC_VERSION = 0,     /* -> DOORBELL_ABI_VERSION */
	HC_TEST_RESULT = 1, /* RBX = checks passed, RCX = checks failed: recorded and printed */
	HC_EXIT = 2,        /* RBX = status: the VM ends, as with isa-debug-exit */
	HC_EXIT_COUNT = 3,  /* -> the calling vCPU's total VM exits so far (for benchmarks) */
	HC_TSC_HZ = 4,      /* -> host TSC frequency in Hz (the guest's TSC runs at the same rate) */
	HC_DEBUG_VCPU = 5,  /* RBX = vCPU index: doorbell prints that vCPU's interrupt state;
			     * RDX:RCX = a TSC (0: none): and a traced VM's trace from then */
	/* Test only (iommu-test=edu-irq, tests/hooks/intremap_test.h): RBX = op, RCX, RDX = arguments */
	HC_TEST_DEVICE_IRQ = 6,
};

/* HC_TEST_DEVICE_IRQ operations. */
#define HC_DEVICE_IRQ_BIND   0 /* RCX = target vCPU index, RDX = guest vector: edu's MSI to it */
#define HC_DEVICE_IRQ_RAISE  1 /* one edu interrupt */
#define HC_DEVICE_IRQ_COUNTER 2 /* RCX = which: -> one of the counters below */
#define HC_DEVICE_IRQ_GUEST_MODE     0 /* 1: a guest-mode IRTE, 0: a remapped one */
#define HC_DEVICE_IRQ_IRTE_SCHED_IN  1 /* the target's stats (docs/stats.md) ... */
#define HC_DEVICE_IRQ_IRTE_SCHED_OUT 2
#define HC_DEVICE_IRQ_GA_LOG_WAKE    3
#define HC_DEVICE_IRQ_IRQ_REMAPPED   4
#define HC_DEVICE_IRQ_BOGUS_TAGS     5 /* ... and GA log entries with a bogus tag */
#define HC_DEVICE_IRQ_COUNTERS       6

#define HC_OK 0
#define HC_E_NOSYS (-1L)
#define HC_E_PERM (-2L)
#define HC_E_INVAL (-3L)

#endif
