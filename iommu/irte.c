/* 128-bit IRTE encoders (AMD IOMMU spec #48882 §2.2.5.2). */
#include "iommu/irte.h"

#define IRTE_DESTINATION_LO_BITS 24

struct irte irte_set_destination(struct irte e, uint32_t apic_id)
{
	e.lo = irte_lo_set_destination_lo(e.lo, apic_id);
	e.hi = irte_hi_set_destination_hi(e.hi, apic_id >> IRTE_DESTINATION_LO_BITS);
	return e;
}

uint32_t irte_destination(struct irte e)
{
	return (uint32_t)(irte_lo_get_destination_lo(e.lo) |
	                  (irte_hi_get_destination_hi(e.hi) << IRTE_DESTINATION_LO_BITS));
}

struct irte irte_remapped(uint8_t vector, uint32_t destination, bool logical)
{
	struct irte e = {0, 0};
	e.lo = irte_lo_set_remap_en(e.lo, 1);
	e.lo = irte_lo_set_int_type(e.lo, IRTE_INT_TYPE_FIXED);
	e.lo = irte_lo_set_dm(e.lo, logical);
	e.hi = irte_hi_set_vector(e.hi, vector);
	return irte_set_destination(e, destination);
}

struct irte irte_guest(uint8_t vector, uint64_t ga_root, uint32_t ga_tag)
{
	struct irte e = {0, 0};
	e.lo = irte_lo_set_remap_en(e.lo, 1);
	e.lo = irte_lo_set_guest_mode(e.lo, 1);
	e.lo = irte_lo_set_ga_log_intr(e.lo, 1);
	e.lo = irte_lo_set_ga_tag(e.lo, ga_tag);
	e.hi = irte_hi_set_vector(e.hi, vector);
	e.hi = irte_hi_set_ga_root(e.hi, ga_root);
	return e;
}

struct irte irte_with_vcpu(struct irte e, int64_t host_apic_id, bool ga_log_intr)
{
	if (host_apic_id >= 0) {
		e = irte_set_destination(e, (uint32_t)host_apic_id);
		e.lo = irte_lo_set_is_run(e.lo, 1);
		e.lo = irte_lo_set_ga_log_intr(e.lo, 0);
	} else {
		e.lo = irte_lo_set_is_run(e.lo, 0);
		e.lo = irte_lo_set_ga_log_intr(e.lo, ga_log_intr);
	}
	return e;
}
