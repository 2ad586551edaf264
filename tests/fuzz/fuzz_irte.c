// sources: iommu/irte.c
/* Fuzz target for IRTE encoding and decoding (iommu/irte.c): the 128-bit entries (remapped and
 * guest virtual APIC formats), their 32-bit destination split over two words, the vCPU updates
 * done with CMPXCHG16B, and the 32-bit remapped format. Entries read back from a table are
 * whatever the table holds, so every function is also given arbitrary entries.
 *
 * Input: an entry (16 bytes), an APIC ID (4), a vector (1), a GA root (8), a GA tag (4), a host
 * APIC ID (8, signed: negative means "not running"), a flags byte. Invariants: every encoder's
 * fields decode to what was encoded and it sets no other bit; the destination round-trips and
 * setting it touches only its bits; irte_with_vcpu() changes only Destination, IsRun and
 * GALogIntr as its contract says; irte_update_vcpu() and the tagged form change a live entry
 * exactly as irte_with_vcpu() would, and leave an entry that is not a valid guest-mode entry, or
 * has another GATag, untouched. */
#include <string.h>

#include "iommu/irte.h"
#include "tests/fuzz/fuzz.h"

#define LO_DEST_MASK 0x00000000ffffff00ull /* Destination 23:0 in bits 31:8 */
#define HI_DEST_MASK 0xff00000000000000ull /* Destination 31:24 in bits 127:120 */
#define LO_RUN_MASK  ((1ull << 2) | (1ull << 6)) /* GALogIntr, IsRun */
#define GA_ROOT_MASK 0x000ffffffffff000ull

static void check_destination(struct irte e, uint32_t id)
{
	struct irte d = irte_set_destination(e, id);
	FUZZ_CHECK(irte_destination(d) == id, "destination %#x reads back %#x", id,
	           irte_destination(d));
	FUZZ_CHECK((d.lo & ~LO_DEST_MASK) == (e.lo & ~LO_DEST_MASK) &&
	               (d.hi & ~HI_DEST_MASK) == (e.hi & ~HI_DEST_MASK),
	           "setting the destination changed other bits");
}

static void check_encoders(uint32_t id, uint8_t vector, uint64_t root, uint32_t tag, bool logical)
{
	struct irte r = irte_remapped(vector, id, logical);
	FUZZ_CHECK(irte_lo_get_remap_en(r.lo) == 1 && irte_lo_get_guest_mode(r.lo) == 0 &&
	               irte_lo_get_int_type(r.lo) == IRTE_INT_TYPE_FIXED &&
	               irte_lo_get_dm(r.lo) == logical && irte_hi_get_vector(r.hi) == vector &&
	               irte_destination(r) == id,
	           "remapped entry fields");
	FUZZ_CHECK((r.lo & ~(LO_DEST_MASK | 1ull | 1ull << 6)) == 0 &&
	               (r.hi & ~(HI_DEST_MASK | 0xffull)) == 0,
	           "remapped entry sets other bits: %#llx %#llx", (unsigned long long)r.lo,
	           (unsigned long long)r.hi);

	struct irte g = irte_guest(vector, root & GA_ROOT_MASK, tag);
	FUZZ_CHECK(irte_lo_get_remap_en(g.lo) == 1 && irte_lo_get_guest_mode(g.lo) == 1 &&
	               irte_lo_get_ga_log_intr(g.lo) == 1 && irte_lo_get_is_run(g.lo) == 0 &&
	               irte_lo_get_ga_tag(g.lo) == tag && irte_hi_get_vector(g.hi) == vector &&
	               irte_hi_get_ga_root(g.hi) == (root & GA_ROOT_MASK),
	           "guest entry fields");

	uint32_t e32 = irte32_remapped(vector, (uint8_t)id);
	FUZZ_CHECK(irte32_get_remap_en(e32) == 1 && irte32_get_vector(e32) == vector &&
	               irte32_get_destination(e32) == (uint8_t)id && irte32_get_dm(e32) == 0 &&
	               irte32_get_int_type(e32) == IRTE_INT_TYPE_FIXED,
	           "32-bit entry fields: %#x", e32);
}

static void check_with_vcpu(struct irte e, int64_t host, bool ga_log, uint32_t tag)
{
	struct irte w = irte_with_vcpu(e, host, ga_log);
	uint64_t lo_mask = LO_RUN_MASK | (host >= 0 ? LO_DEST_MASK : 0);
	uint64_t hi_mask = host >= 0 ? HI_DEST_MASK : 0;
	FUZZ_CHECK((w.lo & ~lo_mask) == (e.lo & ~lo_mask) && (w.hi & ~hi_mask) == (e.hi & ~hi_mask),
	           "irte_with_vcpu changed a cached field");
	if (host >= 0)
		FUZZ_CHECK(irte_destination(w) == (uint32_t)host && irte_lo_get_is_run(w.lo) == 1 &&
		               irte_lo_get_ga_log_intr(w.lo) == 0,
		           "running: destination %#x IsRun %u", irte_destination(w),
		           (unsigned)irte_lo_get_is_run(w.lo));
	else
		FUZZ_CHECK(irte_lo_get_is_run(w.lo) == 0 && irte_lo_get_ga_log_intr(w.lo) == ga_log,
		           "not running: IsRun or GALogIntr");

	bool live = irte_lo_get_remap_en(e.lo) && irte_lo_get_guest_mode(e.lo);
	struct irte entry = e;
	bool done = irte_update_vcpu(&entry, host, ga_log);
	FUZZ_CHECK(done == live, "irte_update_vcpu returned %d for a %s entry", done,
	           live ? "live guest-mode" : "non guest-mode");
	struct irte want = done ? w : e;
	FUZZ_CHECK(entry.lo == want.lo && entry.hi == want.hi, "irte_update_vcpu wrote %s",
	           done ? "something else than irte_with_vcpu" : "an entry it refused");

	entry = e;
	bool same_tag = irte_lo_get_ga_tag(e.lo) == tag;
	done = irte_update_vcpu_tagged(&entry, tag, host, ga_log);
	FUZZ_CHECK(done == (live && same_tag), "tagged update returned %d", done);
	want = done ? w : e;
	FUZZ_CHECK(entry.lo == want.lo && entry.hi == want.hi, "tagged update wrote the wrong entry");

	irte_store(&entry, w);
	FUZZ_CHECK(entry.lo == w.lo && entry.hi == w.hi, "irte_store");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_stream s = {data, size};
	struct irte e;
	e.lo = fuzz_take(&s, 8);
	e.hi = fuzz_take(&s, 8);
	uint32_t id = (uint32_t)fuzz_take(&s, 4);
	uint8_t vector = (uint8_t)fuzz_take(&s, 1);
	uint64_t root = fuzz_take(&s, 8);
	uint32_t tag = (uint32_t)fuzz_take(&s, 4);
	int64_t host = (int64_t)fuzz_take(&s, 8);
	uint8_t flags = (uint8_t)fuzz_take(&s, 1);
	if (flags & 4) /* a host APIC ID as the IOMMU can hold one: 32 bits, or -1 */
		host = (flags & 8) ? -1 : (int64_t)(uint32_t)host;
	if (flags & 16) /* the tag the entry holds, as a caller with a current pointer passes */
		tag = (uint32_t)(e.lo >> 32);
	if (host > (int64_t)UINT32_MAX)
		host = (int64_t)(uint32_t)host; /* an APIC ID has 32 bits: callers never pass more */

	check_destination(e, id);
	check_encoders(id, vector, root, tag, flags & 1);
	check_with_vcpu(e, host, flags & 2, tag);
	check_with_vcpu(irte_guest(vector, root & GA_ROOT_MASK, tag), host, flags & 2, tag);
	return 0;
}

const struct fuzz_target fuzz_target = {
	.name = "irte",
	.iterations = 300000,
	.max_len = 64,
};
