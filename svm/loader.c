#include "svm/loader.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "svm/guest_acpi.h"
#include "svm/vm.h"

#define MB1_HEADER_MAGIC 0x1badb002u
#define MB1_BOOT_MAGIC 0x2badb002u
#define MB1_SEARCH 8192
#define MB1_INFO_MEM BIT(0)
#define MB1_INFO_CMDLINE BIT(2)
#define MB1_INFO_MODS BIT(3)
#define MB1_INFO_MMAP BIT(6)
/* Where the loader puts the information block, command line and memory map: conventional
 * memory below the usual 1 MiB load address, as QEMU does. */
#define MB1_INFO_GPA 0x9000u
#define MB1_CMDLINE_GPA 0x9400u
#define MB1_MMAP_GPA 0x9800u
#define MB1_INFO_END 0xa000u
#define LOW_MEMORY_KB 639u
#define EBDA_GPA 0x9fc00u
#define BIOS_GPA 0xf0000u
#define HIGH_MEMORY_GPA 0x100000u

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

static bool mb1_has_header(const uint8_t *img, uint64_t size)
{
	for (uint64_t off = 0; off + 12 <= MIN(size, MB1_SEARCH); off += 4) {
		const uint32_t *h = (const uint32_t *)(img + off);
		if (h[0] == MB1_HEADER_MAGIC && h[0] + h[1] + h[2] == 0)
			return true;
	}
	return false;
}

static const char *loader_segments(struct vm *vm, const uint8_t *img, uint64_t size,
				   const struct elf32_ehdr *eh)
{
	if ((uint64_t)eh->phoff + (uint64_t)eh->phnum * sizeof(struct elf32_phdr) > size ||
	    eh->phentsize != sizeof(struct elf32_phdr))
		return "truncated image: program headers lie outside the file";
	const struct elf32_phdr *ph = (const struct elf32_phdr *)(img + eh->phoff);
	unsigned loaded = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		const struct elf32_phdr *p = &ph[i];
		if (p->type != ELF_PT_LOAD || !p->memsz)
			continue;
		if (p->filesz > p->memsz)
			return "bad segment: file size larger than memory size";
		if ((uint64_t)p->offset + p->filesz > size)
			return "truncated image: a segment's data lies outside the file";
		if (p->paddr < MB1_INFO_END && p->paddr + (uint64_t)p->memsz > MB1_INFO_GPA)
			return "segment overlaps the low memory reserved for the Multiboot information";
		if (p->paddr < GUEST_ACPI_END && p->paddr + (uint64_t)p->memsz > GUEST_ACPI_BASE)
			return "segment overlaps the guest's ACPI tables at 0xE0000";
		if (!vm_gpa_to_hva(vm, p->paddr, p->memsz))
			return "segment outside guest RAM (raise the VM's mem=)";
		for (unsigned j = 0; j < i; j++) {
			const struct elf32_phdr *q = &ph[j];
			if (q->type == ELF_PT_LOAD && q->memsz &&
			    (uint64_t)p->paddr < (uint64_t)q->paddr + q->memsz &&
			    (uint64_t)q->paddr < (uint64_t)p->paddr + p->memsz)
				return "overlapping segments";
		}
		vm_write_gpa(vm, p->paddr, img + p->offset, p->filesz);
		memset(vm_gpa_to_hva(vm, p->paddr + p->filesz, p->memsz - p->filesz), 0,
		       p->memsz - p->filesz);
		loaded++;
	}
	return loaded ? NULL : "no loadable segment";
}

static void loader_info(struct vm *vm, const char *cmdline)
{
	struct mb1_mmap map[] = {
		{20, 0, EBDA_GPA, 1},
		{20, EBDA_GPA, HIGH_MEMORY_GPA - EBDA_GPA, 2},
		{20, HIGH_MEMORY_GPA, vm->mem_size - HIGH_MEMORY_GPA, 1},
	};
	vm_write_gpa(vm, MB1_MMAP_GPA, map, sizeof(map));
	size_t len = MIN(strlen(cmdline), (size_t)(MB1_MMAP_GPA - MB1_CMDLINE_GPA - 1));
	vm_write_gpa(vm, MB1_CMDLINE_GPA, cmdline, len);
	vm_write_gpa(vm, MB1_CMDLINE_GPA + len, "", 1);
	struct mb1_info info = {
		.flags = MB1_INFO_MEM | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP,
		.mem_lower = LOW_MEMORY_KB,
		.mem_upper = (uint32_t)((vm->mem_size - HIGH_MEMORY_GPA) >> 10),
		.cmdline = MB1_CMDLINE_GPA,
		.mods_count = 0,
		.mods_addr = 0,
		.mmap_length = sizeof(map),
		.mmap_addr = MB1_MMAP_GPA,
	};
	vm_write_gpa(vm, MB1_INFO_GPA, &info, sizeof(info));
}

static void loader_entry_state(struct vcpu *v, uint32_t entry)
{
	struct vmcb_save *s = &v->vmcb->save;
	uint16_t code = SEG_ATTR(0xb, 1, 0, 1, 0, 1, 1), data = SEG_ATTR(3, 1, 0, 1, 0, 1, 1);
	s->cs = (struct vmcb_seg){0x10, code, 0xffffffffu, 0};
	s->ds = s->es = s->fs = s->gs = s->ss = (struct vmcb_seg){0x18, data, 0xffffffffu, 0};
	s->gdtr = (struct vmcb_seg){0, 0, 0, 0};
	s->idtr = (struct vmcb_seg){0, 0, 0x3ff, 0};
	s->ldtr = (struct vmcb_seg){0, SEG_ATTR(2, 0, 0, 1, 0, 0, 0), 0xffff, 0};
	s->tr = (struct vmcb_seg){0, SEG_ATTR(0xb, 0, 0, 1, 0, 0, 0), 0xffff, 0};
	s->cr0 = CR0_PE | CR0_ET;
	s->rip = entry;
	s->rflags = 2;
	v->regs.gpr[GPR_RAX] = MB1_BOOT_MAGIC;
	v->regs.gpr[GPR_RBX] = MB1_INFO_GPA;
}

const char *loader_load(struct vm *vm, const void *image, uint64_t size, const char *cmdline)
{
	const uint8_t *img = image;
	const struct elf32_ehdr *eh = image;
	if (size < sizeof(*eh))
		return "truncated image: shorter than an ELF header";
	if (memcmp(eh->ident, "\x7f" "ELF", 4))
		return "bad magic: not an ELF file (doorbell loads Multiboot v1 ELF32 kernels)";
	if (eh->ident[4] != 1 || eh->machine != ELF_MACHINE_386)
		return "not an ELF32 i386 image (Multiboot v1 kernels are ELF32)";
	if ((uint64_t)eh->phoff + (uint64_t)eh->phnum * sizeof(struct elf32_phdr) > size)
		return "truncated image: program headers lie outside the file";
	/* segments first: a cut-off file is reported as truncated, not as lacking a header */
	const char *err = loader_segments(vm, img, size, eh);
	if (err)
		return err;
	if (!mb1_has_header(img, size))
		return "no Multiboot v1 header in the first 8 KiB";
	if (!vm_gpa_to_hva(vm, eh->entry, 1))
		return "entry point outside guest RAM";
	loader_info(vm, cmdline);
	loader_entry_state(vm->vcpu[0], eh->entry);
	return NULL;
}
