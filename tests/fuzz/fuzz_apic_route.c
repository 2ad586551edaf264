// sources: avic/vlapic/apic_route.c
/* Fuzz target for ICR decoding and interrupt routing (avic/vlapic/apic_route.c): the 64-bit ICR a
 * guest writes, its destination among a VM's local APICs (physical, logical flat/cluster, x2APIC
 * cluster, broadcast, shorthands), acceptance, lowest-priority arbitration, and the AVIC logical
 * table index of an LDR/DFR pair.
 *
 * Input: ICR (8 bytes), a mode byte (bit 0: x2APIC message format, bits 7:1: self index), the
 * number of vCPUs (1-64), then 12 bytes per vCPU: APIC ID (4), LDR (4), DFR high byte, flags
 * (x2APIC, hardware and software enabled), PPR, arbitration ID; missing bytes read as 0.
 * Invariants: decoded fields are in range and an xAPIC destination has 8 bits; results never name
 * a vCPU beyond n; shorthands give exactly self, all, or all but self; without a shorthand or
 * broadcast, physical destinations are exactly the vCPUs with that APIC ID; accepting targets are
 * a subset of the destination and never a hardware-disabled APIC (nor a software-disabled one
 * for fixed, lowest-priority and ExtINT); lowest priority picks one target of minimal PPR;
 * INIT de-assert reaches nobody; the AVIC logical index is -1 or within the 64-entry table. */
#include <stdint.h>
#include <string.h>

#include "avic/vlapic/apic_regs.h"
#include "avic/vlapic/apic_route.h"
#include "tests/fuzz/fuzz.h"

static uint64_t all_of(unsigned n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static void check_icr(const struct apic_icr *m, uint64_t icr, bool x2apic)
{
	FUZZ_CHECK(m->delivery_mode < 8 && m->shorthand < 4, "ICR %#llx: mode or shorthand range",
	           (unsigned long long)icr);
	FUZZ_CHECK(x2apic || m->dest <= 0xff, "ICR %#llx: xAPIC destination %#x above 8 bits",
	           (unsigned long long)icr, m->dest);
	FUZZ_CHECK(m->vector == (uint8_t)icr, "ICR %#llx: vector %#x", (unsigned long long)icr,
	           m->vector);
	FUZZ_CHECK(m->init_deassert ==
	               (m->delivery_mode == APIC_DM_INIT && m->level_trigger && !m->level_assert),
	           "ICR %#llx: INIT de-assert", (unsigned long long)icr);
}

static void check_dest(const struct apic_route_vcpu *v, unsigned n, unsigned self,
                       const struct apic_icr *m, bool x2apic_mode, uint64_t dest)
{
	uint64_t all = all_of(n), me = self < n ? 1ull << self : 0;
	FUZZ_CHECK((dest & ~all) == 0, "destination %#llx names a vCPU beyond %u",
	           (unsigned long long)dest, n);
	if (m->shorthand == APIC_SHORTHAND_SELF)
		FUZZ_CHECK(dest == me, "self shorthand gave %#llx", (unsigned long long)dest);
	else if (m->shorthand == APIC_SHORTHAND_ALL)
		FUZZ_CHECK(dest == all, "all shorthand gave %#llx", (unsigned long long)dest);
	else if (m->shorthand == APIC_SHORTHAND_OTHERS)
		FUZZ_CHECK(dest == (all & ~me), "others shorthand gave %#llx",
		           (unsigned long long)dest);
	bool broadcast = x2apic_mode ? m->dest == 0xffffffffu : (m->dest & 0xff) == 0xff;
	if (m->shorthand == APIC_SHORTHAND_NONE && !m->logical && !broadcast) {
		uint32_t want = x2apic_mode ? m->dest : m->dest & 0xff;
		uint64_t expect = 0;
		for (unsigned i = 0; i < n; i++)
			if (v[i].apic_id == want)
				expect |= 1ull << i;
		FUZZ_CHECK(dest == expect, "physical destination %#x gave %#llx, not %#llx", want,
		           (unsigned long long)dest, (unsigned long long)expect);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_stream s = {data, size};
	struct apic_route_vcpu v[APIC_ROUTE_MAX_VCPUS];
	uint64_t icr = fuzz_take(&s, 8);
	uint8_t mode = (uint8_t)fuzz_take(&s, 1);
	unsigned n = 1 + (unsigned)fuzz_take(&s, 1) % APIC_ROUTE_MAX_VCPUS;
	bool x2apic_mode = mode & 1;
	unsigned self = mode >> 1; /* 127 and anything >= n: no local sender */
	if (self == 127)
		self = APIC_ROUTE_NO_SELF;
	memset(v, 0, sizeof(v));
	for (unsigned i = 0; i < n; i++) {
		v[i].apic_id = (uint32_t)fuzz_take(&s, 4);
		v[i].ldr = (uint32_t)fuzz_take(&s, 4);
		v[i].dfr = (uint32_t)fuzz_take(&s, 1) << 24 | 0x00ffffffu;
		uint8_t flags = (uint8_t)fuzz_take(&s, 1);
		v[i].x2apic = flags & 1;
		v[i].hw_enabled = flags & 2;
		v[i].sw_enabled = flags & 4;
		v[i].ppr = (uint8_t)fuzz_take(&s, 1);
		v[i].arb_id = (uint8_t)fuzz_take(&s, 1);
	}

	struct apic_icr m = apic_icr_decode(icr, x2apic_mode);
	check_icr(&m, icr, x2apic_mode);
	uint64_t dest = apic_route_dest(v, n, self, m.dest, m.logical, m.shorthand, x2apic_mode);
	check_dest(v, n, self, &m, x2apic_mode, dest);

	uint64_t acc = apic_route_accepting(v, n, dest, m.delivery_mode);
	FUZZ_CHECK((acc & ~dest) == 0, "accepting %#llx is not within %#llx",
	           (unsigned long long)acc, (unsigned long long)dest);
	bool needs_sw = m.delivery_mode == APIC_DM_FIXED || m.delivery_mode == APIC_DM_LOWEST ||
	                m.delivery_mode == APIC_DM_EXTINT;
	for (unsigned i = 0; i < n; i++)
		if (acc & (1ull << i))
			FUZZ_CHECK(v[i].hw_enabled && (v[i].sw_enabled || !needs_sw),
			           "vCPU %u accepts delivery mode %u while disabled", i, m.delivery_mode);

	int best = apic_route_lowest_priority(v, n, acc);
	FUZZ_CHECK((best < 0) == (acc == 0), "lowest priority %d of %#llx", best,
	           (unsigned long long)acc);
	if (best >= 0) {
		FUZZ_CHECK((unsigned)best < n && (acc & (1ull << best)), "winner %d not a target", best);
		for (unsigned i = 0; i < n; i++)
			if (acc & (1ull << i))
				FUZZ_CHECK(v[i].ppr >= v[best].ppr, "winner %d has PPR %u > vCPU %u's %u",
				           best, v[best].ppr, i, v[i].ppr);
	}

	uint64_t got = apic_route_message(v, n, self, &m, x2apic_mode);
	if (m.init_deassert)
		FUZZ_CHECK(got == 0, "INIT de-assert reached %#llx", (unsigned long long)got);
	else if (m.delivery_mode == APIC_DM_LOWEST)
		FUZZ_CHECK(got == (best < 0 ? 0 : 1ull << best), "lowest priority message reached %#llx",
		           (unsigned long long)got);
	else
		FUZZ_CHECK(got == acc, "message reached %#llx, accepting %#llx",
		           (unsigned long long)got, (unsigned long long)acc);

	for (unsigned i = 0; i < n; i++) {
		int idx = apic_route_avic_logical_index(v[i].ldr, v[i].dfr);
		FUZZ_CHECK(idx >= -1 && idx < 64, "AVIC logical index %d for LDR %#x DFR %#x", idx,
		           v[i].ldr, v[i].dfr);
	}
	return 0;
}

/* A VM of 1-8 vCPUs with small APIC IDs, LDRs of one or two bits and PPRs in a few classes,
 * so that destinations match; the ICR with a small or broadcast destination. */
static size_t generate(uint8_t *buf, size_t cap, uint64_t (*rnd)(void))
{
	unsigned n = 1 + (unsigned)(rnd() % 8);
	size_t len = 10 + 12 * (size_t)n;
	if (len > cap)
		return SIZE_MAX;
	uint64_t r = rnd();
	uint64_t dest = (r & 1) ? 0xff : (r >> 1) % 8;
	if (r & 2)
		dest = (r & 4) ? 0xffffffffull : ((r >> 8) & 1) << 16 | 1u << ((r >> 9) % 4);
	uint64_t icr = (rnd() & 0xcdfff) | dest << ((r & 2) ? 32 : 56);
	memcpy(buf, &icr, 8);
	buf[8] = (uint8_t)((r & 2 ? 1 : 0) | (uint8_t)((rnd() % 10) << 1));
	buf[9] = (uint8_t)(n - 1);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = buf + 10 + 12 * i;
		uint32_t id = i, ldr = (r & 2) ? (i / 16) << 16 | 1u << (i % 16)
		                               : (uint32_t)(1u << (24 + i % 8));
		memcpy(p, &id, 4);
		memcpy(p + 4, &ldr, 4);
		p[8] = (rnd() % 3) ? 0xff : 0x0f;
		p[9] = (uint8_t)((r & 2 ? 1 : 0) | (rnd() % 8 ? 6 : (uint8_t)rnd() & 6));
		p[10] = (uint8_t)(rnd() % 4 * 0x10);
		p[11] = (uint8_t)i;
	}
	return len;
}

const struct fuzz_target fuzz_target = {
	.name = "apic_route",
	.iterations = 100000,
	.max_len = 10 + 12 * APIC_ROUTE_MAX_VCPUS,
	.generate = generate,
};
