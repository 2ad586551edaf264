#include "svm/vm/bzimage.h"
#include "kernel/string.h"

/* Setup header fields: offsets in the file, which are also their offsets in the zero page
 * (docs/linux.md "The boot protocol"). */
#define HDR_START 0x1f1u
#define HDR_SETUP_SECTS 0x1f1u
#define HDR_BOOT_FLAG 0x1feu
#define HDR_JUMP 0x200u
#define HDR_MAGIC 0x202u
#define HDR_VERSION 0x206u
#define HDR_TYPE_OF_LOADER 0x210u
#define HDR_LOADFLAGS 0x211u
#define HDR_CODE32_START 0x214u
#define HDR_RAMDISK_IMAGE 0x218u
#define HDR_RAMDISK_SIZE 0x21cu
#define HDR_CMD_LINE_PTR 0x228u
#define HDR_INITRD_ADDR_MAX 0x22cu
#define HDR_KERNEL_ALIGNMENT 0x230u
#define HDR_RELOCATABLE 0x234u
#define HDR_CMDLINE_SIZE 0x238u
#define HDR_PREF_ADDRESS 0x258u
#define HDR_INIT_SIZE 0x260u
#define HDR_LIMIT 0x290u /* the zero page's copy of the header ends here */

#define ZP_ACPI_RSDP_ADDR 0x070u
#define ZP_E820_ENTRIES 0x1e8u
#define ZP_E820_TABLE 0x2d0u
#define E820_ENTRY_SIZE 20u

#define LOADFLAGS_LOADED_HIGH 0x01u
#define BOOT_FLAG 0xaa55u
#define LOADER_UNDEFINED 0xffu
#define PROTOCOL_PREF_ADDRESS 0x20au /* 2.10: pref_address and init_size */
#define PROTOCOL_ACPI_RSDP 0x20eu    /* 2.14: acpi_rsdp_addr */
#define DEFAULT_LOAD_GPA 0x100000u
#define DEFAULT_INITRD_ADDR_MAX 0x37ffffffu
/* Without init_size (before 2.10) the kernel's needs are unknown: assume 4 times the image,
 * enough for the compression ratios bzImages use. */
#define INIT_SIZE_ESTIMATE 4u

static uint16_t rd16(const uint8_t *p, unsigned off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *p, unsigned off)
{
	return (uint32_t)rd16(p, off) | (uint32_t)rd16(p, off + 2) << 16;
}

static uint64_t rd64(const uint8_t *p, unsigned off)
{
	return (uint64_t)rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32;
}

static void wr32(uint8_t *p, unsigned off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

bool bzimage_detect(const uint8_t *img, uint64_t size)
{
	return size >= HDR_VERSION + 2 && !memcmp(img + HDR_MAGIC, "HdrS", 4) &&
	       rd16(img, HDR_BOOT_FLAG) == BOOT_FLAG;
}

const char *bzimage_plan(const uint8_t *img, uint64_t size, uint64_t mem_size,
			 uint64_t initrd_size, struct bzimage_layout *out)
{
	if (!bzimage_detect(img, size))
		return "not a Linux bzImage (no \"HdrS\" setup header)";
	if (size < HDR_LIMIT)
		return "truncated bzImage: shorter than its setup header";
	struct bzimage_layout l = {.protocol = rd16(img, HDR_VERSION)};
	if (l.protocol < BZ_MIN_PROTOCOL)
		return "Linux boot protocol older than 2.06 (kernels before 2.6.22): doorbell boots "
		       "2.06 and later, which have cmdline_size and relocatable kernels";
	if (!(img[HDR_LOADFLAGS] & LOADFLAGS_LOADED_HIGH))
		return "a zImage (loaded at 0x10000): doorbell boots bzImages only";
	unsigned sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	l.kernel_offset = (uint64_t)(sects + 1) * 512;
	if (l.kernel_offset >= size)
		return "truncated bzImage: no protected-mode kernel after the setup sectors";
	l.kernel_size = size - l.kernel_offset;
	l.header_end = MIN(HDR_JUMP + 2 + img[HDR_JUMP + 1], HDR_LIMIT);
	l.cmdline_max = MIN(rd32(img, HDR_CMDLINE_SIZE), BZ_CMDLINE_MAX - 1);
	bool relocatable = img[HDR_RELOCATABLE];
	uint32_t align = rd32(img, HDR_KERNEL_ALIGNMENT);
	uint64_t pref = rd32(img, HDR_CODE32_START);
	l.init_size = l.kernel_size * INIT_SIZE_ESTIMATE;
	if (l.protocol >= PROTOCOL_PREF_ADDRESS) {
		pref = rd64(img, HDR_PREF_ADDRESS);
		l.init_size = MAX((uint64_t)rd32(img, HDR_INIT_SIZE), l.kernel_size);
	}
	if (relocatable && (!align || (align & (align - 1))))
		return "bad setup header: kernel_alignment is not a power of two";
	/* pref is 64 bits: pref + init_size wrapped for a pref_address near 2^64 and placed the
	 * kernel outside RAM (libFuzzer target loader: entered at 0xffffffff) */
	if (pref >= DEFAULT_LOAD_GPA && pref <= mem_size && l.init_size <= mem_size - pref) {
		l.kernel_gpa = pref;
	} else if (relocatable) {
		l.kernel_gpa = ALIGN_UP((uint64_t)DEFAULT_LOAD_GPA, (uint64_t)align);
		if (l.kernel_gpa + l.init_size > mem_size)
			return "the kernel does not fit in the VM's RAM (init_size from the aligned "
			       "load address): raise the VM's mem=";
	} else if (pref < DEFAULT_LOAD_GPA) {
		return "the kernel is not relocatable and asks to be loaded below 1 MiB";
	} else {
		return "the kernel is not relocatable and does not fit at its preferred address "
		       "(pref_address + init_size beyond the VM's RAM): raise the VM's mem=";
	}
	if (initrd_size) {
		uint64_t max = rd32(img, HDR_INITRD_ADDR_MAX);
		uint64_t top = MIN((max ? max : DEFAULT_INITRD_ADDR_MAX) + 1, mem_size);
		if (top < initrd_size ||
		    ALIGN_DOWN(top - initrd_size, PAGE_SIZE) < l.kernel_gpa + l.init_size)
			return "the initrd does not fit between the kernel (up to its init_size) and "
			       "the kernel's initrd_addr_max or the end of RAM: raise the VM's mem=";
		l.initrd_gpa = ALIGN_DOWN(top - initrd_size, PAGE_SIZE);
		l.initrd_size = initrd_size;
	}
	*out = l;
	return NULL;
}

void bzimage_zero_page(uint8_t *zp, const uint8_t *img, const struct bzimage_layout *l,
		       uint64_t mem_size, uint64_t rsdp_gpa)
{
	memset(zp, 0, BZ_ZERO_PAGE_SIZE);
	memcpy(zp + HDR_START, img + HDR_START, l->header_end - HDR_START);
	zp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	wr32(zp, HDR_CODE32_START, (uint32_t)l->kernel_gpa);
	wr32(zp, HDR_RAMDISK_IMAGE, (uint32_t)l->initrd_gpa);
	wr32(zp, HDR_RAMDISK_SIZE, (uint32_t)l->initrd_size);
	wr32(zp, HDR_CMD_LINE_PTR, BZ_CMDLINE_GPA);
	if (l->protocol >= PROTOCOL_ACPI_RSDP)
		memcpy(zp + ZP_ACPI_RSDP_ADDR, &rsdp_gpa, 8);
	struct guest_memmap_entry map[GUEST_MEMMAP_MAX];
	unsigned n = guest_memmap(mem_size, true, map);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = zp + ZP_E820_TABLE + i * E820_ENTRY_SIZE;
		memcpy(e, &map[i].base, 8);
		memcpy(e + 8, &map[i].len, 8);
		memcpy(e + 16, &map[i].type, 4);
	}
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
}

void bzimage_gdt(uint64_t gdt[4])
{
	gdt[0] = gdt[1] = 0;
	gdt[BZ_BOOT_CS / 8] = 0x00cf9b000000ffffull; /* code, execute/read, accessed, 4 GiB */
	gdt[BZ_BOOT_DS / 8] = 0x00cf93000000ffffull; /* data, read/write, accessed, 4 GiB */
}
