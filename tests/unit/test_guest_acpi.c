// sources: svm/platform/guest_acpi.c kernel/acpi.c
/* The guest's ACPI tables must satisfy the same parser that reads the host's firmware tables;
 * also: the FADT names the DSDT, FACS and the fixed hardware of svm/platform/acpi_pm.h, and the
 * DSDT's \_S5 gives the SLP_TYP svm/platform/acpi_pm.c powers off on. */
#include "tests/unit/check.h"
#include "kernel/acpi.h"
#include "svm/platform/acpi_pm.h"
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
		CHECK_EQ(info.iso_count, 2);
		CHECK_EQ(info.iso[0].source, 0);
		CHECK_EQ(info.iso[0].gsi, 2);
		CHECK_EQ(info.iso[1].source, ACPI_SCI_IRQ);
		CHECK_EQ(info.iso[1].flags, 0x000d); /* level, active high */
		CHECK_EQ(info.invalid_count, 0);
		/* the FADT (revision 3, 244 bytes, its checksum checked by acpi_parse) */
		CHECK(info.fadt != 0);
		const uint8_t *f = map(info.fadt, 244);
		CHECK(f != NULL);
		uint32_t v32;
		uint16_t v16;
		memcpy(&v16, f + 46, 2);
		CHECK_EQ(v16, ACPI_SCI_IRQ);
		memcpy(&v32, f + 56, 4);
		CHECK_EQ(v32, ACPI_PM_BASE);
		memcpy(&v32, f + 64, 4);
		CHECK_EQ(v32, ACPI_PM_BASE + ACPI_PM1_CNT_OFFSET);
		memcpy(&v32, f + 76, 4);
		CHECK_EQ(v32, ACPI_PM_BASE + ACPI_PM_TMR_OFFSET);
		CHECK_EQ(f[88], 4);
		CHECK_EQ(f[89], 2);
		CHECK_EQ(f[91], 4);
		/* FACS: signature, 64 bytes */
		memcpy(&v32, f + 36, 4);
		const uint8_t *facs = map(v32, 64);
		CHECK(facs && !memcmp(facs, "FACS", 4) && facs[4] == 64);
		/* DSDT: valid checksum, and Name(_S5, Package(4){S5, S5, 0, 0}) */
		memcpy(&v32, f + 40, 4);
		const uint8_t *dsdt = map(v32, 36);
		CHECK(dsdt && !memcmp(dsdt, "DSDT", 4));
		uint32_t dlen;
		memcpy(&dlen, dsdt + 4, 4);
		uint8_t sum = 0;
		for (uint32_t i = 0; i < dlen; i++)
			sum = (uint8_t)(sum + dsdt[i]);
		CHECK_EQ(sum, 0);
		static const uint8_t s5[] = {0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a,
					     ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0, 0};
		CHECK(dlen == 36 + sizeof(s5) && !memcmp(dsdt + 36, s5, sizeof(s5)));
	}
	/* a corrupted table is caught by the same checks */
	low[MADT_OFFSET + 40] ^= 1;
	CHECK(acpi_parse(GUEST_ACPI_BASE, map, &info) != 0);
	return check_summary("guest_acpi");
}
