// sources: kernel/memmap.c
/* Memory map building and normalization: sorting, merging, overlap resolution, type conversion. */
#include "kernel/memmap.h"
#include "tests/unit/check.h"

#include <string.h>

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static struct memmap map;

static void check_entry(unsigned i, uint64_t base, uint64_t length, uint32_t type)
{
	CHECK(i < map.count);
	CHECK_EQ(map.entry[i].base, base);
	CHECK_EQ(map.entry[i].length, length);
	CHECK_EQ(map.entry[i].type, type);
}

static void test_add(void)
{
	map.count = 0;
	CHECK_EQ(memmap_add(&map, 0x1000, 0, MEMMAP_USABLE), 0);
	CHECK_EQ(map.count, 0);
	for (unsigned i = 0; i < MEMMAP_MAX; i++)
		CHECK_EQ(memmap_add(&map, i * 0x2000ull, 0x1000, MEMMAP_USABLE), 0);
	CHECK_EQ(map.count, MEMMAP_MAX);
	CHECK_EQ(memmap_add(&map, 0x10000000, 0x1000, MEMMAP_USABLE), -1);
	CHECK_EQ(map.count, MEMMAP_MAX);

	/* A range running past 2^64 is clipped instead of wrapping around to low addresses. */
	map.count = 0;
	CHECK_EQ(memmap_add(&map, UINT64_MAX - 0xfff, 0x2000, MEMMAP_RESERVED), 0);
	CHECK_EQ(map.entry[0].length, 0xfff);
}

/* QEMU's pc machine with 128 MiB under SeaBIOS, entries given out of order. */
static void test_sort_and_merge(void)
{
	map.count = 0;
	memmap_add(&map, 0xfffc0000, 0x40000, MEMMAP_RESERVED);
	memmap_add(&map, 0x100000, 0x7ee0000, MEMMAP_USABLE);
	memmap_add(&map, 0, 0x9fc00, MEMMAP_USABLE);
	memmap_add(&map, 0x9fc00, 0x400, MEMMAP_RESERVED);
	memmap_add(&map, 0xf0000, 0x10000, MEMMAP_RESERVED);
	memmap_add(&map, 0x7fe0000, 0x20000, MEMMAP_RESERVED);
	memmap_normalize(&map);
	CHECK_EQ(map.count, 6);
	check_entry(0, 0, 0x9fc00, MEMMAP_USABLE);
	check_entry(1, 0x9fc00, 0x400, MEMMAP_RESERVED);
	check_entry(2, 0xf0000, 0x10000, MEMMAP_RESERVED);
	check_entry(3, 0x100000, 0x7ee0000, MEMMAP_USABLE);
	check_entry(4, 0x7fe0000, 0x20000, MEMMAP_RESERVED);
	check_entry(5, 0xfffc0000, 0x40000, MEMMAP_RESERVED);
	CHECK_EQ(memmap_total(&map, MEMMAP_USABLE), 0x9fc00 + 0x7ee0000);
	CHECK_EQ(memmap_total(&map, MEMMAP_RESERVED), 0x400 + 0x10000 + 0x20000 + 0x40000);
	CHECK_EQ(memmap_total(&map, MEMMAP_ACPI_NVS), 0);

	/* Adjacent same-type ranges merge (UEFI maps are fragmented like this); a gap or a
	 * different type keeps them apart. */
	map.count = 0;
	memmap_add(&map, 2 * MiB, MiB, MEMMAP_USABLE);
	memmap_add(&map, MiB, MiB, MEMMAP_USABLE);
	memmap_add(&map, 3 * MiB, MiB, MEMMAP_USABLE);
	memmap_add(&map, 4 * MiB, MiB, MEMMAP_ACPI_RECLAIMABLE);
	memmap_add(&map, 6 * MiB, MiB, MEMMAP_ACPI_RECLAIMABLE);
	memmap_normalize(&map);
	CHECK_EQ(map.count, 3);
	check_entry(0, MiB, 3 * MiB, MEMMAP_USABLE);
	check_entry(1, 4 * MiB, MiB, MEMMAP_ACPI_RECLAIMABLE);
	check_entry(2, 6 * MiB, MiB, MEMMAP_ACPI_RECLAIMABLE);

	/* Duplicates collapse; an empty map stays empty. */
	map.count = 0;
	memmap_add(&map, MiB, MiB, MEMMAP_USABLE);
	memmap_add(&map, MiB, MiB, MEMMAP_USABLE);
	memmap_normalize(&map);
	CHECK_EQ(map.count, 1);
	check_entry(0, MiB, MiB, MEMMAP_USABLE);
	map.count = 0;
	memmap_normalize(&map);
	CHECK_EQ(map.count, 0);
}

static void test_overlaps(void)
{
	/* A reserved hole inside usable RAM splits it in three. */
	map.count = 0;
	memmap_add(&map, 0, 16 * MiB, MEMMAP_USABLE);
	memmap_add(&map, 4 * MiB, 2 * MiB, MEMMAP_RESERVED);
	memmap_normalize(&map);
	CHECK_EQ(map.count, 3);
	check_entry(0, 0, 4 * MiB, MEMMAP_USABLE);
	check_entry(1, 4 * MiB, 2 * MiB, MEMMAP_RESERVED);
	check_entry(2, 6 * MiB, 10 * MiB, MEMMAP_USABLE);

	/* Partial overlaps on both sides; every non-usable type beats usable. */
	static const uint32_t restrictive[] = {MEMMAP_RESERVED, MEMMAP_ACPI_RECLAIMABLE,
	                                       MEMMAP_ACPI_NVS, MEMMAP_BAD,
	                                       MEMMAP_MMIO,     MEMMAP_BOOT};
	for (unsigned i = 0; i < ARRAY_SIZE(restrictive); i++) {
		map.count = 0;
		memmap_add(&map, 0, 2 * MiB, MEMMAP_USABLE);
		memmap_add(&map, MiB, 2 * MiB, restrictive[i]);
		memmap_add(&map, 2 * MiB + 0x1000, 2 * MiB, MEMMAP_USABLE);
		memmap_normalize(&map);
		CHECK_EQ(map.count, 3);
		check_entry(0, 0, MiB, MEMMAP_USABLE);
		check_entry(1, MiB, 2 * MiB, restrictive[i]);
		check_entry(2, 3 * MiB, 2 * MiB - (MiB - 0x1000), MEMMAP_USABLE);
	}

	/* Among non-usable types: NVS beats reserved, bad beats everything, reserved beats
	 * reclaimable (the tables in a reclaimable range are not ours to free if the firmware
	 * also reports it reserved). */
	map.count = 0;
	memmap_add(&map, 0, MiB, MEMMAP_RESERVED);
	memmap_add(&map, 0, MiB, MEMMAP_ACPI_NVS);
	memmap_add(&map, 2 * MiB, MiB, MEMMAP_ACPI_NVS);
	memmap_add(&map, 2 * MiB, MiB, MEMMAP_BAD);
	memmap_add(&map, 4 * MiB, MiB, MEMMAP_ACPI_RECLAIMABLE);
	memmap_add(&map, 4 * MiB, MiB, MEMMAP_RESERVED);
	memmap_normalize(&map);
	CHECK_EQ(map.count, 3);
	check_entry(0, 0, MiB, MEMMAP_ACPI_NVS);
	check_entry(1, 2 * MiB, MiB, MEMMAP_BAD);
	check_entry(2, 4 * MiB, MiB, MEMMAP_RESERVED);

	/* One range containing another of the same type, and an unknown type (treated as
	 * reserved, the ACPI rule for undefined Address Range Types). */
	map.count = 0;
	memmap_add(&map, 0, 8 * MiB, MEMMAP_USABLE);
	memmap_add(&map, MiB, MiB, MEMMAP_USABLE);
	memmap_add(&map, 7 * MiB, 2 * MiB, 99);
	memmap_normalize(&map);
	CHECK_EQ(map.count, 2);
	check_entry(0, 0, 7 * MiB, MEMMAP_USABLE);
	check_entry(1, 7 * MiB, 2 * MiB, MEMMAP_RESERVED);

	/* Entries written directly (not via memmap_add) that are empty or wrap are sanitized. */
	map.count = 3;
	map.entry[0] = (struct memmap_entry){MiB, 0, MEMMAP_RESERVED};
	map.entry[1] = (struct memmap_entry){UINT64_MAX - 0xfff, 0x3000, MEMMAP_MMIO};
	map.entry[2] = (struct memmap_entry){4 * GiB, GiB, MEMMAP_USABLE};
	memmap_normalize(&map);
	CHECK_EQ(map.count, 2);
	check_entry(0, 4 * GiB, GiB, MEMMAP_USABLE);
	check_entry(1, UINT64_MAX - 0xfff, 0xfff, MEMMAP_MMIO);
}

/* 256 usable ranges each with a reserved hole would need more than MEMMAP_MAX entries. The
 * result must be truncated at the top, never let a usable entry cover a reserved address. */
static void test_overflow(void)
{
	map.count = 0;
	for (unsigned i = 0; i < MEMMAP_MAX / 2; i++) {
		memmap_add(&map, i * 16 * MiB, 8 * MiB, MEMMAP_USABLE);
		memmap_add(&map, i * 16 * MiB + 2 * MiB, MiB, MEMMAP_RESERVED);
	}
	memmap_normalize(&map);
	CHECK_EQ(map.count, MEMMAP_MAX);
	bool ordered = true, holes_kept = true;
	for (unsigned i = 1; i < map.count; i++)
		if (map.entry[i].base < map.entry[i - 1].base + map.entry[i - 1].length)
			ordered = false;
	for (unsigned i = 0; i < map.count; i++) {
		const struct memmap_entry *e = &map.entry[i];
		uint64_t hole = (e->base / (16 * MiB)) * 16 * MiB + 2 * MiB;
		if (e->type == MEMMAP_USABLE && e->base <= hole && hole < e->base + e->length)
			holes_kept = false;
	}
	CHECK(ordered);
	CHECK(holes_kept);
	/* Each 16 MiB group yields 3 entries: 85 whole groups and the first entry of the 86th. */
	check_entry(0, 0, 2 * MiB, MEMMAP_USABLE);
	check_entry(MEMMAP_MAX - 1, 85 * 16 * MiB, 2 * MiB, MEMMAP_USABLE);
	CHECK(map.dropped > 0); /* and the boot says so */
}

/* A server's EFI memory map: 1000 descriptors (boot-services code and data, loader data and
 * conventional memory interleaved, every 40th ACPI NVS or reserved), more than MEMMAP_MAX raw
 * entries but few once merged. Every usable byte must survive, nothing be dropped. */
static void test_efi_1000(void)
{
	static const uint32_t usable_types[] = {3, 4, 2, 7}; /* BS code, BS data, loader, free */
	memset(&map, 0, sizeof(map));
	uint64_t base = 0x100000, usable = 0, nvs = 0;
	for (unsigned i = 0; i < 1000; i++) {
		uint64_t len = (1 + i % 7) * 0x1000ull * (1 + i % 3);
		uint32_t efi = usable_types[i % 4];
		if (i % 40 == 39)
			efi = i % 80 == 79 ? 10 : 0; /* ACPI NVS, reserved */
		uint32_t t = memmap_type_from_efi(efi);
		CHECK_EQ(memmap_add(&map, base, len, t), 0);
		if (t == MEMMAP_USABLE)
			usable += len;
		if (t == MEMMAP_ACPI_NVS)
			nvs += len;
		base += len;
	}
	memmap_normalize(&map);
	CHECK_EQ(map.dropped, 0);
	CHECK_EQ(memmap_total(&map, MEMMAP_USABLE), usable);
	CHECK_EQ(memmap_total(&map, MEMMAP_ACPI_NVS), nvs);
	CHECK(map.count <= 2 * 25 + 1);
	CHECK_EQ(map.entry[map.count - 1].base + map.entry[map.count - 1].length, base);
}

static void test_conversions(void)
{
	CHECK_EQ(memmap_type_from_e820(1), MEMMAP_USABLE);
	CHECK_EQ(memmap_type_from_e820(2), MEMMAP_RESERVED);
	CHECK_EQ(memmap_type_from_e820(3), MEMMAP_ACPI_RECLAIMABLE);
	CHECK_EQ(memmap_type_from_e820(4), MEMMAP_ACPI_NVS);
	CHECK_EQ(memmap_type_from_e820(5), MEMMAP_BAD);
	CHECK_EQ(memmap_type_from_e820(6), MEMMAP_RESERVED);
	CHECK_EQ(memmap_type_from_e820(7), MEMMAP_RESERVED);
	CHECK_EQ(memmap_type_from_e820(0), MEMMAP_RESERVED);
	CHECK_EQ(memmap_type_from_e820(12), MEMMAP_RESERVED);

	static const uint32_t efi[] = {
	    MEMMAP_RESERVED,         /* 0 EfiReservedMemoryType */
	    MEMMAP_USABLE,           /* 1 EfiLoaderCode */
	    MEMMAP_USABLE,           /* 2 EfiLoaderData */
	    MEMMAP_USABLE,           /* 3 EfiBootServicesCode */
	    MEMMAP_USABLE,           /* 4 EfiBootServicesData */
	    MEMMAP_RESERVED,         /* 5 EfiRuntimeServicesCode */
	    MEMMAP_RESERVED,         /* 6 EfiRuntimeServicesData */
	    MEMMAP_USABLE,           /* 7 EfiConventionalMemory */
	    MEMMAP_BAD,              /* 8 EfiUnusableMemory */
	    MEMMAP_ACPI_RECLAIMABLE, /* 9 EfiACPIReclaimMemory */
	    MEMMAP_ACPI_NVS,         /* 10 EfiACPIMemoryNVS */
	    MEMMAP_MMIO,             /* 11 EfiMemoryMappedIO */
	    MEMMAP_MMIO,             /* 12 EfiMemoryMappedIOPortSpace */
	    MEMMAP_RESERVED,         /* 13 EfiPalCode */
	    MEMMAP_RESERVED,         /* 14 EfiPersistentMemory */
	    MEMMAP_RESERVED,         /* 15 EfiUnacceptedMemoryType */
	    MEMMAP_RESERVED,         /* 16 EfiMaxMemoryType */
	};
	for (uint32_t t = 0; t < ARRAY_SIZE(efi); t++)
		CHECK_EQ(memmap_type_from_efi(t), efi[t]);
	CHECK_EQ(memmap_type_from_efi(0x80000000u), MEMMAP_RESERVED); /* OEM range */

	const char *names[] = {"unknown",  "usable", "reserved", "ACPI reclaimable",
	                       "ACPI NVS", "bad",    "MMIO",     "boot"};
	for (uint32_t t = 0; t < ARRAY_SIZE(names); t++)
		CHECK(strcmp(memmap_type_name(t), names[t]) == 0);
	CHECK(strcmp(memmap_type_name(1234), "unknown") == 0);
}

int main(void)
{
	test_add();
	test_sort_and_merge();
	test_overlaps();
	test_overflow();
	test_efi_1000();
	test_conversions();
	return check_summary("memmap");
}
