/* Guest page-table walker (SDM vol. 3, chapter 4; APM vol. 2, chapter 5). */
#include "svm/emul/guest_walk.h"

/* Control-register and EFER bits that select the paging mode (APM vol. 2, 3.1). */
#define CR0_WP   BIT(16)
#define CR0_PG   BIT(31)
#define CR4_PSE  BIT(4)
#define CR4_PAE  BIT(5)
#define CR4_LA57 BIT(12)
#define CR4_SMEP BIT(20)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

/* Paging-structure entry bits (APM vol. 2, 5.4.1). */
#define PTE_P  BIT(0)
#define PTE_RW BIT(1)
#define PTE_US BIT(2)
#define PTE_PS BIT(7)
#define PTE_NX BIT(63)

/* Physical-address field of PAE and long-mode entries, bits 51:12. The walker assumes the
 * architectural maximum MAXPHYADDR of 52, so bits between the CPU's real MAXPHYADDR and 51 are not
 * reported as reserved. */
#define PTE_ADDR_MASK 0x000ffffffffff000ull
/* PAE entries reserve bits 62:52 where long mode lets software use them (SDM tables 4-8..4-11). */
#define PAE_RSVD_HIGH 0x7ff0000000000000ull
/* PAE PDPTE reserved bits 2:1, 8:5 and 63:52 (SDM table 4-8): it has no permission bits. */
#define PAE_PDPTE_RSVD (0xfff0000000000000ull | 0x1e6ull)

/* 32-bit paging (SDM vol. 3, 4.3). A 4 MiB PDE carries physical-address bits 39:32 in its bits
 * 20:13 (PSE-36, 40 physical bits as on AMD); bit 21 is reserved. */
#define PDE32_4M_FRAME      0xffc00000u
#define PDE32_4M_HIGH_SHIFT 13
#define PDE32_4M_HIGH_MASK  0xffu
#define PDE32_4M_RSVD       BIT(21)
#define PTE32_FRAME         0xfffff000u

/* One level of a PAE or long-mode walk. */
struct walk_level {
	uint8_t shift;      /* bit of the linear address where this level's index starts */
	uint8_t index_bits; /* width of the index */
	bool large_ok;      /* PS = 1 maps a page here (2 MiB or 1 GiB) */
	bool no_perm;       /* the entry has no R/W, U/S or NX bits (PAE PDPTE) */
	uint64_t rsvd;      /* bits that must be zero in a present entry at this level */
};

/* State accumulated over the walk: the access is allowed only if every level allows it. */
struct walk {
	const struct guest_paging *p;
	unsigned access;
	guest_read_fn rd;
	void *ctx;
	bool writable, user, nx;
};

static bool walk_nxe(const struct guest_paging *p)
{
	return p->efer & EFER_NXE;
}

/* Error code per SDM vol. 3, 4.7: cause holds P and/or RSVD. */
static int walk_fault(const struct walk *w, uint32_t cause, uint32_t *pf_error)
{
	uint32_t code = cause;

	if (w->access & WALK_WRITE)
		code |= PF_ERROR_W;
	if (w->access & WALK_USER)
		code |= PF_ERROR_U;
	/* I/D is reported only when NX can apply (NXE with PAE or long mode) or with SMEP. */
	if ((w->access & WALK_FETCH) &&
	    ((walk_nxe(w->p) && (w->p->cr4 & CR4_PAE)) || (w->p->cr4 & CR4_SMEP)))
		code |= PF_ERROR_I;
	*pf_error = code;
	return -GUEST_WALK_EFAULT;
}

static void walk_accumulate(struct walk *w, uint64_t entry)
{
	w->writable = w->writable && (entry & PTE_RW);
	w->user = w->user && (entry & PTE_US);
	w->nx = w->nx || (walk_nxe(w->p) && (entry & PTE_NX));
}

/* Access rights of the final translation (SDM vol. 3, 4.6): user accesses need U/S everywhere,
 * writes need R/W everywhere unless a supervisor write with CR0.WP = 0, fetches need NX clear,
 * and with SMEP a supervisor may not fetch from a user page. */
static int walk_check_rights(const struct walk *w, uint32_t *pf_error)
{
	bool user = w->access & WALK_USER;

	if (user && !w->user)
		return walk_fault(w, PF_ERROR_P, pf_error);
	if ((w->access & WALK_WRITE) && !w->writable && (user || (w->p->cr0 & CR0_WP)))
		return walk_fault(w, PF_ERROR_P, pf_error);
	if ((w->access & WALK_FETCH) && w->nx)
		return walk_fault(w, PF_ERROR_P, pf_error);
	if ((w->access & WALK_FETCH) && !user && w->user && (w->p->cr4 & CR4_SMEP))
		return walk_fault(w, PF_ERROR_P, pf_error);
	return 0;
}

static bool walk_read_entry(const struct walk *w, gpa_t addr, void *entry, size_t size)
{
	return w->rd(w->ctx, addr, entry, size);
}

/* Walks levels of 8-byte entries (PAE and long mode) starting at the table at 'table'. */
static int walk_levels(struct walk *w, gva_t va, gpa_t table, const struct walk_level *lv,
                       unsigned levels, gpa_t *gpa, uint32_t *pf_error)
{
	uint64_t nx_rsvd = walk_nxe(w->p) ? 0 : PTE_NX;

	for (unsigned i = 0; i < levels; i++) {
		uint64_t index = (va >> lv[i].shift) & ((1ull << lv[i].index_bits) - 1);
		uint64_t page_mask = (1ull << lv[i].shift) - 1;
		uint64_t entry;

		if (!walk_read_entry(w, table + index * 8, &entry, sizeof(entry))) {
			*pf_error = GUEST_WALK_NO_PF;
			return -GUEST_WALK_ETABLE;
		}
		if (!(entry & PTE_P))
			return walk_fault(w, 0, pf_error);
		bool leaf = i + 1 == levels || (lv[i].large_ok && (entry & PTE_PS));
		uint64_t rsvd = lv[i].rsvd | (lv[i].no_perm ? 0 : nx_rsvd);
		/* A large page's frame is aligned to its size: bits shift-1..13 are reserved (bit
		 * 12 is the PAT bit). */
		if (leaf && lv[i].shift > 12)
			rsvd |= page_mask & ~0x1fffull;
		if (entry & rsvd)
			return walk_fault(w, PF_ERROR_P | PF_ERROR_RSVD, pf_error);
		if (!lv[i].no_perm)
			walk_accumulate(w, entry);
		if (leaf) {
			*gpa = (entry & PTE_ADDR_MASK & ~page_mask) | (va & page_mask);
			return walk_check_rights(w, pf_error);
		}
		table = entry & PTE_ADDR_MASK;
	}
	/* not reached: the last level is always a leaf */
	*pf_error = GUEST_WALK_NO_PF;
	return -GUEST_WALK_ETABLE;
}

/* 4-level or 5-level paging (APM vol. 2, 5.3; SDM vol. 3, 4.5). PS is reserved in PML5E and
 * PML4E; 1 GiB pages are allowed in PDPTEs. */
static int walk_long(struct walk *w, gva_t va, gpa_t *gpa, uint32_t *pf_error)
{
	static const struct walk_level levels[] = {
	    {.shift = 48, .index_bits = 9, .rsvd = PTE_PS},
	    {.shift = 39, .index_bits = 9, .rsvd = PTE_PS},
	    {.shift = 30, .index_bits = 9, .large_ok = true},
	    {.shift = 21, .index_bits = 9, .large_ok = true},
	    {.shift = 12, .index_bits = 9},
	};
	bool la57 = w->p->cr4 & CR4_LA57;
	unsigned va_bits = la57 ? 57 : 48;
	uint64_t high = (uint64_t)((int64_t)va >> (va_bits - 1));

	/* Bits 63 down to the top implemented bit must all be equal (APM vol. 2, 5.3.1). */
	if (high != 0 && high != ~0ull) {
		*pf_error = GUEST_WALK_NO_PF;
		return -GUEST_WALK_ENONCANON;
	}
	if (la57)
		return walk_levels(w, va, w->p->cr3 & PTE_ADDR_MASK, levels, 5, gpa, pf_error);
	return walk_levels(w, va, w->p->cr3 & PTE_ADDR_MASK, levels + 1, 4, gpa, pf_error);
}

/* PAE paging (SDM vol. 3, 4.4). The CPU loads the four PDPTEs when CR3 is written; the walker
 * reads them from memory instead, which differs only if the guest changed them without
 * reloading CR3. */
static int walk_pae(struct walk *w, gva_t va, gpa_t *gpa, uint32_t *pf_error)
{
	static const struct walk_level levels[] = {
	    {.shift = 30, .index_bits = 2, .no_perm = true, .rsvd = PAE_PDPTE_RSVD},
	    {.shift = 21, .index_bits = 9, .large_ok = true, .rsvd = PAE_RSVD_HIGH},
	    {.shift = 12, .index_bits = 9, .rsvd = PAE_RSVD_HIGH},
	};

	return walk_levels(w, va, w->p->cr3 & 0xffffffe0u, levels, 3, gpa, pf_error);
}

/* 32-bit paging (SDM vol. 3, 4.3): 4-byte entries, 4 MiB pages when CR4.PSE = 1. */
static int walk_32bit(struct walk *w, gva_t va, gpa_t *gpa, uint32_t *pf_error)
{
	uint32_t pde, pte;
	gpa_t pde_addr = (w->p->cr3 & PTE32_FRAME) + ((va >> 22) & 0x3ff) * 4;

	if (!walk_read_entry(w, pde_addr, &pde, sizeof(pde))) {
		*pf_error = GUEST_WALK_NO_PF;
		return -GUEST_WALK_ETABLE;
	}
	if (!(pde & PTE_P))
		return walk_fault(w, 0, pf_error);
	if ((pde & PTE_PS) && (w->p->cr4 & CR4_PSE)) {
		if (pde & PDE32_4M_RSVD)
			return walk_fault(w, PF_ERROR_P | PF_ERROR_RSVD, pf_error);
		walk_accumulate(w, pde);
		*gpa = (pde & PDE32_4M_FRAME) |
		       ((gpa_t)((pde >> PDE32_4M_HIGH_SHIFT) & PDE32_4M_HIGH_MASK) << 32) |
		       (va & 0x3fffff);
		return walk_check_rights(w, pf_error);
	}
	walk_accumulate(w, pde);
	if (!walk_read_entry(w, (pde & PTE32_FRAME) + ((va >> 12) & 0x3ff) * 4, &pte,
	                     sizeof(pte))) {
		*pf_error = GUEST_WALK_NO_PF;
		return -GUEST_WALK_ETABLE;
	}
	if (!(pte & PTE_P))
		return walk_fault(w, 0, pf_error);
	walk_accumulate(w, pte);
	*gpa = (pte & PTE32_FRAME) | (va & 0xfff);
	return walk_check_rights(w, pf_error);
}

int guest_walk(const struct guest_paging *p, gva_t va, unsigned access, guest_read_fn rd, void *ctx,
               gpa_t *gpa, uint32_t *pf_error)
{
	struct walk w = {.p = p,
	                 .access = access,
	                 .rd = rd,
	                 .ctx = ctx,
	                 .writable = true,
	                 .user = true,
	                 .nx = false};

	*pf_error = GUEST_WALK_NO_PF;
	if (!(p->cr0 & CR0_PG)) {
		/* Paging disabled: linear addresses are physical, 32 bits wide. */
		*gpa = va & 0xffffffffull;
		return 0;
	}
	if (p->efer & EFER_LMA)
		return walk_long(&w, va, gpa, pf_error);
	va &= 0xffffffffull;
	if (p->cr4 & CR4_PAE)
		return walk_pae(&w, va, gpa, pf_error);
	return walk_32bit(&w, va, gpa, pf_error);
}

size_t guest_read_virt(const struct guest_paging *p, gva_t va, void *buf, size_t len,
                       unsigned access, guest_read_fn rd, void *ctx, uint32_t *pf_error)
{
	size_t done = 0;

	*pf_error = GUEST_WALK_NO_PF;
	while (done < len) {
		gva_t at = va + done;
		size_t chunk = MIN(len - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
		gpa_t gpa;

		if (guest_walk(p, at, access, rd, ctx, &gpa, pf_error) != 0)
			break;
		if (!rd(ctx, gpa, (uint8_t *)buf + done, chunk))
			break;
		done += chunk;
	}
	return done;
}
