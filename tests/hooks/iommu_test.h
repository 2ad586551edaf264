/* Test only: with "iommu-test=edu-dma" on doorbell's command line, the hypervisor itself makes
 * QEMU's edu device (1234:11e8, QEMU docs/specs/edu.txt) DMA into memory while the IOMMU blocks
 * it, and reports whether memory changed and what the event log says. For tests/qemu/iommu.py. */
#ifndef IOMMU_IOMMU_TEST_H
#define IOMMU_IOMMU_TEST_H

/* Runs the test named on the command line, if any; call after the IOMMU is up. */
/* option: the value of iommu-test= ("" when absent). */
void iommu_test_run(const char *option);

#endif
