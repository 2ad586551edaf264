/* The per-vCPU list of guest-mode IRTEs and GA tags (svm/vm/intremap.h). No kernel dependencies:
 * tests/unit/test_intremap_vcpu.c runs it on the host. */
#include "svm/vm/intremap.h"
#include "iommu/irte.h"

#define TAG_MAGIC_SHIFT 24
#define TAG_VM_SHIFT    8
#define TAG_VM_MASK     0xffffu
#define TAG_VCPU_MASK   0xffu

uint32_t intremap_tag(unsigned vm_id, unsigned vcpu_index)
{
	return INTREMAP_TAG_MAGIC << TAG_MAGIC_SHIFT | (vm_id & TAG_VM_MASK) << TAG_VM_SHIFT |
	       (vcpu_index & TAG_VCPU_MASK);
}

bool intremap_tag_decode(uint32_t tag, unsigned *vm_id, unsigned *vcpu_index)
{
	if (tag >> TAG_MAGIC_SHIFT != INTREMAP_TAG_MAGIC)
		return false;
	*vm_id = (tag >> TAG_VM_SHIFT) & TAG_VM_MASK;
	*vcpu_index = tag & TAG_VCPU_MASK;
	return true;
}

bool intremap_vcpu_add(struct intremap_vcpu *s, struct irte *entry)
{
	uint32_t used = __atomic_load_n(&s->used, __ATOMIC_RELAXED);
	if (used == UINT32_MAX)
		return false;
	unsigned i = (unsigned)__builtin_ctz(~used);
	/* the pointer before the bit: the walker never follows a bit to an empty slot it then
	 * reads as NULL (it would skip it anyway) */
	__atomic_store_n(&s->slot[i], entry, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->used, used | 1u << i, __ATOMIC_SEQ_CST);
	return true;
}

void intremap_vcpu_remove(struct intremap_vcpu *s, struct irte *entry)
{
	uint32_t used = __atomic_load_n(&s->used, __ATOMIC_RELAXED);
	for (uint32_t m = used; m; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctz(m);
		if (__atomic_load_n(&s->slot[i], __ATOMIC_RELAXED) != entry)
			continue;
		__atomic_store_n(&s->used, used & ~(1u << i), __ATOMIC_SEQ_CST);
		__atomic_store_n(&s->slot[i], NULL, __ATOMIC_SEQ_CST);
		return;
	}
}

unsigned intremap_vcpu_update(struct intremap_vcpu *s, int64_t host_apic_id, bool ga_log_intr)
{
	unsigned updated = 0;
	for (uint32_t m = __atomic_load_n(&s->used, __ATOMIC_ACQUIRE); m; m &= m - 1) {
		struct irte *e = __atomic_load_n(&s->slot[__builtin_ctz(m)], __ATOMIC_ACQUIRE);
		/* a stale pointer is harmless: the tag (and mode) check in the CMPXCHG16B loop
		 * leaves an entry that no longer belongs to this vCPU unchanged */
		if (e && irte_update_vcpu_tagged(e, s->tag, host_apic_id, ga_log_intr))
			updated++;
	}
	return updated;
}
