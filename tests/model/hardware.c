/* The AVIC hardware's steps for an ICR write to another vCPU (APM vol. 2 15.29.6.1): for each
 * destination, atomically set the IRR bit in its backing page, then read IsRunning in its
 * physical APIC ID table entry: set -> doorbell to the entry's host APIC ID; clear -> after all
 * destinations, #VMEXIT AVIC_INCOMPLETE_IPI with ID 1 (the IRR bits stay set).
 *
 * Erratum #1235 as the Linux commits describe it: the CPU does not reliably see that software
 * has just cleared IsRunning. Modelled as: every IsRunning read may return the entry as it was
 * before its most recent clear, however long ago that clear was (a stale read, which is the most
 * the erratum text allows; nothing bounds the window). */
#include "avic/avic_table.h"
#include "avic/vlapic/vapic.h"
#include "tests/model/model.h"

void hardware_set_irr(struct model_vcpu *target, uint8_t vector)
{
	/* Fixed, edge-triggered: the only kind AVIC accelerates (APM Table 15-22). */
	vapic_set_irr(target->page, vector, false);
}

bool hardware_is_running(const struct model_vcpu *target, bool pre_clear, uint32_t *host_apic_id)
{
	uint64_t e = pre_clear ? target->entry_before_clear : target->entry;
	*host_apic_id = (uint32_t)avic_physical_entry_get_host_apic_id(e);
	return avic_physical_entry_get_is_running(e);
}

bool hardware_stale_read_possible(const struct model_vcpu *target, bool erratum)
{
	return erratum && target->entry_cleared && target->entry_before_clear != target->entry &&
	       avic_physical_entry_get_is_running(target->entry_before_clear);
}

void hardware_entry_written(struct model_vcpu *target, uint64_t before)
{
	if (avic_physical_entry_get_is_running(before) &&
	    !avic_physical_entry_get_is_running(target->entry)) {
		target->entry_before_clear = before;
		target->entry_cleared = true;
	}
}
