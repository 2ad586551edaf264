#include "avic/avic_table.h"

uint64_t avic_table_physical_entry(uint64_t backing_page)
{
	uint64_t e = avic_physical_entry_set_backing_page(0, backing_page);
	return avic_physical_entry_set_valid(e, 1);
}

uint32_t avic_table_logical_entry(uint8_t guest_physical_apic_id)
{
	uint32_t e = avic_logical_entry_set_guest_physical_apic_id(0, guest_physical_apic_id);
	return avic_logical_entry_set_valid(e, 1);
}

bool avic_table_physical_pointer(uint64_t table, unsigned max_index, uint64_t *out)
{
	/* The field keeps bits 51:12: an unaligned or too high address does not survive it. */
	uint64_t p = avic_physical_table_pointer_set_table(0, table);
	if (p != table)
		return false;
	p = avic_physical_table_pointer_set_max_index(p, max_index);
	if (avic_physical_table_pointer_get_max_index(p) != max_index)
		return false;
	*out = p;
	return true;
}

void avic_table_incomplete_ipi_decode(uint64_t exitinfo1, uint64_t exitinfo2,
                                      struct avic_incomplete_ipi *out)
{
	out->icr = exitinfo1;
	out->id = (uint32_t)avic_incomplete_ipi_info2_get_id(exitinfo2);
	out->index = (uint32_t)avic_incomplete_ipi_info2_get_index(exitinfo2);
}

void avic_table_noaccel_decode(uint64_t exitinfo1, uint64_t exitinfo2, struct avic_noaccel *out)
{
	out->offset = (uint32_t)avic_noaccel_info1_get_offset(exitinfo1);
	out->write = avic_noaccel_info1_get_write(exitinfo1);
	out->isr_vector = (uint8_t)avic_noaccel_info2_get_isr_vector(exitinfo2);
}
