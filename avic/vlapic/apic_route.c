/* Interrupt message destinations and lowest-priority arbitration; see apic_route.h. */
#include "avic/vlapic/apic_route.h"
#include "avic/vlapic/apic_regs.h"

#define XAPIC_DEST_MASK        0xFFu
#define XAPIC_CLUSTER_SHIFT    4 /* cluster model: cluster in bits 7:4, members in 3:0 */
#define XAPIC_CLUSTER_MEMBERS  0xFu
#define XAPIC_CLUSTER_BCAST    0xFu /* cluster 0xF addresses every cluster */
#define XAPIC_CLUSTER_MAX_BITS 4
#define X2APIC_CLUSTER_SHIFT   16 /* x2APIC logical: cluster in 31:16, members in 15:0 */
#define X2APIC_MEMBERS         0xFFFFu

struct apic_icr apic_icr_decode(uint64_t icr, bool x2apic)
{
	uint32_t lo = (uint32_t)icr;
	struct apic_icr m = {
	    .vector = (uint8_t)(lo & APIC_VECTOR_MASK),
	    .delivery_mode = (uint8_t)((lo & APIC_DELIVERY_MODE_MASK) >> APIC_DELIVERY_MODE_SHIFT),
	    .logical = lo & APIC_DEST_LOGICAL,
	    .level_assert = lo & APIC_ICR_LEVEL_ASSERT,
	    .level_trigger = lo & APIC_TRIGGER_LEVEL,
	    .shorthand = (uint8_t)((lo & APIC_SHORTHAND_MASK) >> APIC_SHORTHAND_SHIFT),
	    .dest = x2apic ? (uint32_t)(icr >> APIC_ICR_X2APIC_DEST_SHIFT)
	                   : (uint32_t)(icr >> APIC_ICR_XAPIC_DEST_SHIFT) & XAPIC_DEST_MASK,
	};
	/* SDM 11.6.1: INIT with trigger mode level and level 0 is "INIT level de-assert". */
	m.init_deassert = m.delivery_mode == APIC_DM_INIT && m.level_trigger && !m.level_assert;
	return m;
}

static uint64_t route_all(unsigned n)
{
	return n >= APIC_ROUTE_MAX_VCPUS ? ~0ull : BIT(n) - 1;
}

static uint64_t route_self(unsigned n, unsigned self_index)
{
	return self_index < n ? BIT(self_index) : 0;
}

static bool route_is_broadcast(uint32_t dest, bool x2apic_mode)
{
	return x2apic_mode ? dest == APIC_X2APIC_BROADCAST
	                   : (dest & XAPIC_DEST_MASK) == APIC_XAPIC_BROADCAST;
}

/* SDM 11.6.2.2: flat model, a common bit in LDR[31:24] and dest; cluster model, the cluster
 * (high nibble) equal or 0xF, and a common member bit (low nibble). */
static bool route_match_xapic_logical(const struct apic_route_vcpu *r, uint32_t dest)
{
	unsigned mda = dest & XAPIC_DEST_MASK;
	unsigned ldr = r->ldr >> APIC_LDR_XAPIC_SHIFT;
	unsigned cluster = mda >> XAPIC_CLUSTER_SHIFT;

	switch (r->dfr >> APIC_DFR_MODEL_SHIFT) {
	case APIC_DFR_MODEL_FLAT:
		return (ldr & mda) != 0;
	case APIC_DFR_MODEL_CLUSTER:
		return (cluster == XAPIC_CLUSTER_BCAST || cluster == ldr >> XAPIC_CLUSTER_SHIFT) &&
		       (ldr & mda & XAPIC_CLUSTER_MEMBERS) != 0;
	default:
		return false;
	}
}

/* SDM 11.12.10.2: the cluster is dest[31:16], the members a bitmap in dest[15:0]. */
static bool route_match_x2apic_logical(const struct apic_route_vcpu *r, uint32_t dest)
{
	return (r->ldr >> X2APIC_CLUSTER_SHIFT) == (dest >> X2APIC_CLUSTER_SHIFT) &&
	       (r->ldr & dest & X2APIC_MEMBERS) != 0;
}

static bool route_match(const struct apic_route_vcpu *r, uint32_t dest, bool logical,
                        bool x2apic_mode)
{
	if (route_is_broadcast(dest, x2apic_mode) && (x2apic_mode || !logical || r->x2apic))
		return true;
	if (!x2apic_mode)
		dest &= XAPIC_DEST_MASK;
	if (!logical)
		return r->apic_id == dest;
	return r->x2apic ? route_match_x2apic_logical(r, dest) : route_match_xapic_logical(r, dest);
}

uint64_t apic_route_dest(const struct apic_route_vcpu *v, unsigned n, unsigned self_index,
                         uint32_t dest, bool logical, unsigned shorthand, bool x2apic_mode)
{
	uint64_t targets = 0;

	switch (shorthand) {
	case APIC_SHORTHAND_SELF:
		return route_self(n, self_index);
	case APIC_SHORTHAND_ALL:
		return route_all(n);
	case APIC_SHORTHAND_OTHERS:
		return route_all(n) & ~route_self(n, self_index);
	default:
		break;
	}
	for (unsigned i = 0; i < n && i < APIC_ROUTE_MAX_VCPUS; i++)
		if (route_match(&v[i], dest, logical, x2apic_mode))
			targets |= BIT(i);
	return targets;
}

static bool route_needs_sw_enable(unsigned delivery_mode)
{
	return delivery_mode == APIC_DM_FIXED || delivery_mode == APIC_DM_LOWEST ||
	       delivery_mode == APIC_DM_EXTINT;
}

uint64_t apic_route_accepting(const struct apic_route_vcpu *v, unsigned n, uint64_t targets,
                              unsigned delivery_mode)
{
	targets &= route_all(n);
	for (unsigned i = 0; i < n && i < APIC_ROUTE_MAX_VCPUS; i++)
		if (!v[i].hw_enabled || (!v[i].sw_enabled && route_needs_sw_enable(delivery_mode)))
			targets &= ~BIT(i);
	return targets;
}

int apic_route_lowest_priority(const struct apic_route_vcpu *v, unsigned n, uint64_t targets)
{
	int best = -1;

	targets &= route_all(n);
	for (unsigned i = 0; targets; i++, targets >>= 1) {
		if (!(targets & 1))
			continue;
		if (best < 0 || v[i].ppr < v[best].ppr ||
		    (v[i].ppr == v[best].ppr && v[i].arb_id < v[best].arb_id))
			best = (int)i;
	}
	return best;
}

uint64_t apic_route_message(const struct apic_route_vcpu *v, unsigned n, unsigned self_index,
                            const struct apic_icr *m, bool x2apic_mode)
{
	uint64_t targets;
	int winner;

	if (m->init_deassert)
		return 0;
	targets = apic_route_dest(v, n, self_index, m->dest, m->logical, m->shorthand, x2apic_mode);
	targets = apic_route_accepting(v, n, targets, m->delivery_mode);
	if (m->delivery_mode != APIC_DM_LOWEST)
		return targets;
	winner = apic_route_lowest_priority(v, n, targets);
	return winner < 0 ? 0 : BIT(winner);
}

/* Exactly one bit set: its number; otherwise -1. */
static int route_single_bit(unsigned bits)
{
	if (bits == 0 || (bits & (bits - 1)))
		return -1;
	return __builtin_ctz(bits);
}

int apic_route_avic_logical_index(uint32_t ldr, uint32_t dfr)
{
	unsigned id = ldr >> APIC_LDR_XAPIC_SHIFT;
	unsigned cluster = id >> XAPIC_CLUSTER_SHIFT;
	int member;

	switch (dfr >> APIC_DFR_MODEL_SHIFT) {
	case APIC_DFR_MODEL_FLAT:
		return route_single_bit(id);
	case APIC_DFR_MODEL_CLUSTER:
		member = route_single_bit(id & XAPIC_CLUSTER_MEMBERS);
		if (member < 0 || cluster == XAPIC_CLUSTER_BCAST)
			return -1;
		return (int)cluster * XAPIC_CLUSTER_MAX_BITS + member;
	default:
		return -1;
	}
}
