/* The device table and control bits the IVRS asks for (#48882 §5.2.2, §5.2.3, §3.4.4). */
#include "iommu/ivrs_apply.h"
#include "kernel/format.h"

/* Control register (#48882 §3.4.4): PassPW 8, ResPassPW 9, Coherent 10, Isoc 11; InvTimeout
 * bits 7:5, 100b = 1 s. */
#define CONTROL_HT_TUN_EN      BIT(1)
#define CONTROL_INV_TIMEOUT_1S (4ull << 5)
#define CONTROL_PASS_PW        BIT(8)
#define CONTROL_RES_PASS_PW    BIT(9)
#define CONTROL_COHERENT       BIT(10)
#define CONTROL_ISOC           BIT(11)

#define PAGE_4K 0x1000ull

uint64_t ivrs_control_bits(uint8_t ivhd_flags)
{
	uint64_t c = CONTROL_COHERENT | CONTROL_INV_TIMEOUT_1S;
	if (ivhd_flags & IVHD_FLAG_HT_TUN_EN)
		c |= CONTROL_HT_TUN_EN;
	if (ivhd_flags & IVHD_FLAG_PASS_PW)
		c |= CONTROL_PASS_PW;
	if (ivhd_flags & IVHD_FLAG_RES_PASS_PW)
		c |= CONTROL_RES_PASS_PW;
	if (ivhd_flags & IVHD_FLAG_ISOC)
		c |= CONTROL_ISOC;
	return c;
}

struct dte ivrs_dte_with_settings(struct dte d, uint8_t s)
{
	d.q[2] = dte_q2_set_init_pass(d.q[2], !!(s & IVHD_SETTING_INIT_PASS));
	d.q[2] = dte_q2_set_eint_pass(d.q[2], !!(s & IVHD_SETTING_EINT_PASS));
	d.q[2] = dte_q2_set_nmi_pass(d.q[2], !!(s & IVHD_SETTING_NMI_PASS));
	d.q[2] = dte_q2_set_lint0_pass(d.q[2], !!(s & IVHD_SETTING_LINT0_PASS));
	d.q[2] = dte_q2_set_lint1_pass(d.q[2], !!(s & IVHD_SETTING_LINT1_PASS));
	d.q[1] = dte_q1_set_sys_mgt(d.q[1], (s >> IVHD_SETTING_SYS_MGT_SHIFT) & 3);
	return d;
}

static void apply_settings(struct dte *table, uint32_t first, uint32_t last, uint8_t settings)
{
	for (uint32_t id = first; id <= last; id++)
		table[id] = ivrs_dte_with_settings(table[id], settings);
}

/* Settings of the device entries, widest range first so that a narrower entry (a SELECT inside
 * the ALL entry) has the last word, then the requester IDs alias entries name, then SPECIAL. */
static void fill_settings(const struct ivrs_info *ivrs, uint16_t segment, struct dte *table)
{
	bool done[IVRS_MAX_DEVS] = {false};
	for (unsigned n = 0; n < ivrs->dev_count; n++) {
		int widest = -1;
		for (unsigned i = 0; i < ivrs->dev_count; i++) {
			const struct ivrs_devrange *d = &ivrs->dev[i];
			if (!done[i] && (widest < 0 || d->last - d->first > ivrs->dev[widest].last -
			                                                        ivrs->dev[widest].first))
				widest = (int)i;
		}
		done[widest] = true;
		const struct ivrs_devrange *d = &ivrs->dev[widest];
		if (ivrs->iommu[d->iommu].segment != segment)
			continue;
		apply_settings(table, d->first, d->last, d->settings);
		if (d->aliased)
			apply_settings(table, d->alias, d->alias, d->settings);
	}
	for (unsigned i = 0; i < ivrs->special_count; i++) {
		const struct ivrs_special *s = &ivrs->special[i];
		if (ivrs->iommu[s->iommu].segment == segment)
			apply_settings(table, s->devid, s->devid, s->settings);
	}
}

static uint32_t ivmd_mask_of(const struct ivrs_info *ivrs, uint16_t segment, uint16_t devid)
{
	uint32_t mask = 0;
	for (unsigned i = 0; i < ivrs->ivmd_count; i++) {
		if (ivrs_ivmd_applies(&ivrs->ivmd[i], segment, devid))
			mask |= 1u << i;
	}
	return mask;
}

bool ivrs_has_unity(const struct ivrs_info *ivrs, uint16_t segment, uint16_t devid)
{
	return ivmd_mask_of(ivrs, segment, devid) != 0;
}

/* The identity-mapped page table for one set of IVMD blocks, made once per set. */
static struct ivrs_unity_domain *unity_domain(const struct ivrs_info *ivrs, struct ivrs_unity *u,
                                              uint32_t mask, uint64_t (*alloc)(void),
                                              void (*free)(uint64_t), char *why, size_t why_len)
{
	for (unsigned i = 0; i < u->count; i++) {
		if (u->domain[i].ivmd_mask == mask)
			return &u->domain[i];
	}
	if (u->count >= IVRS_MAX_UNITY_DOMAINS) {
		format(why, why_len, "more than %u distinct sets of IVMD ranges",
		       IVRS_MAX_UNITY_DOMAINS);
		return NULL;
	}
	struct ivrs_unity_domain *dom = &u->domain[u->count];
	*dom = (struct ivrs_unity_domain){
	    .ivmd_mask = mask,
	    .domain_id = (uint16_t)(IVRS_UNITY_DOMAIN_BASE + u->count),
	    .pt = {.alloc = alloc, .free = free}};
	if (!io_pgtable_init(&dom->pt)) {
		format(why, why_len, "out of memory for a unity-map page table");
		return NULL;
	}
	for (unsigned i = 0; i < ivrs->ivmd_count; i++) {
		if (!(mask & (1u << i)))
			continue;
		const struct ivrs_ivmd *m = &ivrs->ivmd[i];
		uint64_t start = m->start & ~(PAGE_4K - 1);
		uint64_t end = (m->start + m->length + PAGE_4K - 1) & ~(PAGE_4K - 1);
		bool excl = m->flags & IVMD_FLAG_EXCL_RANGE;
		bool r = excl || (m->flags & IVMD_FLAG_IR), w = excl || (m->flags & IVMD_FLAG_IW);
		if (end < start || end > IO_PGTABLE_LIMIT ||
		    !io_pgtable_map(&dom->pt, start, start, end - start, r, w)) {
			format(why, why_len,
			       "IVMD range [0x%lx, 0x%lx) for devices %04x-%04x cannot be mapped "
			       "(above 0x%llx or out of memory)",
			       (unsigned long)m->start, (unsigned long)(m->start + m->length),
			       m->first, m->last, (unsigned long long)IO_PGTABLE_LIMIT);
			io_pgtable_destroy(&dom->pt);
			return NULL;
		}
	}
	u->count++;
	return dom;
}

bool ivrs_fill_device_table(const struct ivrs_info *ivrs, uint16_t segment, struct dte *table,
                            struct ivrs_unity *unity, uint64_t (*alloc)(void),
                            void (*free)(uint64_t), char *why, size_t why_len)
{
	bool ok = true;
	struct dte blocked = dte_blocked();
	for (uint32_t id = 0; id < DTE_DEVICE_IDS; id++)
		table[id] = blocked;
	fill_settings(ivrs, segment, table);
	if (why_len)
		why[0] = 0;
	/* The set of IVMD blocks only changes where one starts or ends: walk those intervals. */
	uint32_t edges[2 * IVRS_MAX_IVMDS + 1];
	unsigned n = 0;
	edges[n++] = 0;
	for (unsigned i = 0; i < ivrs->ivmd_count; i++) {
		if (ivrs->ivmd[i].segment != segment)
			continue;
		edges[n++] = ivrs->ivmd[i].first;
		edges[n++] = (uint32_t)ivrs->ivmd[i].last + 1;
	}
	for (unsigned i = 1; i < n; i++) { /* insertion sort, at most 33 edges */
		for (unsigned j = i; j > 0 && edges[j - 1] > edges[j]; j--) {
			uint32_t t = edges[j];
			edges[j] = edges[j - 1];
			edges[j - 1] = t;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t first = edges[i], end = i + 1 < n ? edges[i + 1] : DTE_DEVICE_IDS;
		if (first >= end || first >= DTE_DEVICE_IDS)
			continue;
		uint32_t mask = ivmd_mask_of(ivrs, segment, (uint16_t)first);
		if (!mask)
			continue;
		struct ivrs_unity_domain *dom =
		    unity_domain(ivrs, unity, mask, alloc, free, ok ? why : NULL, ok ? why_len : 0);
		if (!dom) {
			unity->failed += end - first;
			ok = false;
			continue;
		}
		for (uint32_t id = first; id < end; id++) {
			struct dte d = dte_with_page_table(table[id], dom->pt.root, IO_PGTABLE_LEVELS,
			                                   true, true);
			table[id] = dte_with_domain(d, dom->domain_id);
		}
		unity->devices += end - first;
	}
	return ok;
}
