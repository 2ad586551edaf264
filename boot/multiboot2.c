/* Multiboot2 boot path: turns the boot information GRUB hands over (Multiboot2 specification §3.6)
 * into struct boot_info. Runs on the boot stack of multiboot2_entry.S, identity mapped. */
#include "boot/boot_info.h"
#include "kernel/string.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289u

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

extern char ImageBase[], _end[];
static struct boot_info mb2_info;

/* "name opt=a opt=b": the first word names the guest, the rest are its VM options. */
static void mb2_module(struct boot_info *info, const struct mb2_tag_module *t)
{
	if (info->module_count == BOOT_MAX_MODULES)
		return;
	struct boot_module *m = &info->module[info->module_count++];
	m->base = t->mod_start;
	m->size = t->mod_end - t->mod_start;
	const char *s = t->string;
	size_t n = 0;
	while (s[n] && s[n] != ' ')
		n++;
	if (n >= sizeof(m->name))
		n = sizeof(m->name) - 1;
	memcpy(m->name, s, n);
	m->name[n] = 0;
	while (s[n] == ' ')
		n++;
	strlcpy(m->args, s + n, sizeof(m->args));
}

NORETURN void multiboot2_main(uint32_t magic, uint64_t mbi);

NORETURN void multiboot2_main(uint32_t magic, uint64_t mbi)
{
	struct boot_info *info = &mb2_info;
	info->loader = "multiboot2";
	info->image_base = (uintptr_t)ImageBase;
	info->image_end = (uintptr_t)_end;
	if (magic != MB2_BOOTLOADER_MAGIC)
		kernel_main(info); /* kernel_main reports the empty memory map */

	uint32_t total = *(const uint32_t *)(uintptr_t)mbi;
	/* The information block itself must survive until the kernel has consumed it. */
	memmap_add(&info->memmap, mbi, total, MEMMAP_BOOT);
	for (uint64_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *tag = (const void *)(uintptr_t)(mbi + off);
		if (tag->type == MB2_TAG_END || tag->size < sizeof(*tag))
			break;
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			strlcpy(info->cmdline, (const char *)(tag + 1), sizeof(info->cmdline));
			break;
		case MB2_TAG_MODULE:
			mb2_module(info, (const void *)tag);
			break;
		case MB2_TAG_MMAP: {
			const struct mb2_tag_mmap *t = (const void *)tag;
			if (t->entry_size < sizeof(struct mb2_mmap_entry))
				break;
			for (uint32_t e = 0; 16 + (e + 1) * t->entry_size <= tag->size; e++) {
				const struct mb2_mmap_entry *me =
					(const void *)(t->entries + e * t->entry_size);
				memmap_add(&info->memmap, me->base, me->length,
					   memmap_type_from_e820(me->type));
			}
			break;
		}
		case MB2_TAG_FRAMEBUFFER: {
			const struct mb2_tag_framebuffer *t = (const void *)tag;
			if (t->type == 1) {
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
			if (!info->rsdp)
				info->rsdp = (uintptr_t)(tag + 1);
			break;
		case MB2_TAG_ACPI_NEW:
			info->rsdp = (uintptr_t)(tag + 1); /* the XSDT-capable copy wins */
			break;
		}
		off += ALIGN_UP((uint64_t)tag->size, 8);
	}
	for (unsigned i = 0; i < info->module_count; i++)
		memmap_add(&info->memmap, info->module[i].base, info->module[i].size, MEMMAP_BOOT);
	kernel_main(info);
}
