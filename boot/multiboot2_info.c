/* The Multiboot2 boot information (Multiboot2 specification §3.6) as struct boot_info: command
 * line, modules (the guests), memory map, framebuffer, ACPI RSDP. */
#include "boot/multiboot2_info.h"
#include "kernel/string.h"

enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
};

struct mb2_tag {
	uint32_t type; /* 0x00 */
	uint32_t size; /* 0x04 */
} PACKED;

struct mb2_tag_module {
	struct mb2_tag tag; /* 0x00 */
	uint32_t mod_start; /* 0x08 */
	uint32_t mod_end;   /* 0x0c */
	char string[];      /* 0x10 */
} PACKED;

struct mb2_mmap_entry {
	uint64_t base;     /* 0x00 */
	uint64_t length;   /* 0x08 */
	uint32_t type;     /* 0x10 */
	uint32_t reserved; /* 0x14 */
} PACKED;

struct mb2_tag_mmap {
	struct mb2_tag tag;     /* 0x00 */
	uint32_t entry_size;    /* 0x08 */
	uint32_t entry_version; /* 0x0c */
	uint8_t entries[];      /* 0x10 */
} PACKED;

struct mb2_tag_framebuffer {
	struct mb2_tag tag; /* 0x00 */
	uint64_t addr;      /* 0x08 */
	uint32_t pitch;     /* 0x10 */
	uint32_t width;     /* 0x14 */
	uint32_t height;    /* 0x18 */
	uint8_t bpp;        /* 0x1c */
	uint8_t type;       /* 0x1d: 1 = direct RGB */
} PACKED;

_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "Multiboot2 mmap entry");
_Static_assert(sizeof(struct mb2_tag_framebuffer) == 30, "Multiboot2 framebuffer tag");

#define MB2_RSDP_V1_LENGTH 20 /* ACPI 6.5 §5.2.5.3: the ACPI 1.0 RSDP */
#define MB2_RSDP_V2_LENGTH 36 /* ... and the whole ACPI 2.0+ one */

/* Length of the string at s, of which at most max bytes are inside the tag: a string without its
 * NUL ends at the tag's end (tests/fuzz/regressions/multiboot2/: strings read past the block). */
static size_t mb2_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

/* Copies the string of at most max bytes at src into dst (size bytes), NUL-terminated. */
static void mb2_copy_string(char *dst, size_t size, const char *src, size_t max)
{
	size_t n = MIN(mb2_strnlen(src, max), size - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* "name opt=a opt=b": the first word names the guest, the rest are its VM options. A module
 * whose end lies below its start is dropped: its size would wrap to nearly 4 GiB, all of which
 * the boot path would then reserve (found by tests/fuzz/fuzz_multiboot2.c). */
static void mb2_module(struct boot_info *info, const struct mb2_tag_module *t, uint32_t size)
{
	if (info->module_count == BOOT_MAX_MODULES || size < sizeof(*t) ||
	    t->mod_end < t->mod_start)
		return;
	struct boot_module *m = &info->module[info->module_count++];
	m->base = t->mod_start;
	m->size = t->mod_end - t->mod_start;
	const char *s = t->string;
	size_t len = mb2_strnlen(s, size - sizeof(*t)), n = 0;
	while (n < len && s[n] != ' ')
		n++;
	mb2_copy_string(m->name, sizeof(m->name), s, n);
	while (n < len && s[n] == ' ')
		n++;
	mb2_copy_string(m->args, sizeof(m->args), s + n, len - n);
}

/* Memory map entries: as many whole entries of entry_size bytes as the tag holds. The count is
 * computed by division: the old loop bound 16 + (e + 1) * entry_size wrapped for a huge
 * entry_size, and entries were read past the block when the tag's size did. */
static void mb2_mmap(struct boot_info *info, const struct mb2_tag_mmap *t, uint32_t size)
{
	if (size < sizeof(*t) || t->entry_size < sizeof(struct mb2_mmap_entry))
		return;
	uint32_t count = (size - (uint32_t)sizeof(*t)) / t->entry_size;
	for (uint32_t e = 0; e < count; e++) {
		const struct mb2_mmap_entry *me =
			(const void *)(t->entries + (uint64_t)e * t->entry_size);
		memmap_add(&info->memmap, me->base, me->length, memmap_type_from_e820(me->type));
	}
}

/* Every tag lies inside total_size, and each field read is inside its tag: a tag whose size runs
 * past the block ends the walk (the specification's end tag is missing or the size is corrupt). */
void mb2_info_parse(const uint8_t *mbi, struct boot_info *info)
{
	uint32_t total = *(const uint32_t *)mbi;
	for (uint64_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *tag = (const void *)(mbi + off);
		uint32_t size = tag->size;
		if (tag->type == MB2_TAG_END || size < sizeof(*tag) || size > total - off)
			break;
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			mb2_copy_string(info->cmdline, sizeof(info->cmdline), (const char *)(tag + 1),
			                size - sizeof(*tag));
			break;
		case MB2_TAG_MODULE:
			mb2_module(info, (const void *)tag, size);
			break;
		case MB2_TAG_MMAP:
			mb2_mmap(info, (const void *)tag, size);
			break;
		case MB2_TAG_FRAMEBUFFER: {
			const struct mb2_tag_framebuffer *t = (const void *)tag;
			if (size >= sizeof(*t) && t->type == 1) {
				info->fb.present = true;
				info->fb.base = t->addr;
				info->fb.pitch = t->pitch;
				info->fb.width = t->width;
				info->fb.height = t->height;
				info->fb.bpp = t->bpp;
			}
			break;
		}
		case MB2_TAG_ACPI_OLD:
			if (!info->rsdp && size >= sizeof(*tag) + MB2_RSDP_V1_LENGTH)
				info->rsdp = (uintptr_t)(tag + 1);
			break;
		case MB2_TAG_ACPI_NEW:
			/* the XSDT-capable copy wins */
			if (size >= sizeof(*tag) + MB2_RSDP_V2_LENGTH)
				info->rsdp = (uintptr_t)(tag + 1);
			break;
		}
		off += ALIGN_UP((uint64_t)size, 8);
	}
}
