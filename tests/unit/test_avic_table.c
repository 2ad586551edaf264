// sources: avic/avic_table.c
/* AVIC table entries and exit information. Expected words are assembled by hand from the bit
 * positions in APM vol. 2 Tables 15-23 (physical), 15-24 (logical), 15.29.4.1 (VMCB 0F8h) and
 * 15.29.6 (EXITINFO of 401h/402h), not from the accessors under test. */
#include "avic/avic_table.h"
#include "tests/unit/check.h"

static void test_physical_entry(void)
{
	/* V=63, IsRunning=62, backing page 51:12, host APIC ID 11:0 */
	uint64_t e = avic_table_physical_entry(0x000fedcba9876000ull);
	CHECK_EQ(e, 0x800fedcba9876000ull);
	e = avic_physical_entry_set_host_apic_id(e, 0x5a5);
	e = avic_physical_entry_set_is_running(e, 1);
	CHECK_EQ(e, 0xc00fedcba98765a5ull);
	CHECK_EQ(avic_physical_entry_get_valid(e), 1);
	CHECK_EQ(avic_physical_entry_get_is_running(e), 1);
	CHECK_EQ(avic_physical_entry_get_host_apic_id(e), 0x5a5);
	CHECK_EQ(avic_physical_entry_get_backing_page(e), 0x000fedcba9876000ull);
	/* Clearing IsRunning leaves every other field alone. */
	CHECK_EQ(avic_physical_entry_set_is_running(e, 0), 0x800fedcba98765a5ull);
	/* A too-wide value is cut to the field, never spilled into the backing page. */
	CHECK_EQ(avic_physical_entry_set_host_apic_id(0, 0x1fff), 0xfffull);
	/* The backing page keeps bits 51:12 only: no page offset, no reserved bits 61:52. */
	CHECK_EQ(avic_physical_entry_set_backing_page(0, 0xffff000000001234ull),
	         0x000f000000001000ull);
	CHECK_EQ(AVIC_PHYSICAL_ENTRY_RESERVED, 0x3ff0000000000000ull);
	CHECK_EQ(avic_physical_entry_get_is_running(0x4000000000000000ull), 1);
	CHECK_EQ(avic_physical_entry_get_valid(0x4000000000000000ull), 0);
}

static void test_logical_entry(void)
{
	CHECK_EQ(avic_table_logical_entry(3), 0x80000003u);
	CHECK_EQ(avic_table_logical_entry(0xfe), 0x800000feu);
	CHECK_EQ(avic_logical_entry_get_guest_physical_apic_id(0x800000a7u), 0xa7);
	CHECK_EQ(avic_logical_entry_get_valid(0x800000a7u), 1);
	CHECK_EQ(avic_logical_entry_get_valid(0x000000a7u), 0);
	CHECK_EQ(AVIC_LOGICAL_ENTRY_RESERVED, 0x7fffff00u);
	CHECK_EQ(AVIC_LOGICAL_TABLE_ENTRIES, 1024);
}

static void test_table_pointer(void)
{
	uint64_t p = 0;
	CHECK(avic_table_physical_pointer(0x12345000ull, 0xff, &p));
	CHECK_EQ(p, 0x123450ffull);
	CHECK_EQ(avic_physical_table_pointer_get_max_index(p), 0xff);
	CHECK_EQ(avic_physical_table_pointer_get_table(p), 0x12345000ull);
	CHECK(avic_table_physical_pointer(0x000ffffffffff000ull, 0xfff, &p));
	CHECK_EQ(p, 0x000fffffffffffffull);
	p = 42;
	CHECK(!avic_table_physical_pointer(0x12345800ull, 0xff, &p));   /* not 4 KiB aligned */
	CHECK(!avic_table_physical_pointer(1ull << 52, 0xff, &p));      /* beyond 52 bits */
	CHECK(!avic_table_physical_pointer(0x12345000ull, 0x1000, &p)); /* index over 12 bits */
	CHECK_EQ(p, 42);
}

static void test_incomplete_ipi(void)
{
	struct avic_incomplete_ipi ipi;
	/* ICR_HI destination 3 in bits 63:56, ICR_LO fixed vector 0x41; cause 1, index 3. */
	avic_table_incomplete_ipi_decode(0x0300000000004041ull, 0x0000000100000003ull, &ipi);
	CHECK_EQ(ipi.icr, 0x0300000000004041ull);
	CHECK_EQ(ipi.id, AVIC_IPI_FAILURE_TARGET_NOT_RUNNING);
	CHECK_EQ(ipi.index, 3);
	/* Index is 12 bits; bits 31:12 of EXITINFO2 belong to neither field. */
	avic_table_incomplete_ipi_decode(0, 0x00000004fffff1ffull, &ipi);
	CHECK_EQ(ipi.id, AVIC_IPI_FAILURE_INVALID_VECTOR);
	CHECK_EQ(ipi.index, 0x1ff);
	CHECK_EQ(AVIC_IPI_FAILURE_INVALID_INT_TYPE, 0);
	CHECK_EQ(AVIC_IPI_FAILURE_INVALID_TARGET, 2);
	CHECK_EQ(AVIC_IPI_FAILURE_INVALID_BACKING_PAGE, 3);
	CHECK_EQ(AVIC_IPI_FAILURE_UNACCELERATED_IPI, 5);
}

static void test_noaccel(void)
{
	struct avic_noaccel n;
	/* A write to LDR (0xD0): bit 32 set, offset in bits 11:4. */
	avic_table_noaccel_decode(0x00000001000000d0ull, 0, &n);
	CHECK(n.write);
	CHECK_EQ(n.offset, 0xd0);
	/* A read of 0x3F0, with junk in the bits the layout does not define. */
	avic_table_noaccel_decode(0xfffffffefffff3ffull, 0xffffffffffffffb1ull, &n);
	CHECK(!n.write);
	CHECK_EQ(n.offset, 0x3f0);
	CHECK_EQ(n.isr_vector, 0xb1);
}

int main(void)
{
	test_physical_entry();
	test_logical_entry();
	test_table_pointer();
	test_incomplete_ipi();
	test_noaccel();
	return check_summary("test_avic_table");
}
