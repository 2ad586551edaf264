#include "svm/vm/loader.h"
#include "kernel/format.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "svm/platform/guest_acpi.h"
#include "svm/platform/guest_memmap.h"
#include "svm/vm/bzimage.h"
#include "svm/vm/vm.h"

#define MB1_HEADER_MAGIC 0x1badb002u
#define MB1_BOOT_MAGIC 0x2badb002u
#define MB1_SEARCH 8192
#define MB1_INFO_MEM BIT(0)
#define MB1_INFO_CMDLINE BIT(2)
#define MB1_INFO_MODS BIT(3)
#define MB1_INFO_MMAP BIT(6)
/* The page that holds the information block, command line and memory map (offsets within it):
 * 0x9000 in conventional memory, as QEMU does, unless the image loads there; then the first page
 * of conventional memory the image leaves free, else the page after the image's end (QEMU's
 * -kernel accepts images that load below 1 MiB). */
#define MB1_INFO_GPA 0x9000u
#define MB1_INFO_SIZE 0x1000u
#define MB1_CMDLINE_OFF 0x400u
#define MB1_MMAP_OFF 0x800u
#define MB1_LOW_FIRST 0x1000u /* not page 0: the real-mode IVT and null pointers live there */
#define LOW_MEMORY_KB (GUEST_EBDA_GPA >> 10)
#define HIGH_MEMORY_GPA GUEST_HIGH_MEMORY_GPA

#define ELF_PT_LOAD 1
#define ELF_MACHINE_386 3

struct elf32_ehdr {
	uint8_t ident[16];  /* 0x00 */
	uint16_t type;      /* 0x10 */
	uint16_t machine;   /* 0x12 */
	uint32_t version;   /* 0x14 */
	uint32_t entry;     /* 0x18 */
	uint32_t phoff;     /* 0x1c */
	uint32_t shoff;     /* 0x20 */
	uint32_t flags;     /* 0x24 */
	uint16_t ehsize;    /* 0x28 */
	uint16_t phentsize; /* 0x2a */
	uint16_t phnum;     /* 0x2c */
	uint16_t shentsize; /* 0x2e */
	uint16_t shnum;     /* 0x30 */
	uint16_t shstrndx;  /* 0x32 */
} PACKED;

struct elf32_phdr {
	uint32_t type;   /* 0x00 */
	uint32_t offset; /* 0x04 */
	uint32_t vaddr;  /* 0x08 */
	uint32_t paddr;  /* 0x0c */
	uint32_t filesz; /* 0x10 */
	uint32_t memsz;  /* 0x14 */
	uint32_t flags;  /* 0x18 */
	uint32_t align;  /* 0x1c */
} PACKED;

struct mb1_info {
	uint32_t flags;       /* 0x00 */
	uint32_t mem_lower;   /* 0x04 */
	uint32_t mem_upper;   /* 0x08 */
	uint32_t boot_device; /* 0x0c */
	uint32_t cmdline;     /* 0x10 */
	uint32_t mods_count;  /* 0x14 */
	uint32_t mods_addr;   /* 0x18 */
	uint32_t syms[4];     /* 0x1c */
	uint32_t mmap_length; /* 0x2c */
	uint32_t mmap_addr;   /* 0x30 */
} PACKED;

struct mb1_mmap {
	uint32_t size; /* 0x00: size of the rest of the entry */
	uint64_t base; /* 0x04 */
	uint64_t len;  /* 0x0c */
	uint32_t type; /* 0x14: 1 = RAM */
} PACKED;

_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header");
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header");
_Static_assert(sizeof(struct mb1_mmap) == 24, "Multiboot mmap entry");

#define MB2_HEADER_MAGIC 0xe85250d6u
#define MB2_BOOT_MAGIC 0x36d76289u
#define MB2_SEARCH 32768
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_NEW 15
#define ELF_CLASS32 1
#define ELF_CLASS64 2
#define ELF_MACHINE_X86_64 62
#define LOADER_MAX_SEGMENTS 32
#define GUEST_RSDP_LENGTH 36

struct elf64_ehdr {
	uint8_t ident[16];  /* 0x00 */
	uint16_t type;      /* 0x10 */
	uint16_t machine;   /* 0x12 */
	uint32_t version;   /* 0x14 */
	uint64_t entry;     /* 0x18 */
	uint64_t phoff;     /* 0x20 */
	uint64_t shoff;     /* 0x28 */
	uint32_t flags;     /* 0x30 */
	uint16_t ehsize;    /* 0x34 */
	uint16_t phentsize; /* 0x36 */
	uint16_t phnum;     /* 0x38 */
	uint16_t shentsize; /* 0x3a */
	uint16_t shnum;     /* 0x3c */
	uint16_t shstrndx;  /* 0x3e */
} PACKED;

struct elf64_phdr {
	uint32_t type;   /* 0x00 */
	uint32_t flags;  /* 0x04 */
	uint64_t offset; /* 0x08 */
	uint64_t vaddr;  /* 0x10 */
	uint64_t paddr;  /* 0x18 */
	uint64_t filesz; /* 0x20 */
	uint64_t memsz;  /* 0x28 */
	uint64_t align;  /* 0x30 */
} PACKED;

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header");

/* A loadable segment, whichever ELF class it came from. */
struct loader_segment {
	uint64_t paddr, offset, filesz, memsz;
};

struct loader_image {
	struct loader_segment seg[LOADER_MAX_SEGMENTS];
	unsigned count;
	uint64_t entry;
};

/* Multiboot v1 (§3.1.2: 4-byte aligned in the first 8 KiB) or v2 (§3.1.1: 8-byte aligned in the
 * first 32 KiB) header: magic + ... + checksum sums to 0. */
static bool mb_has_header(const uint8_t *img, uint64_t size, bool v2)
{
	uint64_t limit = MIN(size, (uint64_t)(v2 ? MB2_SEARCH : MB1_SEARCH));
	for (uint64_t off = 0; off + 16 <= limit; off += v2 ? 8 : 4) {
		const uint32_t *h = (const uint32_t *)(img + off);
		if (!v2 && h[0] == MB1_HEADER_MAGIC && h[0] + h[1] + h[2] == 0)
			return true;
		if (v2 && h[0] == MB2_HEADER_MAGIC && h[0] + h[1] + h[2] + h[3] == 0)
			return true;
	}
	return false;
}

/* The program headers of an ELF32 or ELF64 file as a list of loadable segments. */
static const char *loader_parse_elf(const uint8_t *img, uint64_t size, struct loader_image *li)
{
	const struct elf32_ehdr *e32 = (const void *)img;
	const struct elf64_ehdr *e64 = (const void *)img;
	bool is64 = e32->ident[4] == ELF_CLASS64;
	if (e32->ident[4] != ELF_CLASS32 && !is64)
		return "not an ELF32 or ELF64 image";
	if (is64 && size < sizeof(*e64))
		return "truncated image: shorter than an ELF64 header";
	if ((!is64 && e32->machine != ELF_MACHINE_386) || (is64 && e64->machine != ELF_MACHINE_X86_64))
		return "not an x86 ELF image (i386 for ELF32, x86-64 for ELF64)";
	uint64_t phoff = is64 ? e64->phoff : e32->phoff;
	unsigned phnum = is64 ? e64->phnum : e32->phnum;
	unsigned phent = is64 ? e64->phentsize : e32->phentsize;
	/* phoff is 64 bits in ELF64: phoff + phnum * phent wrapped for phoff near 2^64 and let
	 * the program headers be read far outside the image (libFuzzer target loader) */
	if (phent != (is64 ? sizeof(struct elf64_phdr) : sizeof(struct elf32_phdr)) ||
	    phoff > size || (uint64_t)phnum * phent > size - phoff)
		return "truncated image: program headers lie outside the file";
	li->entry = is64 ? e64->entry : e32->entry;
	li->count = 0;
	for (unsigned i = 0; i < phnum; i++) {
		struct loader_segment s;
		uint32_t type;
		if (is64) {
			const struct elf64_phdr *p = (const void *)(img + phoff + i * phent);
			type = p->type;
			s = (struct loader_segment){p->paddr, p->offset, p->filesz, p->memsz};
		} else {
			const struct elf32_phdr *p = (const void *)(img + phoff + i * phent);
			type = p->type;
			s = (struct loader_segment){p->paddr, p->offset, p->filesz, p->memsz};
		}
		if (type != ELF_PT_LOAD || !s.memsz)
			continue;
		if (li->count == LOADER_MAX_SEGMENTS)
			return "too many loadable segments";
		li->seg[li->count++] = s;
	}
	return li->count ? NULL : "no loadable segment";
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The segments against the file: a cut file is "truncated", whatever else it lacks. */
static const char *loader_check_file(const struct loader_image *li, uint64_t size)
{
	for (unsigned i = 0; i < li->count; i++) {
		const struct loader_segment *p = &li->seg[i];
		if (p->filesz > p->memsz)
			return "bad segment: file size larger than memory size";
		if (p->offset > size || p->filesz > size - p->offset)
			return "truncated image: a segment's data lies outside the file";
	}
	return NULL;
}

/* The segments against the guest's memory layout (checked once the image is known to be a
 * Multiboot kernel, so that any other ELF is refused for its missing header). */
static const char *loader_check_placement(struct vm *vm, const struct loader_image *li)
{
	for (unsigned i = 0; i < li->count; i++) {
		const struct loader_segment *p = &li->seg[i];
		if (ranges_overlap(p->paddr, p->memsz, GUEST_ACPI_BASE,
				   GUEST_ACPI_END - GUEST_ACPI_BASE))
			return "segment overlaps the guest's ACPI tables at 0xE0000";
		if (!vm_gpa_to_hva(vm, p->paddr, p->memsz))
			return "segment outside guest RAM (raise the VM's mem=)";
		for (unsigned j = 0; j < i; j++) {
			if (ranges_overlap(p->paddr, p->memsz, li->seg[j].paddr, li->seg[j].memsz))
				return "overlapping segments";
		}
	}
	return NULL;
}

static void loader_copy_segments(struct vm *vm, const uint8_t *img, const struct loader_image *li)
{
	for (unsigned i = 0; i < li->count; i++) {
		const struct loader_segment *p = &li->seg[i];
		vm_write_gpa(vm, p->paddr, img + p->offset, p->filesz);
		memset(vm_gpa_to_hva(vm, p->paddr + p->filesz, p->memsz - p->filesz), 0,
		       p->memsz - p->filesz);
	}
}

static bool info_page_free(const struct loader_image *li, uint64_t gpa)
{
	for (unsigned i = 0; i < li->count; i++)
		if (ranges_overlap(li->seg[i].paddr, li->seg[i].memsz, gpa, MB1_INFO_SIZE))
			return false;
	return true;
}

/* Where the boot information goes (MB1_INFO_GPA's comment); 0 when no page of RAM is free. */
static uint64_t loader_info_gpa(struct vm *vm, const struct loader_image *li)
{
	if (info_page_free(li, MB1_INFO_GPA))
		return MB1_INFO_GPA;
	for (uint64_t gpa = MB1_LOW_FIRST; gpa + MB1_INFO_SIZE <= GUEST_EBDA_GPA;
	     gpa += MB1_INFO_SIZE)
		if (info_page_free(li, gpa))
			return gpa;
	uint64_t end = 0;
	for (unsigned i = 0; i < li->count; i++)
		end = MAX(end, li->seg[i].paddr + li->seg[i].memsz);
	end = ALIGN_UP(MAX(end, HIGH_MEMORY_GPA), MB1_INFO_SIZE);
	if (end + MB1_INFO_SIZE <= vm->mem_size && end + MB1_INFO_SIZE <= 0x100000000ull &&
	    info_page_free(li, end))
		return end;
	return 0;
}

static void loader_info(struct vm *vm, uint64_t info_gpa, const char *cmdline)
{
	/* the same map for both Multiboot versions: the RAM areas of svm/guest_memmap.h */
	struct guest_memmap_entry ram[GUEST_MEMMAP_MAX];
	unsigned n = guest_memmap(vm->mem_size, false, ram);
	struct mb1_mmap map[GUEST_MEMMAP_MAX];
	for (unsigned i = 0; i < n; i++)
		map[i] = (struct mb1_mmap){20, ram[i].base, ram[i].len, ram[i].type};
	vm_write_gpa(vm, info_gpa + MB1_MMAP_OFF, map, n * sizeof(map[0]));
	size_t len = MIN(strlen(cmdline), (size_t)(MB1_MMAP_OFF - MB1_CMDLINE_OFF - 1));
	vm_write_gpa(vm, info_gpa + MB1_CMDLINE_OFF, cmdline, len);
	vm_write_gpa(vm, info_gpa + MB1_CMDLINE_OFF + len, "", 1);
	struct mb1_info info = {
		.flags = MB1_INFO_MEM | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP,
		.mem_lower = LOW_MEMORY_KB,
		.mem_upper = (uint32_t)((vm->mem_size - HIGH_MEMORY_GPA) >> 10),
		.cmdline = (uint32_t)(info_gpa + MB1_CMDLINE_OFF),
		.mods_count = 0,
		.mods_addr = 0,
		.mmap_length = n * (uint32_t)sizeof(map[0]),
		.mmap_addr = (uint32_t)(info_gpa + MB1_MMAP_OFF),
	};
	vm_write_gpa(vm, info_gpa, &info, sizeof(info));
}

/* Appends one Multiboot2 tag (8-byte aligned) at *off; returns a pointer to its payload. */
static uint8_t *mb2_tag(uint8_t *mbi, uint32_t *off, uint32_t type, uint32_t payload)
{
	uint32_t *t = (uint32_t *)(mbi + *off);
	t[0] = type;
	t[1] = 8 + payload;
	*off += ALIGN_UP(8 + payload, 8);
	return (uint8_t *)(t + 2);
}

/* Multiboot2 boot information (specification 2.0 §3.6): command line, basic memory
 * information, memory map, the new ACPI RSDP (a copy of the guest's), end. */
static void loader_info_mb2(struct vm *vm, uint64_t info_gpa, const char *cmdline)
{
	uint8_t *mbi = vm_gpa_to_hva(vm, info_gpa, MB1_INFO_SIZE);
	memset(mbi, 0, MB1_INFO_SIZE);
	uint32_t off = 8;
	size_t len = MIN(strlen(cmdline), (size_t)1024);
	uint8_t *p = mb2_tag(mbi, &off, MB2_TAG_CMDLINE, (uint32_t)len + 1);
	memcpy(p, cmdline, len);
	p = mb2_tag(mbi, &off, MB2_TAG_BASIC_MEMINFO, 8);
	uint32_t mem[2] = {LOW_MEMORY_KB, (uint32_t)((vm->mem_size - HIGH_MEMORY_GPA) >> 10)};
	memcpy(p, mem, sizeof(mem));
	struct guest_memmap_entry ram[GUEST_MEMMAP_MAX];
	unsigned n = guest_memmap(vm->mem_size, false, ram);
	p = mb2_tag(mbi, &off, MB2_TAG_MMAP, 8 + 24 * n);
	uint32_t entry_info[2] = {24, 0}; /* entry size, entry version */
	memcpy(p, entry_info, sizeof(entry_info));
	for (unsigned i = 0; i < n; i++) {
		uint64_t e[3] = {ram[i].base, ram[i].len, ram[i].type};
		memcpy(p + 8 + 24 * i, e, sizeof(e));
	}
	p = mb2_tag(mbi, &off, MB2_TAG_ACPI_NEW, GUEST_RSDP_LENGTH);
	vm_read_gpa(vm, GUEST_ACPI_BASE, p, GUEST_RSDP_LENGTH);
	mb2_tag(mbi, &off, MB2_TAG_END, 0);
	memcpy(mbi, &off, 4); /* total_size */
}

/* 32-bit protected mode, paging off, flat CS 0x10 and data 0x18, interrupts off; the GDT the
 * selectors came from at gdt (limit 0: none, the Multiboot state). */
static void loader_entry_state(struct vcpu *v, uint32_t entry, uint64_t gdt, uint16_t gdt_limit)
{
	struct vmcb_save *s = &v->vmcb->save;
	uint16_t code = SEG_ATTR(0xb, 1, 0, 1, 0, 1, 1), data = SEG_ATTR(3, 1, 0, 1, 0, 1, 1);
	s->cs = (struct vmcb_seg){0x10, code, 0xffffffffu, 0};
	s->ds = s->es = s->fs = s->gs = s->ss = (struct vmcb_seg){0x18, data, 0xffffffffu, 0};
	s->gdtr = (struct vmcb_seg){0, 0, gdt_limit, gdt};
	s->idtr = (struct vmcb_seg){0, 0, 0x3ff, 0};
	s->ldtr = (struct vmcb_seg){0, SEG_ATTR(2, 0, 0, 1, 0, 0, 0), 0xffff, 0};
	s->tr = (struct vmcb_seg){0, SEG_ATTR(0xb, 0, 0, 1, 0, 0, 0), 0xffff, 0};
	s->cr0 = CR0_PE | CR0_ET;
	s->rip = entry;
	s->rflags = 2;
}

/* A Linux bzImage by the 32-bit boot protocol (docs/linux.md "The boot protocol"): the
 * protected-mode kernel at its load address, the initrd high in RAM, the zero page, command line
 * and a GDT below 1 MiB; entered at the load address with ESI = the zero page, EBX = EBP = EDI =
 * 0. */
static const char *loader_load_bzimage(struct vm *vm, const uint8_t *img, uint64_t size,
				       const char *args, const void *initrd, uint64_t initrd_size)
{
	struct bzimage_layout l;
	const char *err = bzimage_plan(img, size, vm->mem_size, initrd_size, &l);
	if (err)
		return err;
	if (strlen(args) > l.cmdline_max)
		return "the command line (args=) is longer than the kernel's cmdline_size";
	vm_write_gpa(vm, l.kernel_gpa, img + l.kernel_offset, l.kernel_size);
	if (initrd_size)
		vm_write_gpa(vm, l.initrd_gpa, initrd, initrd_size);
	bzimage_zero_page(vm_gpa_to_hva(vm, BZ_ZERO_PAGE_GPA, BZ_ZERO_PAGE_SIZE), img, &l,
			  vm->mem_size, GUEST_ACPI_BASE);
	vm_write_gpa(vm, BZ_CMDLINE_GPA, args, strlen(args) + 1);
	uint64_t gdt[4];
	bzimage_gdt(gdt);
	vm_write_gpa(vm, BZ_GDT_GPA, gdt, sizeof(gdt));
	struct vcpu *v = vm->vcpu[0];
	loader_entry_state(v, (uint32_t)l.kernel_gpa, BZ_GDT_GPA, BZ_GDT_SIZE - 1);
	memset(v->regs.gpr, 0, sizeof(v->regs.gpr));
	v->regs.gpr[GPR_RSI] = BZ_ZERO_PAGE_GPA;
	return NULL;
}

const char *loader_load(struct vm *vm, const void *image, uint64_t size, const char *name,
			const char *args, const void *initrd, uint64_t initrd_size)
{
	const uint8_t *img = image;
	if (bzimage_detect(img, size))
		return loader_load_bzimage(vm, img, size, args, initrd, initrd_size);
	if (initrd)
		return "initrd= is for Linux bzImage guests; this image is not one";
	if (size < sizeof(struct elf32_ehdr))
		return "truncated image: shorter than an ELF header";
	if (memcmp(img, "\x7f" "ELF", 4))
		return "bad magic: not an ELF file nor a Linux bzImage (doorbell loads Multiboot "
		       "v1 and v2 ELF kernels and bzImages)";
	static struct loader_image li; /* boot-time only, one VM at a time */
	const char *err = loader_parse_elf(img, size, &li);
	if (!err)
		err = loader_check_file(&li, size);
	if (err)
		return err; /* the file first: a cut file is truncated, not header-less */
	bool v2 = mb_has_header(img, size, true);
	if (!v2 && !mb_has_header(img, size, false))
		return "no Multiboot header (v1 in the first 8 KiB or v2 in the first 32 KiB): "
		       "doorbell runs Multiboot kernels and Linux bzImages";
	err = loader_check_placement(vm, &li);
	if (err)
		return err;
	uint64_t info_gpa = loader_info_gpa(vm, &li);
	if (!info_gpa)
		return "no free page of guest RAM for the Multiboot information (raise the VM's mem=)";
	/* Both versions enter in 32-bit protected mode: the entry must be a 32-bit address. */
	if (li.entry >> 32 || !vm_gpa_to_hva(vm, li.entry, 1))
		return "entry point outside guest RAM";
	loader_copy_segments(vm, img, &li);
	if (v2) {
		/* GRUB's multiboot2 passes the arguments alone */
		loader_info_mb2(vm, info_gpa, args);
	} else {
		/* QEMU's -kernel passes "<kernel file> <-append text>": so do we, so that a
		 * guest sees the same command line under both */
		char cmdline[MB1_MMAP_OFF - MB1_CMDLINE_OFF];
		format(cmdline, sizeof(cmdline), "%s%s%s", name, args[0] ? " " : "", args);
		loader_info(vm, info_gpa, cmdline);
	}
	loader_entry_state(vm->vcpu[0], (uint32_t)li.entry, 0, 0);
	vm->vcpu[0]->regs.gpr[GPR_RAX] = v2 ? MB2_BOOT_MAGIC : MB1_BOOT_MAGIC;
	vm->vcpu[0]->regs.gpr[GPR_RBX] = info_gpa;
	return NULL;
}
