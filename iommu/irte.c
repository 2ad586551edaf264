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

static unsigned __int128 irte_to_u128(struct irte e)
{
	return (unsigned __int128)e.hi << 64 | e.lo;
}

/* target("cx16"): the one instruction this needs, also in host builds without -mcx16. GCC turns
 * __sync_val_compare_and_swap on 16 bytes into an inline LOCK CMPXCHG16B, where the __atomic
 * builtins would call libatomic (not linked). */
__attribute__((target("cx16"))) static unsigned __int128
irte_cas(struct irte *entry, unsigned __int128 expected, unsigned __int128 desired)
{
	return __sync_val_compare_and_swap((unsigned __int128 *)entry, expected, desired);
}

static bool irte_update(struct irte *entry, bool check_tag, uint32_t ga_tag, int64_t host_apic_id,
                        bool ga_log_intr)
{
	/* A torn first read only costs one failed compare: CMPXCHG16B returns the whole entry
	 * atomically. */
	struct irte seen = {entry->lo, entry->hi};
	unsigned __int128 expected = irte_to_u128(seen);
	for (;;) {
		struct irte cur = {(uint64_t)expected, (uint64_t)(expected >> 64)};
		if (!irte_lo_get_guest_mode(cur.lo) || !irte_lo_get_remap_en(cur.lo))
			return false;
		if (check_tag && irte_lo_get_ga_tag(cur.lo) != ga_tag)
			return false;
		unsigned __int128 desired =
		    irte_to_u128(irte_with_vcpu(cur, host_apic_id, ga_log_intr));
		/* locked: a full barrier, which vcpu_put()'s IRTE-before-running_on order needs */
		unsigned __int128 found = irte_cas(entry, expected, desired);
		if (found == expected)
			return true;
		expected = found;
	}
}

bool irte_update_vcpu(struct irte *entry, int64_t host_apic_id, bool ga_log_intr)
{
	return irte_update(entry, false, 0, host_apic_id, ga_log_intr);
}

bool irte_update_vcpu_tagged(struct irte *entry, uint32_t ga_tag, int64_t host_apic_id,
                             bool ga_log_intr)
{
	return irte_update(entry, true, ga_tag, host_apic_id, ga_log_intr);
}

void irte_store(struct irte *entry, struct irte e)
{
	struct irte seen = {entry->lo, entry->hi};
	unsigned __int128 expected = irte_to_u128(seen);
	unsigned __int128 desired = irte_to_u128(e);
	for (;;) {
		unsigned __int128 found = irte_cas(entry, expected, desired);
		if (found == expected)
			return;
		expected = found;
	}
}

bool irte32_remapped_to(uint8_t vector, uint32_t apic_id, uint32_t *out)
{
	if (apic_id > 0xff)
		return false;
	*out = irte32_remapped(vector, (uint8_t)apic_id);
	return true;
}

uint32_t irte32_remapped(uint8_t vector, uint8_t destination)
{
	uint32_t e = 0;
	e = irte32_set_remap_en(e, 1);
	e = irte32_set_int_type(e, IRTE_INT_TYPE_FIXED);
	e = irte32_set_destination(e, destination);
	return irte32_set_vector(e, vector);
}
