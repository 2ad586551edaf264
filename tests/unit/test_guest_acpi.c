// sources: svm/platform/guest_acpi.c kernel/acpi.c
/* The guest's ACPI tables must satisfy the same parser that reads the host's firmware tables. */
#include "tests/unit/check.h"
#include "kernel/acpi.h"
#include "svm/platform/guest_acpi.h"
#include <string.h>

#define MADT_OFFSET 0x100 /* svm/platform/guest_acpi.c */

static uint8_t low[GUEST_ACPI_END - GUEST_ACPI_BASE];

static const void *map(uint64_t pa, uint64_t len)
{
	if (pa < GUEST_ACPI_BASE || pa + len > GUEST_ACPI_END)
		return NULL;
	return low + (pa - GUEST_ACPI_BASE);
}

int main(void)
{
	static struct acpi_info info;
	for (unsigned vcpus = 1; vcpus <= 16; vcpus *= 4) {
		guest_acpi_write(low, vcpus);
		CHECK_EQ(acpi_parse(GUEST_ACPI_BASE, map, &info), 0);
		CHECK_EQ(info.revision, 2);
		CHECK(info.xsdt != 0);
		CHECK_EQ(info.cpu_count, vcpus);
		CHECK_EQ(info.cpu_enabled_count, vcpus);
		for (unsigned i = 0; i < vcpus; i++)
			CHECK_EQ(info.cpu[i].apic_id, i);
		CHECK_EQ(info.lapic_base, 0xfee00000u);
		CHECK_EQ(info.ioapic_count, 1);
		CHECK_EQ(info.ioapic[0].base, 0xfec00000u);
		CHECK_EQ(info.ioapic[0].gsi_base, 0);
		CHECK_EQ(info.iso_count, 1);
		CHECK_EQ(info.invalid_count, 0);
	}
	/* a corrupted table is caught by the same checks */
	low[MADT_OFFSET + 40] ^= 1;
	CHECK(acpi_parse(GUEST_ACPI_BASE, map, &info) != 0);
	return check_summary("guest_acpi");
}
