// sources: svm/vm/intremap_vcpu.c iommu/irte.c
/* The per-vCPU list of guest-mode IRTEs that vcpu_load()/vcpu_put() walk, and GA tags: what each
 * schedule event writes into the entries (Destination, IsRun, GALogIntr), that a full list is
 * refused, that an entry removed or rebound to another vCPU is no longer touched, and that tags
 * decode back to VM and vCPU with bogus ones refused. */
#include "svm/vm/intremap.h"
#include "iommu/irte.h"
#include "tests/unit/check.h"

#define ROOT 0x0000000012345000ull

static void test_tags(void)
{
	unsigned vm, vcpu;
	CHECK_EQ(intremap_tag(3, 7), 0xdb000307u);
	CHECK(intremap_tag_decode(0xdb000307u, &vm, &vcpu));
	CHECK_EQ(vm, 3);
	CHECK_EQ(vcpu, 7);
	CHECK(intremap_tag_decode(intremap_tag(0xffff, 0xff), &vm, &vcpu));
	CHECK_EQ(vm, 0xffff);
	CHECK_EQ(vcpu, 0xff);
	/* without the magic: not one of ours */
	CHECK(!intremap_tag_decode(0x00000307u, &vm, &vcpu));
	CHECK(!intremap_tag_decode(0xdc000307u, &vm, &vcpu));
}

static void test_schedule(void)
{
	static struct intremap_vcpu s;
	static struct irte e[3];
	s.tag = intremap_tag(1, 2);
	e[0] = irte_guest(0x41, ROOT, s.tag);
	e[1] = irte_guest(0x42, ROOT, s.tag);
	e[2] = irte_guest(0x43, ROOT, s.tag);
	CHECK_EQ(intremap_vcpu_update(&s, 4, false), 0); /* nothing bound yet */
	CHECK(intremap_vcpu_add(&s, &e[0]));
	CHECK(intremap_vcpu_add(&s, &e[1]));
	/* schedule-in on host APIC 4: both entries, Destination 4, IsRun 1, GALogIntr 0 */
	CHECK_EQ(intremap_vcpu_update(&s, 4, false), 2);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(irte_destination(e[i]), 4);
		CHECK_EQ(irte_lo_get_is_run(e[i].lo), 1);
		CHECK_EQ(irte_lo_get_ga_log_intr(e[i].lo), 0);
		CHECK_EQ(irte_hi_get_vector(e[i].hi), 0x41u + (unsigned)i);
	}
	/* an entry not in the list is untouched */
	CHECK_EQ(irte_lo_get_is_run(e[2].lo), 0);
	/* schedule-out, preempted: IsRun 0, no GA log entry wanted, Destination kept */
	CHECK_EQ(intremap_vcpu_update(&s, -1, false), 2);
	CHECK_EQ(irte_lo_get_is_run(e[0].lo), 0);
	CHECK_EQ(irte_lo_get_ga_log_intr(e[0].lo), 0);
	CHECK_EQ(irte_destination(e[0]), 4);
	/* schedule-out, blocking: GALogIntr 1 so that an interrupt wakes it */
	CHECK_EQ(intremap_vcpu_update(&s, -1, true), 2);
	CHECK_EQ(irte_lo_get_ga_log_intr(e[1].lo), 1);
	/* removed: no longer updated */
	intremap_vcpu_remove(&s, &e[0]);
	CHECK_EQ(intremap_vcpu_update(&s, 6, false), 1);
	CHECK_EQ(irte_destination(e[0]), 4);
	CHECK_EQ(irte_destination(e[1]), 6);
	/* rebound to another vCPU while this list still points at it: left alone */
	CHECK(intremap_vcpu_add(&s, &e[2]));
	e[2] = irte_guest(0x43, ROOT, intremap_tag(1, 3));
	CHECK_EQ(intremap_vcpu_update(&s, 7, false), 1);
	CHECK_EQ(irte_lo_get_is_run(e[2].lo), 0);
	/* unbound (invalid): left alone */
	e[1].lo = irte_lo_set_remap_en(e[1].lo, 0);
	CHECK_EQ(intremap_vcpu_update(&s, 8, false), 0);
}

static void test_full(void)
{
	static struct intremap_vcpu s;
	static struct irte e[INTREMAP_VCPU_SLOTS + 1];
	s.tag = intremap_tag(0, 0);
	for (unsigned i = 0; i < INTREMAP_VCPU_SLOTS; i++) {
		e[i] = irte_guest(0x40, ROOT, s.tag);
		CHECK(intremap_vcpu_add(&s, &e[i]));
	}
	CHECK(!intremap_vcpu_add(&s, &e[INTREMAP_VCPU_SLOTS]));
	CHECK_EQ(intremap_vcpu_update(&s, 1, false), INTREMAP_VCPU_SLOTS);
	/* a freed slot is reused */
	intremap_vcpu_remove(&s, &e[5]);
	CHECK(intremap_vcpu_add(&s, &e[INTREMAP_VCPU_SLOTS]));
	CHECK_EQ(s.slot[5], &e[INTREMAP_VCPU_SLOTS]);
}

int main(void)
{
	test_tags();
	test_schedule();
	test_full();
	return check_summary("intremap_vcpu");
}
