/* Building and normalizing the physical memory map. */
#include "kernel/memmap.h"

/* E820 / ACPI Address Range Types (ACPI 6.5 §15, Table 15.4). */
#define E820_ADDRESS_RANGE_MEMORY     1
#define E820_ADDRESS_RANGE_RESERVED   2
#define E820_ADDRESS_RANGE_ACPI       3
#define E820_ADDRESS_RANGE_NVS        4
#define E820_ADDRESS_RANGE_UNUSABLE   5
#define E820_ADDRESS_RANGE_DISABLED   6
#define E820_ADDRESS_RANGE_PERSISTENT 7

/* EFI_MEMORY_TYPE (UEFI 2.10 §7.2). */
#define EFI_RESERVED_MEMORY_TYPE        0
#define EFI_LOADER_CODE                 1
#define EFI_LOADER_DATA                 2
#define EFI_BOOT_SERVICES_CODE          3
#define EFI_BOOT_SERVICES_DATA          4
#define EFI_RUNTIME_SERVICES_CODE       5
#define EFI_RUNTIME_SERVICES_DATA       6
#define EFI_CONVENTIONAL_MEMORY         7
#define EFI_UNUSABLE_MEMORY             8
#define EFI_ACPI_RECLAIM_MEMORY         9
#define EFI_ACPI_MEMORY_NVS             10
#define EFI_MEMORY_MAPPED_IO            11
#define EFI_MEMORY_MAPPED_IO_PORT_SPACE 12
#define EFI_PAL_CODE                    13
#define EFI_PERSISTENT_MEMORY           14
#define EFI_UNACCEPTED_MEMORY_TYPE      15

int memmap_add(struct memmap *m, uint64_t base, uint64_t length, uint32_t type)
{
	if (length == 0)
		return 0;
	if (m->count >= MEMMAP_MAX) {
		memmap_normalize(m);
		if (m->count >= MEMMAP_MAX) {
			m->dropped++;
			return -1;
		}
	}
	if (length > UINT64_MAX - base)
		length = UINT64_MAX - base;
	m->entry[m->count++] = (struct memmap_entry){base, length, type};
	return 0;
}

/* How restrictive a type is when two ranges overlap. Usable memory loses to everything; boot data
 * is only usable later; ACPI reclaimable must survive until the tables are parsed; MMIO and
 * reserved ranges are never RAM to us; NVS must be preserved across sleep states for the firmware
 * (ACPI 6.5 §15.1); bad memory must never be touched at all. */
static unsigned memmap_rank(uint32_t type)
{
	switch (type) {
	case MEMMAP_USABLE:
		return 0;
	case MEMMAP_BOOT:
		return 1;
	case MEMMAP_ACPI_RECLAIMABLE:
		return 2;
	case MEMMAP_MMIO:
		return 3;
	case MEMMAP_RESERVED:
		return 4;
	case MEMMAP_ACPI_NVS:
		return 5;
	case MEMMAP_BAD:
		return 6;
	default:
		return 4;
	}
}

static bool memmap_type_known(uint32_t type)
{
	return type >= MEMMAP_USABLE && type <= MEMMAP_BOOT;
}

static uint64_t memmap_end(const struct memmap_entry *e)
{
	return e->base + e->length;
}

/* Drops empty entries, clips ones that wrap and replaces unknown types, so that the sweep below
 * can rely on base < end without overflow. Entries may have been written directly. */
static void memmap_sanitize(struct memmap *m)
{
	unsigned out = 0;

	if (m->count > MEMMAP_MAX)
		m->count = MEMMAP_MAX;
	for (unsigned i = 0; i < m->count; i++) {
		struct memmap_entry e = m->entry[i];
		if (e.length == 0)
			continue;
		if (e.length > UINT64_MAX - e.base)
			e.length = UINT64_MAX - e.base;
		if (e.length == 0)
			continue;
		if (!memmap_type_known(e.type))
			e.type = MEMMAP_RESERVED;
		m->entry[out++] = e;
	}
	m->count = out;
}

/* The smallest range boundary (base or end) strictly above 'after'; false if there is none. */
static bool memmap_next_boundary(const struct memmap *m, uint64_t after, uint64_t *next)
{
	bool found = false;

	for (unsigned i = 0; i < m->count; i++) {
		uint64_t points[2] = {m->entry[i].base, memmap_end(&m->entry[i])};
		for (unsigned j = 0; j < 2; j++) {
			if (points[j] > after && (!found || points[j] < *next)) {
				*next = points[j];
				found = true;
			}
		}
	}
	return found;
}

/* The most restrictive type among the entries covering address 'addr'; 0 if none covers it. */
static uint32_t memmap_type_at(const struct memmap *m, uint64_t addr)
{
	uint32_t type = 0;

	for (unsigned i = 0; i < m->count; i++) {
		const struct memmap_entry *e = &m->entry[i];
		if (addr < e->base || addr >= memmap_end(e))
			continue;
		if (type == 0 || memmap_rank(e->type) > memmap_rank(type))
			type = e->type;
	}
	return type;
}

/* Appends [base, end) to 'out', extending the previous entry when it is adjacent and of the same
 * type. Returns false when 'out' is full. */
static bool memmap_emit(struct memmap *out, uint64_t base, uint64_t end, uint32_t type)
{
	if (out->count > 0) {
		struct memmap_entry *last = &out->entry[out->count - 1];
		if (last->type == type && memmap_end(last) == base) {
			last->length += end - base;
			return true;
		}
	}
	if (out->count >= MEMMAP_MAX)
		return false;
	out->entry[out->count++] = (struct memmap_entry){base, end - base, type};
	return true;
}

static struct memmap memmap_scratch;

/* A sweep over every range boundary: between two consecutive boundaries the set of covering
 * entries is constant, so one type decides the whole interval. At most 2 * MEMMAP_MAX intervals,
 * each resolved in O(count): fine for a boot-time map, and it needs no sort or splitting. */
void memmap_normalize(struct memmap *m)
{
	uint64_t cur, next = 0;

	memmap_sanitize(m);
	memmap_scratch.count = 0;
	if (m->count == 0)
		return;

	cur = m->entry[0].base;
	for (unsigned i = 1; i < m->count; i++)
		cur = MIN(cur, m->entry[i].base);

	while (memmap_next_boundary(m, cur, &next)) {
		uint32_t type = memmap_type_at(m, cur);
		if (type != 0 && !memmap_emit(&memmap_scratch, cur, next, type)) {
			m->dropped++;
			break;
		}
		cur = next;
	}

	for (unsigned i = 0; i < memmap_scratch.count; i++)
		m->entry[i] = memmap_scratch.entry[i];
	m->count = memmap_scratch.count;
}

uint32_t memmap_type_from_e820(uint32_t e820_type)
{
	switch (e820_type) {
	case E820_ADDRESS_RANGE_MEMORY:
		return MEMMAP_USABLE;
	case E820_ADDRESS_RANGE_ACPI:
		return MEMMAP_ACPI_RECLAIMABLE;
	case E820_ADDRESS_RANGE_NVS:
		return MEMMAP_ACPI_NVS;
	case E820_ADDRESS_RANGE_UNUSABLE:
		return MEMMAP_BAD;
	case E820_ADDRESS_RANGE_RESERVED:
	case E820_ADDRESS_RANGE_DISABLED:
	case E820_ADDRESS_RANGE_PERSISTENT: /* not ordinary RAM: we do not manage persistent memory
	                                     */
	default:                            /* ACPI: "treat as AddressRangeReserved" */
		return MEMMAP_RESERVED;
	}
}

uint32_t memmap_type_from_efi(uint32_t efi_type)
{
	switch (efi_type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL_MEMORY:
		return MEMMAP_USABLE;
	case EFI_UNUSABLE_MEMORY:
		return MEMMAP_BAD;
	case EFI_ACPI_RECLAIM_MEMORY:
		return MEMMAP_ACPI_RECLAIMABLE;
	case EFI_ACPI_MEMORY_NVS:
		return MEMMAP_ACPI_NVS;
	case EFI_MEMORY_MAPPED_IO:
	case EFI_MEMORY_MAPPED_IO_PORT_SPACE:
		return MEMMAP_MMIO;
	case EFI_RESERVED_MEMORY_TYPE:
	case EFI_RUNTIME_SERVICES_CODE: /* runtime services stay callable after ExitBootServices()
	                                 */
	case EFI_RUNTIME_SERVICES_DATA:
	case EFI_PAL_CODE:
	case EFI_PERSISTENT_MEMORY:
	case EFI_UNACCEPTED_MEMORY_TYPE: /* must be accepted (SEV-SNP/TDX) before use */
	default:
		return MEMMAP_RESERVED;
	}
}

uint64_t memmap_total(const struct memmap *m, uint32_t type)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < m->count && i < MEMMAP_MAX; i++)
		if (m->entry[i].type == type)
			total += m->entry[i].length;
	return total;
}

const char *memmap_type_name(uint32_t type)
{
	switch (type) {
	case MEMMAP_USABLE:
		return "usable";
	case MEMMAP_RESERVED:
		return "reserved";
	case MEMMAP_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case MEMMAP_ACPI_NVS:
		return "ACPI NVS";
	case MEMMAP_BAD:
		return "bad";
	case MEMMAP_MMIO:
		return "MMIO";
	case MEMMAP_BOOT:
		return "boot";
	default:
		return "unknown";
	}
}
