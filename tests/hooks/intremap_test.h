/* Test only: with "iommu-test=edu-irq" on doorbell's command line, a guest drives QEMU's edu
 * device (1234:11e8) through the hypercall HC_TEST_DEVICE_IRQ without owning it: the hypervisor
 * binds edu's MSI through the interrupt remapping table (svm/vm/intremap.h) to a vCPU of that
 * guest and raises edu interrupts on request, so that the guest can count them while the target
 * vCPU runs, halts, or is scheduled out. For tests/qemu/iommu.py (guests/device_irq.c); a guest
 * driver for an assigned edu is the passthrough work. Without the option the call returns
 * HC_E_NOSYS. */
#ifndef IOMMU_INTREMAP_TEST_H
#define IOMMU_INTREMAP_TEST_H

#include "kernel/types.h"

struct vcpu;

/* op (RBX) and its arguments (RCX, RDX), as in svm/cpu/hypercall.h: HC_DEVICE_IRQ_BIND (target vCPU
 * index, guest vector), HC_DEVICE_IRQ_RAISE, HC_DEVICE_IRQ_COUNTER (which). Prints nothing: the
 * guest reports what it learns. */
long intremap_test_hypercall(struct vcpu *v, uint64_t op, uint64_t a, uint64_t b);

/* With "iommu-test=irte-bench": the cost of one schedule-in or schedule-out IRTE update (the
 * CMPXCHG16B of irte_update_vcpu_tagged() on a guest-mode entry in memory), averaged over
 * INTREMAP_BENCH_UPDATES alternating updates, printed as "bench: irte_update <n> cycles" for
 * `make bench` (tools/bench_report.py). */
#define INTREMAP_BENCH_UPDATES 100000
void intremap_test_bench(void);

#endif
