// sources: iommu/ivrs_apply.c iommu/ivrs.c iommu/dte.c iommu/io_pgtable.c kernel/acpi.c kernel/format.c
/* What the IVRS asks of the IOMMUs: control bits from the IVHD flags (as Linux's
 * iommu_init_flags()), DTE settings from the device entries (set_dev_entry_from_acpi()) and
 * identity-mapped domains for IVMD unity maps and exclusion ranges (#48882 §5.2.3). The bit
 * positions expected here are the spec's: Control HtTunEn 1, InvTimeout 7:5, PassPW 8,
 * ResPassPW 9, Coherent 10, Isoc 11; DTE INITPass 184, EIntPass 185, NMIPass 186, Lint0Pass 190,
 * Lint1Pass 191, SysMgt 105:104. */
#include "iommu/ivrs_apply.h"
#include "tests/unit/check.h"
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_pages.h"

static void test_control(void)
{
	CHECK_EQ(ivrs_control_bits(0), (1ull << 10) | (4ull << 5));
	CHECK_EQ(ivrs_control_bits(0x01), (1ull << 10) | (4ull << 5) | (1ull << 1));
	CHECK_EQ(ivrs_control_bits(0x02), (1ull << 10) | (4ull << 5) | (1ull << 8));
	CHECK_EQ(ivrs_control_bits(0x04), (1ull << 10) | (4ull << 5) | (1ull << 9));
	CHECK_EQ(ivrs_control_bits(0x08), (1ull << 10) | (4ull << 5) | (1ull << 11));
	/* IotlbSup (bit 4) and the others are no control bits */
	CHECK_EQ(ivrs_control_bits(0xff),
	         (1ull << 10) | (4ull << 5) | (1ull << 1) | (1ull << 8) | (1ull << 9) | (1ull << 11));
}

static void test_settings(void)
{
	struct dte d = ivrs_dte_with_settings(dte_blocked(), 0xd7);
	CHECK_EQ(d.q[2] >> 56 & 0xff, 0x01 | 0x02 | 0x04 | 0x40 | 0x80);
	CHECK_EQ(d.q[1] >> 40 & 3, 1);
	CHECK(dte_dma_blocked(d));
	CHECK(!dte_interrupts_blocked(d)); /* NMI/INIT/LINT pass: not "every interrupt blocked" */
	d = ivrs_dte_with_settings(d, 0x20);
	CHECK_EQ(d.q[2] >> 56, 0); /* IntCtl abort (0), no pass bit */
	CHECK_EQ(d.q[1] >> 40 & 3, 2);
	CHECK(dte_interrupts_blocked(d));
}

static struct ivrs_info ivrs;
static struct dte table[DTE_DEVICE_IDS];

/* Two segments, IOMMU 0 on 0 and IOMMU 1 on 1; ALL on each with settings, a SELECT overriding
 * it, an alias, a SPECIAL IOAPIC; unity maps for one device, a range, and an exclusion range
 * for every device of segment 1. */
static void setup(void)
{
	memset(&ivrs, 0, sizeof(ivrs));
	ivrs.iommu_count = 2;
	ivrs.iommu[0].segment = 0;
	ivrs.iommu[1].segment = 1;
	ivrs.dev[ivrs.dev_count++] = (struct ivrs_devrange){0x0000, 0xffff, 0x0000, 0x02, 0, false};
	ivrs.dev[ivrs.dev_count++] = (struct ivrs_devrange){0x0041, 0x0041, 0x0041, 0x00, 0, false};
	ivrs.dev[ivrs.dev_count++] = (struct ivrs_devrange){0x0300, 0x0300, 0x02ff, 0x04, 0, true};
	ivrs.dev[ivrs.dev_count++] = (struct ivrs_devrange){0x0000, 0xffff, 0x0000, 0x80, 1, false};
	ivrs.special[ivrs.special_count++] = (struct ivrs_special){0xf0, 1, 0x00a0, 0xd7, 0};
	ivrs.ivmd[ivrs.ivmd_count++] = (struct ivrs_ivmd){0x21, 0x07, 0, 0x0041, 0x0041,
	                                                  0x9d000800, 0x1000}; /* 2 pages, rw */
	ivrs.ivmd[ivrs.ivmd_count++] =
	    (struct ivrs_ivmd){0x22, 0x03, 0, 0x0040, 0x0047, 0x9e000000, 0x1000}; /* read only */
	ivrs.ivmd[ivrs.ivmd_count++] =
	    (struct ivrs_ivmd){0x20, 0x08, 1, 0x0000, 0xffff, 0xa0000000, 0x2000}; /* exclusion */
}

static uint64_t xlate(const struct dte *d, uint64_t iova, bool write)
{
	struct io_pgtable t = {.root = dte_q0_get_page_table_root(d->q[0])};
	return io_pgtable_translate(&t, iova, write);
}

static void test_device_table(void)
{
	static struct ivrs_unity u0, u1;
	char why[160];
	setup();
	CHECK(ivrs_fill_device_table(&ivrs, 0, table, &u0, test_alloc, test_free, why,
	                             sizeof(why)));
	/* settings: ALL gives EIntPass, the SELECT inside it nothing, the alias source its
	 * aliased device's NMIPass, the IOAPIC its own */
	CHECK_EQ(table[0x0010].q[2] >> 56 & 0xf7, 0x02);
	CHECK_EQ(table[0x0041].q[2] >> 56 & 0xf7, 0x00);
	CHECK_EQ(table[0x0300].q[2] >> 56 & 0xf7, 0x04);
	CHECK_EQ(table[0x02ff].q[2] >> 56 & 0xf7, 0x04);
	CHECK_EQ(table[0x00a0].q[2] >> 56 & 0xff, 0xc7);
	CHECK(dte_dma_blocked(table[0x0010]));
	CHECK(dte_dma_blocked(table[0x0048]));
	CHECK(dte_dma_blocked(table[0xffff]));
	/* unity: 0x40-0x47 read one page; 0x41 also its two pages read/write */
	CHECK_EQ(u0.count, 2);
	CHECK_EQ(u0.devices, 8);
	CHECK_EQ(u0.failed, 0);
	for (uint16_t id = 0x40; id <= 0x47; id++) {
		CHECK(!dte_dma_blocked(table[id]));
		CHECK_EQ(dte_q0_get_mode(table[id].q[0]), 3);
		CHECK_EQ(xlate(&table[id], 0x9e000000, false), 0x9e000000);
		CHECK_EQ(xlate(&table[id], 0x9e000000, true), IO_PGTABLE_NONE);
		CHECK_EQ(xlate(&table[id], 0x9e001000, false), IO_PGTABLE_NONE);
		CHECK_EQ(xlate(&table[id], 0, false), IO_PGTABLE_NONE);
	}
	CHECK_EQ(xlate(&table[0x41], 0x9d000000, true), 0x9d000000);
	CHECK_EQ(xlate(&table[0x41], 0x9d001800, true), 0x9d001800);
	CHECK_EQ(xlate(&table[0x41], 0x9d002000, true), IO_PGTABLE_NONE);
	CHECK_EQ(xlate(&table[0x40], 0x9d000000, false), IO_PGTABLE_NONE);
	CHECK_EQ(dte_q1_get_domain_id(table[0x41].q[1]) & 0xfff0, IVRS_UNITY_DOMAIN_BASE);
	CHECK(dte_q1_get_domain_id(table[0x41].q[1]) != dte_q1_get_domain_id(table[0x40].q[1]));
	CHECK(ivrs_has_unity(&ivrs, 0, 0x41));
	CHECK(!ivrs_has_unity(&ivrs, 0, 0x48));
	CHECK(ivrs_has_unity(&ivrs, 1, 0x1234)); /* the exclusion range */
	CHECK(!ivrs_has_unity(&ivrs, 0, 0x1234));

	/* segment 1: Lint1Pass everywhere, exclusion range read/write for every device */
	CHECK(ivrs_fill_device_table(&ivrs, 1, table, &u1, test_alloc, test_free, why,
	                             sizeof(why)));
	CHECK_EQ(u1.count, 1);
	CHECK_EQ(u1.devices, 0x10000);
	CHECK_EQ(table[0x00a0].q[2] >> 56 & 0xff, 0x80);
	CHECK_EQ(xlate(&table[0x1234], 0xa0001000, true), 0xa0001000);
	CHECK_EQ(xlate(&table[0xffff], 0xa0000000, false), 0xa0000000);
	CHECK_EQ(xlate(&table[0], 0xa0002000, false), IO_PGTABLE_NONE);

	/* a range the page tables cannot reach leaves its devices blocked, and says so */
	static struct ivrs_unity u2;
	ivrs.ivmd[0].start = 1ull << 40;
	CHECK(!ivrs_fill_device_table(&ivrs, 0, table, &u2, test_alloc, test_free, why,
	                              sizeof(why)));
	CHECK(strstr(why, "cannot be mapped") != NULL);
	CHECK(dte_dma_blocked(table[0x41]));
	CHECK(!dte_dma_blocked(table[0x40]));
	CHECK_EQ(u2.failed, 1);

	for (unsigned i = 0; i < u0.count; i++)
		io_pgtable_destroy(&u0.domain[i].pt);
	for (unsigned i = 0; i < u1.count; i++)
		io_pgtable_destroy(&u1.domain[i].pt);
	for (unsigned i = 0; i < u2.count; i++)
		io_pgtable_destroy(&u2.domain[i].pt);
	CHECK_EQ(live_pages, 0);
}

int main(void)
{
	test_control();
	test_settings();
	test_device_table();
	return check_summary("ivrs_apply");
}
