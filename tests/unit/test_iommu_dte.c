// sources: iommu/dte.c
/* Device table entries. Expected values from AMD IOMMU spec #48882 §2.2.2.1 Table 7: V bit 0,
 * TV 1, Mode 11:9, IR 61, IW 62; IV 128, IntTabLen 132:129, IntTableRootPtr 179:134, IntCtl
 * 189:188, INITPass 184, EIntPass 185, NMIPass 186, Lint0Pass 190, Lint1Pass 191. */
#include "iommu/dte.h"
#include "tests/unit/check.h"

/* Bits QEMU's model (amdvi_validate_dte) treats as reserved: 6:2 and 63 of the first quadword,
 * 53:52 of the third. A blocked entry with one of them set would be an ILLEGAL_DEV_TABLE_ENTRY. */
#define Q0_RESERVED 0x800000000000007cull
#define Q2_RESERVED 0x0030000000000000ull

int main(void)
{
	struct dte d = dte_blocked();
	CHECK_EQ(d.q[0], 0x3); /* V, TV, Mode 0, IR = IW = 0 */
	CHECK_EQ(d.q[1], 0);   /* domain 0, no suppression */
	CHECK_EQ(d.q[2], 0x1); /* IV, IntCtl 00b = abort, no pass bits */
	CHECK_EQ(d.q[3], 0);
	CHECK(dte_dma_blocked(d));
	CHECK(dte_interrupts_blocked(d));

	struct dte open = dte_with_untranslated_dma(d, true, true);
	CHECK_EQ(open.q[0], 0x6000000000000003ull);
	CHECK(!dte_dma_blocked(open));
	CHECK(dte_interrupts_blocked(open));
	CHECK(!dte_dma_blocked(dte_with_untranslated_dma(d, true, false)));
	CHECK(dte_dma_blocked(dte_with_untranslated_dma(open, false, false)));

	/* 512 IRTEs (IntTabLen 9) at 0x12345680, remapped (IntCtl 10b) */
	struct dte ir = dte_with_interrupt_table(d, 0x12345680ull, 9);
	CHECK_EQ(ir.q[2], 0x2000000012345693ull);
	CHECK_EQ(ir.q[0], d.q[0]);
	CHECK(!dte_interrupts_blocked(ir));
	CHECK(dte_dma_blocked(ir));

	/* V = 0 and TV = 0 let DMA through; a pass bit lets one interrupt class through */
	struct dte v0 = d;
	v0.q[0] = dte_q0_set_v(v0.q[0], 0);
	CHECK(!dte_dma_blocked(v0));
	CHECK(!dte_interrupts_blocked(v0));
	struct dte tv0 = d;
	tv0.q[0] = dte_q0_set_tv(tv0.q[0], 0);
	CHECK(!dte_dma_blocked(tv0));
	struct dte nmi = d;
	nmi.q[2] |= 1ull << (186 - 128);
	CHECK(!dte_interrupts_blocked(nmi));
	CHECK_EQ(dte_q2_get_nmi_pass(nmi.q[2]), 1);

	/* one level (Mode 001b) at 0x7654321000, no access: blocked, but not by Mode 0 */
	struct dte pt = dte_with_page_table(d, 0x7654321fffull, 1, false, false);
	CHECK_EQ(pt.q[0], 0x0000007654321203ull);
	CHECK(!dte_dma_blocked(pt));
	CHECK_EQ(dte_with_page_table(d, 0x1000, 4, true, true).q[0], 0x6000000000001803ull);
	CHECK_EQ(pt.q[2], d.q[2]);

	/* an assigned device: three levels at 0x12345000, IR = IW = 1, domain 5, interrupts still
	 * blocked */
	struct dte assigned = dte_with_domain(dte_with_page_table(d, 0x12345000ull, 3, true, true), 5);
	CHECK_EQ(assigned.q[0], 0x6000000012345603ull);
	CHECK_EQ(assigned.q[1], 5);
	CHECK_EQ(assigned.q[2], d.q[2]);
	CHECK(dte_interrupts_blocked(assigned));
	CHECK_EQ(dte_with_domain(assigned, 0xffff).q[1], 0xffff);

	CHECK_EQ(d.q[0] & Q0_RESERVED, 0);
	CHECK_EQ(ir.q[2] & Q2_RESERVED, 0);
	CHECK_EQ(open.q[0] & Q0_RESERVED, 0);
	CHECK_EQ(DTE_TABLE_BYTES, 2u << 20);
	return check_summary("iommu_dte");
}
