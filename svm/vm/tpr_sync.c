#include "svm/vm/tpr_sync.h"
#include "avic/vlapic/vapic.h"
#include "svm/vmcb.h"
#include "svm/vm/vm.h"

#define CR8_WRITE_INTERCEPT BIT(8)

void tpr_sync_entry(struct vcpu *v)
{
	struct vmcb_control *c = &v->vmcb->control;
	uint8_t cr8 = vapic_cr8(v->vapic.page);
	c->int_ctl = int_ctl_set_v_tpr(c->int_ctl, cr8);
	v->v_tpr_entry = cr8;
	/* AVIC evaluates the backing page's IRR against the TPR a CR8 write updates, in guest mode
	 * (APM 15.29.3.1). Without it only an exit delivers what a lower CR8 releases, and only an
	 * exit clears a TPR sub-class a CR8 write of the same class leaves in V_TPR unchanged. */
	bool subclass = apic_reg_read(v->vapic.page, APIC_TPR) & ~APIC_PRIORITY_CLASS;
	if (!int_ctl_get_avic_enable(c->int_ctl) &&
	    (subclass || vapic_blocked_by_priority(v->vapic.page)))
		c->intercept_cr_write |= CR8_WRITE_INTERCEPT;
	else
		c->intercept_cr_write &= (uint16_t)~CR8_WRITE_INTERCEPT;
}

bool tpr_cr8_write(struct vcpu *v, uint64_t value)
{
	if (value & ~0xfull)
		return false; /* bits 63:4 are reserved (APM vol. 2, 3.1.5; SDM vol. 2, MOV CR) */
	vapic_set_cr8(v->vapic.page, (uint8_t)value);
	v->vmcb->control.int_ctl = int_ctl_set_v_tpr(v->vmcb->control.int_ctl, value);
	return true;
}

void tpr_sync_exit(struct vcpu *v)
{
	uint8_t cr8 = (uint8_t)int_ctl_get_v_tpr(v->vmcb->control.int_ctl) & 0xf;
	/* unchanged: the TPR keeps its sub-class; under AVIC the CPU has updated the page already */
	if (cr8 == v->v_tpr_entry || cr8 == vapic_cr8(v->vapic.page))
		return;
	vapic_set_cr8(v->vapic.page, cr8);
	v->v_tpr_entry = cr8;
}
