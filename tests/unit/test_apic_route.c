// sources: avic/vlapic/apic_route.c
/* Destination resolution (SDM vol. 3 11.6.2, 11.12.10), acceptance, lowest-priority arbitration,
 * ICR decoding and AVIC logical table indexes (APM vol. 2 15.29.3.2). */
#include "avic/vlapic/apic_route.h"
#include "avic/vlapic/apic_regs.h"
#include "tests/unit/check.h"

#define FLAT    0xFFFFFFFFu
#define CLUSTER 0x0FFFFFFFu

/* An enabled xAPIC with the given ID, LDR[31:24] and DFR. */
static struct apic_route_vcpu xapic(uint32_t id, uint8_t logical_id, uint32_t dfr)
{
	return (struct apic_route_vcpu){
	    .apic_id = id,
	    .ldr = (uint32_t)logical_id << 24,
	    .dfr = dfr,
	    .hw_enabled = true,
	    .sw_enabled = true,
	    .arb_id = (uint8_t)id,
	};
}

static struct apic_route_vcpu x2apic(uint32_t id)
{
	return (struct apic_route_vcpu){
	    .apic_id = id,
	    .ldr = apic_x2apic_ldr(id),
	    .dfr = 0xFFFFFFFF,
	    .x2apic = true,
	    .hw_enabled = true,
	    .sw_enabled = true,
	    .arb_id = (uint8_t)id,
	};
}

static void test_icr_decode(void)
{
	/* xAPIC: ICR_HI 0x05000000, ICR_LO: shorthand 0, trigger level, assert, logical, lowest
	 * priority, vector 0x31 = 0xC931. */
	struct apic_icr m = apic_icr_decode(0x050000000000C931ull, false);
	CHECK_EQ(m.vector, 0x31);
	CHECK_EQ(m.delivery_mode, APIC_DM_LOWEST);
	CHECK(m.logical);
	CHECK(m.level_assert);
	CHECK(m.level_trigger);
	CHECK_EQ(m.shorthand, APIC_SHORTHAND_NONE);
	CHECK_EQ(m.dest, 5);
	CHECK(!m.init_deassert);
	/* xAPIC ignores ICR_HI bits 23:0. */
	m = apic_icr_decode(0x07FFFFFF000C4000ull | 0x600, false);
	CHECK_EQ(m.dest, 7);
	CHECK_EQ(m.delivery_mode, APIC_DM_STARTUP);
	CHECK_EQ(m.shorthand, APIC_SHORTHAND_OTHERS);
	CHECK(!m.logical);
	/* x2APIC: destination 63:32. */
	m = apic_icr_decode(0x0001234500040400ull, true);
	CHECK_EQ(m.dest, 0x12345);
	CHECK_EQ(m.delivery_mode, APIC_DM_NMI);
	CHECK_EQ(m.shorthand, APIC_SHORTHAND_SELF);
	/* INIT level de-assert: INIT (5), trigger level (bit 15), level 0 (bit 14 clear). */
	m = apic_icr_decode(0x0000000000008500ull, false);
	CHECK(m.init_deassert);
	m = apic_icr_decode(0x000000000000C500ull, false); /* asserted: a real INIT */
	CHECK(!m.init_deassert);
	m = apic_icr_decode(0x0000000000000500ull, false); /* edge INIT */
	CHECK(!m.init_deassert);
}

static void test_physical(void)
{
	struct apic_route_vcpu v[4] = {xapic(0, 0, FLAT), xapic(1, 0, FLAT), xapic(2, 0, FLAT),
	                               xapic(7, 0, FLAT)};
	/* A physical destination is one APIC ID; index 3 has ID 7. */
	CHECK_EQ(apic_route_dest(v, 4, 0, 2, false, APIC_SHORTHAND_NONE, false), 0x4);
	CHECK_EQ(apic_route_dest(v, 4, 0, 7, false, APIC_SHORTHAND_NONE, false), 0x8);
	CHECK_EQ(apic_route_dest(v, 4, 0, 3, false, APIC_SHORTHAND_NONE, false), 0);
	/* 0xFF is the xAPIC broadcast. */
	CHECK_EQ(apic_route_dest(v, 4, 0, 0xFF, false, APIC_SHORTHAND_NONE, false), 0xF);
	/* xAPIC format uses dest[7:0] only. */
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x102, false, APIC_SHORTHAND_NONE, false), 0x4);

	/* x2APIC: 32-bit IDs; 0xFF is an ordinary ID, 0xFFFFFFFF the broadcast. */
	struct apic_route_vcpu w[3] = {x2apic(0), x2apic(0xFF), x2apic(0x10000)};
	CHECK_EQ(apic_route_dest(w, 3, 0, 0xFF, false, APIC_SHORTHAND_NONE, true), 0x2);
	CHECK_EQ(apic_route_dest(w, 3, 0, 0x10000, false, APIC_SHORTHAND_NONE, true), 0x4);
	CHECK_EQ(apic_route_dest(w, 3, 0, 0xFFFFFFFF, false, APIC_SHORTHAND_NONE, true), 0x7);
	/* x2APIC broadcast also in logical mode (SDM 11.12.9). */
	CHECK_EQ(apic_route_dest(w, 3, 0, 0xFFFFFFFF, true, APIC_SHORTHAND_NONE, true), 0x7);
	/* An xAPIC-format (IOAPIC/MSI) 0xFF still broadcasts to x2APIC receivers. */
	CHECK_EQ(apic_route_dest(w, 3, APIC_ROUTE_NO_SELF, 0xFF, false, APIC_SHORTHAND_NONE, false),
	         0x7);
	CHECK_EQ(apic_route_dest(w, 3, APIC_ROUTE_NO_SELF, 0xFF, true, APIC_SHORTHAND_NONE, false),
	         0x7);
}

static void test_logical_flat(void)
{
	/* Flat model: LDR[31:24] is a bitmap; a message reaches every APIC sharing a bit. */
	struct apic_route_vcpu v[4] = {xapic(0, 0x01, FLAT), xapic(1, 0x02, FLAT),
	                               xapic(2, 0x04, FLAT), xapic(3, 0x0C, FLAT)};
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x01, true, APIC_SHORTHAND_NONE, false), 0x1);
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x06, true, APIC_SHORTHAND_NONE, false), 0x6 | 0x8);
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x08, true, APIC_SHORTHAND_NONE, false), 0x8);
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x30, true, APIC_SHORTHAND_NONE, false), 0);
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x00, true, APIC_SHORTHAND_NONE, false), 0);
	/* 0xFF reaches all, but an APIC with LDR 0 shares no bit and is not addressed. */
	v[1].ldr = 0;
	CHECK_EQ(apic_route_dest(v, 4, 0, 0xFF, true, APIC_SHORTHAND_NONE, false), 0xD);
	/* The receiver's own DFR decides the model: an unknown model (0x5) matches nothing. */
	v[0].dfr = 0x5FFFFFFF;
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x01, true, APIC_SHORTHAND_NONE, false), 0);
}

static void test_logical_cluster(void)
{
	/* Cluster model: LDR[31:28] cluster, LDR[27:24] member bits. */
	struct apic_route_vcpu v[5] = {xapic(0, 0x11, CLUSTER), xapic(1, 0x12, CLUSTER),
	                               xapic(2, 0x21, CLUSTER), xapic(3, 0x28, CLUSTER),
	                               xapic(4, 0x00, CLUSTER)};
	/* Cluster 1, members 1|2. */
	CHECK_EQ(apic_route_dest(v, 5, 0, 0x13, true, APIC_SHORTHAND_NONE, false), 0x3);
	/* Cluster 2, member 1 only: cluster 1's member 1 is not addressed. */
	CHECK_EQ(apic_route_dest(v, 5, 0, 0x21, true, APIC_SHORTHAND_NONE, false), 0x4);
	/* Right member bit, wrong cluster. */
	CHECK_EQ(apic_route_dest(v, 5, 0, 0x38, true, APIC_SHORTHAND_NONE, false), 0);
	/* Cluster 0xF addresses that member bit in every cluster. */
	CHECK_EQ(apic_route_dest(v, 5, 0, 0xF1, true, APIC_SHORTHAND_NONE, false), 0x5);
	CHECK_EQ(apic_route_dest(v, 5, 0, 0xF8, true, APIC_SHORTHAND_NONE, false), 0x8);
	/* 0xFF: all clusters, all members; LDR 0 has no member bit. */
	CHECK_EQ(apic_route_dest(v, 5, 0, 0xFF, true, APIC_SHORTHAND_NONE, false), 0xF);
	/* Members 0 address nobody even in the right cluster. */
	CHECK_EQ(apic_route_dest(v, 5, 0, 0x10, true, APIC_SHORTHAND_NONE, false), 0);
}

static void test_logical_x2apic(void)
{
	/* IDs 0x00, 0x01 (cluster 0, bits 0/1), 0x13 (cluster 1, bit 3), 0x23 (cluster 2, bit 3):
	 * LDR = (ID >> 4) << 16 | 1 << (ID & 0xF). */
	struct apic_route_vcpu v[4] = {x2apic(0x00), x2apic(0x01), x2apic(0x13), x2apic(0x23)};
	CHECK_EQ(v[2].ldr, 0x00010008);
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x00000003, true, APIC_SHORTHAND_NONE, true), 0x3);
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x00000002, true, APIC_SHORTHAND_NONE, true), 0x2);
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x00010008, true, APIC_SHORTHAND_NONE, true), 0x4);
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x00020008, true, APIC_SHORTHAND_NONE, true), 0x8);
	/* Bit 3 in cluster 0: nobody (0x03 is not present). */
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x00000008, true, APIC_SHORTHAND_NONE, true), 0);
	/* No cluster wildcard in x2APIC mode: cluster 0xFFFF with bit 3 matches none. */
	CHECK_EQ(apic_route_dest(v, 4, 0, 0xFFFF0008, true, APIC_SHORTHAND_NONE, true), 0);
	/* Members 15:0 all set in cluster 1. */
	CHECK_EQ(apic_route_dest(v, 4, 0, 0x0001FFFF, true, APIC_SHORTHAND_NONE, true), 0x4);
}

static void test_shorthands(void)
{
	struct apic_route_vcpu v[3] = {xapic(0, 1, FLAT), xapic(1, 2, FLAT), xapic(2, 4, FLAT)};
	/* Shorthands ignore the destination field. */
	CHECK_EQ(apic_route_dest(v, 3, 1, 0, false, APIC_SHORTHAND_SELF, false), 0x2);
	CHECK_EQ(apic_route_dest(v, 3, 1, 0, false, APIC_SHORTHAND_ALL, false), 0x7);
	CHECK_EQ(apic_route_dest(v, 3, 1, 0, false, APIC_SHORTHAND_OTHERS, false), 0x5);
	CHECK_EQ(apic_route_dest(v, 3, 2, 1, true, APIC_SHORTHAND_SELF, true), 0x4);
	/* Without a sender (IOAPIC, MSI) "self" is nobody and "others" everybody. */
	CHECK_EQ(apic_route_dest(v, 3, APIC_ROUTE_NO_SELF, 0, false, APIC_SHORTHAND_SELF, false),
	         0);
	CHECK_EQ(apic_route_dest(v, 3, APIC_ROUTE_NO_SELF, 0, false, APIC_SHORTHAND_OTHERS, false),
	         0x7);
	/* 64 vCPUs: every bit. */
	static struct apic_route_vcpu many[APIC_ROUTE_MAX_VCPUS];
	for (unsigned i = 0; i < APIC_ROUTE_MAX_VCPUS; i++)
		many[i] = xapic(i, 0, FLAT);
	CHECK_EQ(apic_route_dest(many, 64, 63, 0, false, APIC_SHORTHAND_ALL, false), ~0ull);
	CHECK_EQ(apic_route_dest(many, 64, 63, 0, false, APIC_SHORTHAND_OTHERS, false), ~0ull >> 1);
	CHECK_EQ(apic_route_dest(many, 64, 0, 63, false, APIC_SHORTHAND_NONE, false), 1ull << 63);
}

static void test_acceptance(void)
{
	struct apic_route_vcpu v[3] = {xapic(0, 1, FLAT), xapic(1, 2, FLAT), xapic(2, 4, FLAT)};
	v[1].sw_enabled = false;
	v[2].hw_enabled = false;
	/* A software-disabled APIC takes NMI, SMI, INIT, start-up but no fixed, lowest-priority or
	 * ExtINT message; a hardware-disabled one takes nothing (SDM 11.4.7.2, 11.4.3). */
	CHECK_EQ(apic_route_accepting(v, 3, 0x7, APIC_DM_FIXED), 0x1);
	CHECK_EQ(apic_route_accepting(v, 3, 0x7, APIC_DM_LOWEST), 0x1);
	CHECK_EQ(apic_route_accepting(v, 3, 0x7, APIC_DM_EXTINT), 0x1);
	CHECK_EQ(apic_route_accepting(v, 3, 0x7, APIC_DM_NMI), 0x3);
	CHECK_EQ(apic_route_accepting(v, 3, 0x7, APIC_DM_SMI), 0x3);
	CHECK_EQ(apic_route_accepting(v, 3, 0x7, APIC_DM_INIT), 0x3);
	CHECK_EQ(apic_route_accepting(v, 3, 0x7, APIC_DM_STARTUP), 0x3);
	/* Bits beyond n are dropped. */
	CHECK_EQ(apic_route_accepting(v, 1, 0x7, APIC_DM_NMI), 0x1);
}

static void test_lowest_priority(void)
{
	struct apic_route_vcpu v[4] = {xapic(0, 1, FLAT), xapic(1, 2, FLAT), xapic(2, 4, FLAT),
	                               xapic(3, 8, FLAT)};
	v[0].ppr = 0x40;
	v[1].ppr = 0x20;
	v[2].ppr = 0x21;
	v[3].ppr = 0x20;
	/* Lowest PPR wins; 0x20 vs 0x21 differ in sub-class only and still decide. */
	CHECK_EQ(apic_route_lowest_priority(v, 4, 0x5), 2);
	CHECK_EQ(apic_route_lowest_priority(v, 4, 0x7), 1);
	/* Tie between 1 and 3 (PPR 0x20): lower arbitration ID wins. */
	CHECK_EQ(apic_route_lowest_priority(v, 4, 0xF), 1);
	v[1].arb_id = 9;
	CHECK_EQ(apic_route_lowest_priority(v, 4, 0xF), 3);
	/* Full tie: lower index. */
	v[1].arb_id = 3;
	CHECK_EQ(apic_route_lowest_priority(v, 4, 0xA), 1);
	CHECK_EQ(apic_route_lowest_priority(v, 4, 0), -1);

	/* Whole message: logical flat 0x0F, lowest priority; 1 is software-disabled, so of the
	 * remaining the lowest PPR is index 3. */
	v[1].sw_enabled = false;
	struct apic_icr m = apic_icr_decode(0x0F00000000000931ull, false);
	CHECK_EQ(apic_route_message(v, 4, 0, &m, false), 0x8);
	/* Nobody accepts: nobody receives. */
	v[0].sw_enabled = v[2].sw_enabled = v[3].sw_enabled = false;
	CHECK_EQ(apic_route_message(v, 4, 0, &m, false), 0);
	/* Fixed delivers to every accepting target; INIT reaches software-disabled ones. */
	v[0].sw_enabled = v[2].sw_enabled = true;
	m = apic_icr_decode(0x0F00000000000831ull, false);
	CHECK_EQ(apic_route_message(v, 4, 0, &m, false), 0x5);
	m = apic_icr_decode(0x0F0000000000C500ull | 0x800, false);
	CHECK_EQ(apic_route_message(v, 4, 0, &m, false), 0xF);
	/* INIT level de-assert goes nowhere. */
	m = apic_icr_decode(0x0F00000000008D00ull, false);
	CHECK(m.init_deassert);
	CHECK_EQ(apic_route_message(v, 4, 0, &m, false), 0);
}

static void test_avic_logical_index(void)
{
	/* Flat: index = bit number of the single LDR[31:24] bit. */
	CHECK_EQ(apic_route_avic_logical_index(0x01000000, FLAT), 0);
	CHECK_EQ(apic_route_avic_logical_index(0x08000000, FLAT), 3);
	CHECK_EQ(apic_route_avic_logical_index(0x80000000, FLAT), 7);
	CHECK_EQ(apic_route_avic_logical_index(0x03000000, FLAT), -1); /* two bits */
	CHECK_EQ(apic_route_avic_logical_index(0x00000000, FLAT), -1); /* no bit */
	CHECK_EQ(apic_route_avic_logical_index(0x00FFFFFF, FLAT), -1); /* only 31:24 count */
	/* Cluster: cluster * 4 + bit. */
	CHECK_EQ(apic_route_avic_logical_index(0x01000000, CLUSTER), 0);
	CHECK_EQ(apic_route_avic_logical_index(0x18000000, CLUSTER), 7);
	CHECK_EQ(apic_route_avic_logical_index(0x24000000, CLUSTER), 10);
	CHECK_EQ(apic_route_avic_logical_index(0xE8000000, CLUSTER), 59);
	CHECK_EQ(apic_route_avic_logical_index(0x13000000, CLUSTER), -1); /* two members */
	CHECK_EQ(apic_route_avic_logical_index(0x10000000, CLUSTER), -1); /* no member */
	CHECK_EQ(apic_route_avic_logical_index(0xF1000000, CLUSTER), -1); /* broadcast cluster */
	/* Unknown DFR model. */
	CHECK_EQ(apic_route_avic_logical_index(0x01000000, 0x7FFFFFFF), -1);
}

int main(void)
{
	test_icr_decode();
	test_physical();
	test_logical_flat();
	test_logical_cluster();
	test_logical_x2apic();
	test_shorthands();
	test_acceptance();
	test_lowest_priority();
	test_avic_logical_index();
	return check_summary("apic_route");
}
