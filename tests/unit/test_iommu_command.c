// sources: iommu/command.c
/* IOMMU commands. Expected values: AMD IOMMU spec #48882 §2.4 (opcode in bits 63:60;
 * COMPLETION_WAIT store address 51:3, S bit 0; INVALIDATE_IOMMU_PAGES DomainID 47:32, S/PDE bits
 * 0/1 of the second quadword), and two entries of a real command buffer as Linux's debugfs prints
 * them (Documentation/ABI/testing/debugfs-amd-iommu, dwords low first): "00835001 10000001 00003c00
 * 00000000"  COMPLETION_WAIT store at 0x1_00835000, data 0x3c00 "00000000 30000005 fffff003
 * 7fffffff"  INVALIDATE_IOMMU_PAGES domain 5, all pages. */
#include "iommu/command.h"
#include "tests/unit/check.h"

int main(void)
{
	struct iommu_command c = command_completion_wait(0x100835000ull, 0x3c00);
	CHECK_EQ(c.q[0], 0x1000000100835001ull);
	CHECK_EQ(c.q[1], 0x3c00);
	/* the store address keeps bits 51:3: no reserved bit 52-59 may be set by a wild pointer */
	c = command_completion_wait(0xfff0000000000008ull, 1);
	CHECK_EQ(c.q[0], 0x1000000000000009ull);
	CHECK_EQ(iommu_command_q0_get_interrupt(c.q[0]), 0);

	c = command_invalidate_iommu_pages(5);
	CHECK_EQ(c.q[0], 0x3000000500000000ull);
	CHECK_EQ(c.q[1], 0x7ffffffffffff003ull);

	c = command_invalidate_devtab_entry(0x0020);
	CHECK_EQ(c.q[0], 0x2000000000000020ull);
	CHECK_EQ(c.q[1], 0);

	c = command_invalidate_interrupt_table(0xa0);
	CHECK_EQ(c.q[0], 0x50000000000000a0ull);
	CHECK_EQ(c.q[1], 0);

	c = command_invalidate_iommu_all();
	CHECK_EQ(c.q[0], 0x8000000000000000ull);
	CHECK_EQ(c.q[1], 0);
	return check_summary("iommu_command");
}
