#include "svm/platform/guest_memmap.h"

unsigned guest_memmap(uint64_t mem_size, bool devices, struct guest_memmap_entry *out)
{
	unsigned n = 0;
	out[n++] = (struct guest_memmap_entry){0, GUEST_EBDA_GPA, GUEST_MEMMAP_RAM};
	out[n++] = (struct guest_memmap_entry){GUEST_EBDA_GPA,
					       GUEST_HIGH_MEMORY_GPA - GUEST_EBDA_GPA,
					       GUEST_MEMMAP_RESERVED};
	out[n++] = (struct guest_memmap_entry){GUEST_HIGH_MEMORY_GPA,
					       mem_size - GUEST_HIGH_MEMORY_GPA, GUEST_MEMMAP_RAM};
	if (devices) {
		out[n++] = (struct guest_memmap_entry){GUEST_IOAPIC_GPA, PAGE_SIZE,
						       GUEST_MEMMAP_RESERVED};
		out[n++] = (struct guest_memmap_entry){GUEST_LAPIC_GPA, PAGE_SIZE,
						       GUEST_MEMMAP_RESERVED};
	}
	return n;
}
