// sources: iommu/irte.c
/* 128-bit IRTEs. Expected words are assembled by hand from AMD IOMMU spec #48882 §2.2.5.2
 * (Tables 21-22): RemapEn 0, SupIOPF 1, IntType
 * 4:2 / GALogIntr 2, DM / IsRun 6, GuestMode 7, Destination 31:8 and 127:120, GATag 63:32,
 * Vector 71:64, GA root pointer 115:76. */
#include "iommu/irte.h"
#include "tests/unit/check.h"

static void test_remapped(void)
{
	struct irte e = irte_remapped(0x31, 0x12345678, false);
	CHECK_EQ(e.lo, 0x0000000034567801ull); /* RemapEn, fixed, physical, dest 23:0 */
	CHECK_EQ(e.hi, 0x1200000000000031ull); /* vector, dest 31:24 in 127:120 */
	CHECK_EQ(irte_destination(e), 0x12345678);
	e = irte_remapped(0xfe, 0x0f, true);
	CHECK_EQ(e.lo, 0x0000000000000f41ull); /* DM = logical */
	CHECK_EQ(e.hi, 0xfeull);
	CHECK_EQ(irte_lo_get_guest_mode(e.lo), 0);
}

static void test_guest(void)
{
	struct irte e = irte_guest(0x51, 0x000fedcba9876000ull, 0xabcd1234);
	/* RemapEn, GALogIntr (bit 2), GuestMode (bit 7), GATag in 63:32, not running */
	CHECK_EQ(e.lo, 0xabcd123400000085ull);
	/* the backing page's HPA >> 12 in bits 115:76, i.e. the HPA itself in bits 51:12 of hi */
	CHECK_EQ(e.hi, 0x000fedcba9876051ull);
	CHECK_EQ(irte_hi_get_ga_root(e.hi), 0x000fedcba9876000ull);
	CHECK_EQ(irte_lo_get_ga_tag(e.lo), 0xabcd1234);
	/* a page offset or bits above 51 never reach the entry */
	CHECK_EQ(irte_guest(0, 0xfff0000000001fffull, 0).hi, 0x0000000000001000ull);
}

static void test_vcpu_update(void)
{
	struct irte e = irte_guest(0x51, 0x000fedcba9876000ull, 0xabcd1234);
	/* schedule-in on host APIC 5: Destination 5, IsRun=1, GALogIntr=0 */
	struct irte in = irte_with_vcpu(e, 5, true);
	CHECK_EQ(in.lo, 0xabcd1234000005c1ull);
	CHECK_EQ(in.hi, e.hi);
	/* schedule-out while blocking: IsRun=0, GALogIntr=1, Destination kept */
	struct irte out = irte_with_vcpu(in, -1, true);
	CHECK_EQ(out.lo, 0xabcd123400000585ull);
	/* schedule-out while runnable: no GA log entry wanted */
	CHECK_EQ(irte_with_vcpu(in, -1, false).lo, 0xabcd123400000581ull);
	/* an x2APIC ID splits over 31:8 and 127:120 */
	struct irte x = irte_with_vcpu(e, 0xff000001, false);
	CHECK_EQ(x.lo, 0xabcd1234000001c1ull);
	CHECK_EQ(x.hi, 0xff0fedcba9876051ull);
	CHECK_EQ(irte_destination(x), 0xff000001);
}

/* The live-entry update: same result as irte_with_vcpu(), nothing for non-guest entries. */
static void test_live_update(void)
{
	struct irte e = irte_guest(0x51, 0x000fedcba9876000ull, 0xabcd1234);
	CHECK(irte_update_vcpu(&e, 5, true));
	CHECK_EQ(e.lo, 0xabcd1234000005c1ull);
	CHECK_EQ(e.hi, 0x000fedcba9876051ull);
	CHECK(irte_update_vcpu(&e, -1, true));
	CHECK_EQ(e.lo, 0xabcd123400000585ull);

	struct irte remapped = irte_remapped(0x31, 0x12345678, false);
	CHECK(!irte_update_vcpu(&remapped, 7, false));
	CHECK_EQ(remapped.lo, 0x0000000034567801ull);
	CHECK_EQ(remapped.hi, 0x1200000000000031ull);
	struct irte invalid = e;
	invalid.lo = irte_lo_set_remap_en(invalid.lo, 0);
	uint64_t before = invalid.lo;
	CHECK(!irte_update_vcpu(&invalid, 7, false));
	CHECK_EQ(invalid.lo, before);
}

static void test_tagged_update(void)
{
	struct irte e = irte_guest(0x51, 0x000fedcba9876000ull, 0xabcd1234);
	/* an entry rebound to another vCPU (another tag) is left alone */
	CHECK(!irte_update_vcpu_tagged(&e, 0xabcd1235, 5, false));
	CHECK_EQ(e.lo, 0xabcd123400000085ull);
	CHECK(irte_update_vcpu_tagged(&e, 0xabcd1234, 5, false));
	CHECK_EQ(e.lo, 0xabcd1234000005c1ull);
	CHECK_EQ(e.hi, 0x000fedcba9876051ull);
}

static void test_store(void)
{
	struct irte e = irte_guest(0x51, 0x000fedcba9876000ull, 0xabcd1234);
	irte_store(&e, irte_remapped(0x31, 0x12345678, false));
	CHECK_EQ(e.lo, 0x0000000034567801ull);
	CHECK_EQ(e.hi, 0x1200000000000031ull);
	irte_store(&e, (struct irte){0, 0});
	CHECK_EQ(e.lo, 0);
	CHECK_EQ(e.hi, 0);
}

/* 32-bit format (§2.2.5.1, Table 20): RemapEn 0, IntType 4:2, DM 6, Destination 15:8, Vector
 * 23:16. */
static void test_legacy(void)
{
	CHECK_EQ(irte32_remapped(0x40, 0x01), 0x00400101u);
	CHECK_EQ(irte32_remapped(0xdf, 0xfe), 0x00dffe01u);
}

/* Without XT mode a remapped entry has an 8-bit destination: APIC ID 256 must be refused, not
 * become APIC ID 0. */
static void test_remapped_wide_destination(void)
{
	uint32_t e = 0x12345678;
	CHECK(irte32_remapped_to(0x40, 0xff, &e));
	CHECK_EQ(e, irte32_remapped(0x40, 0xff));
	CHECK_EQ(e >> 8 & 0xff, 0xff);
	e = 0x12345678;
	CHECK(!irte32_remapped_to(0x40, 0x100, &e));
	CHECK(!irte32_remapped_to(0x40, 0x17f, &e));
	CHECK_EQ(e, 0x12345678);
}

int main(void)
{
	test_remapped_wide_destination();
	test_tagged_update();
	test_store();
	test_legacy();
	test_live_update();
	test_remapped();
	test_guest();
	test_vcpu_update();
	return check_summary("iommu_irte");
}
