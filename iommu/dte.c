/* Device table entry encoders (AMD IOMMU spec #48882 §2.2.2.1). */
#include "iommu/dte.h"

struct dte dte_blocked(void)
{
	struct dte d = {{0, 0, 0, 0}};
	d.q[0] = dte_q0_set_v(d.q[0], 1);
	d.q[0] = dte_q0_set_tv(d.q[0], 1);
	d.q[2] = dte_q2_set_iv(d.q[2], 1);
	d.q[2] = dte_q2_set_int_ctl(d.q[2], DTE_INT_CTL_ABORT);
	return d;
}

struct dte dte_with_untranslated_dma(struct dte d, bool read, bool write)
{
	d.q[0] = dte_q0_set_v(d.q[0], 1);
	d.q[0] = dte_q0_set_tv(d.q[0], 1);
	d.q[0] = dte_q0_set_mode(d.q[0], 0);
	d.q[0] = dte_q0_set_page_table_root(d.q[0], 0);
	d.q[0] = dte_q0_set_ir(d.q[0], read);
	d.q[0] = dte_q0_set_iw(d.q[0], write);
	return d;
}

struct dte dte_with_page_table(struct dte d, uint64_t root, unsigned mode, bool read, bool write)
{
	d = dte_with_untranslated_dma(d, read, write);
	d.q[0] = dte_q0_set_mode(d.q[0], mode);
	d.q[0] = dte_q0_set_page_table_root(d.q[0], root);
	return d;
}

struct dte dte_with_domain(struct dte d, uint16_t domain_id)
{
	d.q[1] = dte_q1_set_domain_id(d.q[1], domain_id);
	return d;
}

struct dte dte_with_interrupt_table(struct dte d, uint64_t root, unsigned len_log2)
{
	d.q[2] = dte_q2_set_iv(d.q[2], 1);
	d.q[2] = dte_q2_set_int_tab_len(d.q[2], len_log2);
	d.q[2] = dte_q2_set_int_table_root(d.q[2], root);
	d.q[2] = dte_q2_set_int_ctl(d.q[2], DTE_INT_CTL_REMAPPED);
	return d;
}

/* V=0 would let DMA through untranslated, and so would TV=0 (§2.2.2.1: "no translation");
 * Mode 0 leaves the decision to IR and IW. */
bool dte_dma_blocked(struct dte d)
{
	return dte_q0_get_v(d.q[0]) && dte_q0_get_tv(d.q[0]) && dte_q0_get_mode(d.q[0]) == 0 &&
	       !dte_q0_get_ir(d.q[0]) && !dte_q0_get_iw(d.q[0]);
}

/* IV=0 passes interrupts unmapped; with IV=1 each class is aborted unless its control says
 * otherwise. */
bool dte_interrupts_blocked(struct dte d)
{
	uint64_t q2 = d.q[2];
	return dte_q0_get_v(d.q[0]) && dte_q2_get_iv(q2) &&
	       dte_q2_get_int_ctl(q2) == DTE_INT_CTL_ABORT && !dte_q2_get_init_pass(q2) &&
	       !dte_q2_get_eint_pass(q2) && !dte_q2_get_nmi_pass(q2) &&
	       !dte_q2_get_lint0_pass(q2) && !dte_q2_get_lint1_pass(q2);
}
