#include "guests/lib/acpi_tables.h"
#include "kernel/string.h"

/* MADT interrupt controller structure types and their lengths (ACPI 6.5 §5.2.12, table 5.45) */
#define MADT_LOCAL_APIC       0
#define MADT_IO_APIC          1
#define MADT_ISO              2
#define MADT_LOCAL_X2APIC     9
#define MADT_LOCAL_APIC_LEN   8
#define MADT_IO_APIC_LEN      12
#define MADT_ISO_LEN          10
#define MADT_LOCAL_X2APIC_LEN 16
#define MADT_ENTRIES_OFFSET   44 /* header, Local Interrupt Controller Address, Flags */
#define MADT_LAPIC_ENABLED    0x1u
#define ISO_BUS_ISA           0

static const uint8_t *phys(uint64_t addr)
{
	return (const uint8_t *)(uintptr_t)addr;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

uint8_t acpi_tables_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	while (n--)
		sum += *b++;
	return sum;
}

const struct acpi_tables_rsdp *acpi_tables_find_rsdp(void)
{
	for (uint32_t a = ACPI_TABLES_BIOS_START; a < ACPI_TABLES_BIOS_END; a += 16) {
		const struct acpi_tables_rsdp *r = (const void *)phys(a);
		if (memcmp(r->signature, "RSD PTR ", 8) == 0 &&
		    acpi_tables_sum(r, ACPI_TABLES_RSDP_V1_LENGTH) == 0)
			return r;
	}
	return NULL;
}

const struct acpi_sdt_header *acpi_tables_root(const struct acpi_tables_rsdp *rsdp, bool *xsdt)
{
	*xsdt = rsdp->revision >= 2 && rsdp->xsdt != 0 && rsdp->xsdt >> 32 == 0;
	return (const void *)phys(*xsdt ? rsdp->xsdt : rsdp->rsdt);
}

const struct acpi_sdt_header *acpi_tables_find(const struct acpi_sdt_header *root, bool xsdt,
                                               const char *sig)
{
	size_t width = xsdt ? 8 : 4; /* XSDT entries are 64-bit addresses, RSDT entries 32-bit */
	const uint8_t *entry = (const uint8_t *)(root + 1);
	size_t n = (root->length - sizeof(*root)) / width;
	for (size_t i = 0; i < n; i++, entry += width) {
		uint64_t addr = get32(entry);
		if (xsdt && get32(entry + 4) != 0)
			continue; /* above 4 GiB: out of reach with paging off */
		const struct acpi_sdt_header *t = (const void *)phys(addr);
		if (memcmp(t->signature, sig, 4) == 0)
			return t;
	}
	return NULL;
}

void acpi_tables_madt(const struct acpi_sdt_header *madt, struct acpi_tables_madt *out)
{
	*out = (struct acpi_tables_madt){.entries_fit = true};
	for (unsigned irq = 0; irq < ACPI_TABLES_ISA_IRQS; irq++)
		out->isa_gsi[irq] = irq;
	const uint8_t *base = (const uint8_t *)madt;
	for (uint32_t off = MADT_ENTRIES_OFFSET; off < madt->length;) {
		const uint8_t *e = base + off;
		uint8_t type = e[0], len = e[1];
		static const uint8_t min_len[] = {[MADT_LOCAL_APIC] = MADT_LOCAL_APIC_LEN,
		                                  [MADT_IO_APIC] = MADT_IO_APIC_LEN,
		                                  [MADT_ISO] = MADT_ISO_LEN,
		                                  [MADT_LOCAL_X2APIC] = MADT_LOCAL_X2APIC_LEN};
		if (len < 2 || off + len > madt->length ||
		    (type < ARRAY_SIZE(min_len) && len < min_len[type])) {
			out->entries_fit = false;
			return;
		}
		switch (type) {
		case MADT_LOCAL_APIC:
			out->cpus += (get32(e + 4) & MADT_LAPIC_ENABLED) != 0;
			break;
		case MADT_LOCAL_X2APIC:
			out->cpus += (get32(e + 8) & MADT_LAPIC_ENABLED) != 0;
			break;
		case MADT_IO_APIC:
			if (out->ioapics++ == 0) {
				out->ioapic_address = get32(e + 4);
				out->ioapic_gsi_base = get32(e + 8);
			}
			break;
		case MADT_ISO:
			if (e[2] == ISO_BUS_ISA && e[3] < ACPI_TABLES_ISA_IRQS) {
				out->isa_gsi[e[3]] = get32(e + 4);
				out->isa_flags[e[3]] = (uint16_t)(e[8] | e[9] << 8);
			}
			break;
		}
		off += len;
	}
}
