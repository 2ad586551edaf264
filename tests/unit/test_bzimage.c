// sources: svm/vm/bzimage.c svm/platform/guest_memmap.c
/* The bzImage loader's checks and layout on synthetic setup headers shaped like Debian's 6.1
 * kernel's (protocol 2.15, relocatable, pref_address 16 MiB, init_size 0x3f98000). */
#include "tests/unit/check.h"
#include "svm/vm/bzimage.h"
#include <string.h>

#define SETUP_SECTS 7
#define KERNEL_OFFSET ((SETUP_SECTS + 1) * 512)
#define KERNEL_BYTES 0x10000
#define MIB (1ull << 20)

static uint8_t img[KERNEL_OFFSET + KERNEL_BYTES];
static uint8_t zp[BZ_ZERO_PAGE_SIZE];

static void put16(unsigned off, uint16_t v) { memcpy(img + off, &v, 2); }
static void put32(unsigned off, uint32_t v) { memcpy(img + off, &v, 4); }
static void put64(unsigned off, uint64_t v) { memcpy(img + off, &v, 8); }
static uint32_t zp32(unsigned off) { uint32_t v; memcpy(&v, zp + off, 4); return v; }
static uint64_t zp64(unsigned off) { uint64_t v; memcpy(&v, zp + off, 8); return v; }

static void make_image(uint16_t version, bool relocatable, uint64_t pref, uint32_t init_size)
{
	memset(img, 0, sizeof(img));
	img[0x1f1] = SETUP_SECTS;
	put16(0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x66; /* header ends at 0x268 */
	memcpy(img + 0x202, "HdrS", 4);
	put16(0x206, version);
	img[0x211] = 0x01; /* LOADED_HIGH */
	put32(0x214, 0x100000);
	put32(0x22c, 0x7fffffff);
	put32(0x230, 0x200000);
	img[0x234] = relocatable;
	put32(0x238, 0x7ff);
	put64(0x258, pref);
	put32(0x260, init_size);
	memset(img + KERNEL_OFFSET, 0x90, KERNEL_BYTES);
}

int main(void)
{
	struct bzimage_layout l;
	/* Debian's header, 256 MiB and a 1 MiB initrd: kernel at pref_address, initrd at the top */
	make_image(0x20f, true, 16 * MIB, 0x3f98000);
	CHECK(bzimage_detect(img, sizeof(img)));
	CHECK(bzimage_plan(img, sizeof(img), 256 * MIB, MIB + 5, &l) == NULL);
	CHECK_EQ(l.kernel_gpa, 16 * MIB);
	CHECK_EQ(l.kernel_offset, KERNEL_OFFSET);
	CHECK_EQ(l.kernel_size, KERNEL_BYTES);
	CHECK_EQ(l.init_size, 0x3f98000);
	CHECK_EQ(l.initrd_gpa, 256 * MIB - 2 * MIB + (MIB - 4096));
	CHECK_EQ(l.initrd_gpa % 4096, 0);
	CHECK(l.initrd_gpa + MIB + 5 <= 256 * MIB);
	CHECK_EQ(l.cmdline_max, 0x7ff);
	CHECK_EQ(l.header_end, 0x268);

	/* the zero page: the header copied, the loader's fields set, ACPI RSDP, the e820 map */
	memset(zp, 0xcc, sizeof(zp));
	bzimage_zero_page(zp, img, &l, 256 * MIB, 0xe0000);
	CHECK(!memcmp(zp + 0x202, "HdrS", 4));
	CHECK_EQ(zp[0x1f1], SETUP_SECTS);
	CHECK_EQ(zp[0x210], 0xff); /* type_of_loader: undefined loader */
	CHECK_EQ(zp32(0x228), BZ_CMDLINE_GPA);
	CHECK_EQ(zp32(0x218), l.initrd_gpa);
	CHECK_EQ(zp32(0x21c), MIB + 5);
	CHECK_EQ(zp32(0x214), 16 * MIB);
	CHECK_EQ(zp64(0x070), 0xe0000); /* acpi_rsdp_addr, protocol 2.14+ */
	CHECK_EQ(zp[0x1ef], 0);          /* sentinel: a loader that cleared the page */
	CHECK_EQ(zp[0x268], 0);          /* nothing past the header */
	CHECK_EQ(zp[0x1e8], 5);          /* e820_entries */
	static const uint64_t e820[5][3] = {
		{0, 0x9fc00, 1},
		{0x9fc00, 0x100000 - 0x9fc00, 2},
		{0x100000, 256 * MIB - 0x100000, 1},
		{0xfec00000, 4096, 2},
		{0xfee00000, 4096, 2},
	};
	for (unsigned i = 0; i < 5; i++) {
		CHECK_EQ(zp64(0x2d0 + 20 * i), e820[i][0]);
		CHECK_EQ(zp64(0x2d0 + 20 * i + 8), e820[i][1]);
		CHECK_EQ(zp32(0x2d0 + 20 * i + 16), e820[i][2]);
	}

	/* before 2.14 there is no acpi_rsdp_addr field to fill */
	make_image(0x20d, true, 16 * MIB, 0x3f98000);
	CHECK(bzimage_plan(img, sizeof(img), 256 * MIB, 0, &l) == NULL);
	CHECK_EQ(l.initrd_gpa, 0);
	bzimage_zero_page(zp, img, &l, 256 * MIB, 0xe0000);
	CHECK_EQ(zp64(0x070), 0);

	/* too old a protocol, a zImage, no setup header: refused with the reason */
	make_image(0x205, true, 16 * MIB, 0x100000);
	const char *err = bzimage_plan(img, sizeof(img), 256 * MIB, 0, &l);
	CHECK(err && strstr(err, "2.06"));
	make_image(0x20f, true, 16 * MIB, 0x100000);
	img[0x211] = 0;
	err = bzimage_plan(img, sizeof(img), 256 * MIB, 0, &l);
	CHECK(err && strstr(err, "zImage"));
	make_image(0x20f, true, 16 * MIB, 0x100000);
	memcpy(img + 0x202, "HdrX", 4);
	CHECK(!bzimage_detect(img, sizeof(img)));
	CHECK(bzimage_plan(img, sizeof(img), 256 * MIB, 0, &l) != NULL);

	/* relocatable: pref_address does not fit in 8 MiB, the first aligned address does */
	make_image(0x20f, true, 16 * MIB, 0x300000);
	CHECK(bzimage_plan(img, sizeof(img), 8 * MIB, 0, &l) == NULL);
	CHECK_EQ(l.kernel_gpa, 2 * MIB);
	/* not relocatable: only its preferred address will do */
	make_image(0x20f, false, 16 * MIB, 0x300000);
	err = bzimage_plan(img, sizeof(img), 8 * MIB, 0, &l);
	CHECK(err && strstr(err, "not relocatable"));
	CHECK(bzimage_plan(img, sizeof(img), 32 * MIB, 0, &l) == NULL);
	CHECK_EQ(l.kernel_gpa, 16 * MIB);
	/* a pref_address near 2^64 does not wrap into "fits" (found by the fuzz target loader) */
	make_image(0x20f, true, ~0ull, 0x300000);
	CHECK(bzimage_plan(img, sizeof(img), 8 * MIB, 0, &l) == NULL);
	CHECK_EQ(l.kernel_gpa, 2 * MIB);
	make_image(0x20f, false, ~0ull - MIB, 0x300000);
	err = bzimage_plan(img, sizeof(img), 8 * MIB, 0, &l);
	CHECK(err && strstr(err, "not relocatable"));
	/* relocatable with a bad alignment */
	make_image(0x20f, true, 16 * MIB, 0x300000);
	put32(0x230, 0x300000);
	err = bzimage_plan(img, sizeof(img), 8 * MIB, 0, &l);
	CHECK(err && strstr(err, "power of two"));

	/* the initrd: below initrd_addr_max, never over the kernel's init_size */
	make_image(0x20f, true, 16 * MIB, 0x3f98000);
	put32(0x22c, 128 * MIB - 1);
	CHECK(bzimage_plan(img, sizeof(img), 256 * MIB, 3 * MIB, &l) == NULL);
	CHECK_EQ(l.initrd_gpa, 125 * MIB);
	err = bzimage_plan(img, sizeof(img), 256 * MIB, 100 * MIB, &l);
	CHECK(err && strstr(err, "initrd"));
	/* a kernel that does not fit at all */
	err = bzimage_plan(img, sizeof(img), 32 * MIB, 0, &l);
	CHECK(err && strstr(err, "mem="));
	/* truncated: the setup sectors claim more than the file */
	make_image(0x20f, true, 16 * MIB, 0x3f98000);
	err = bzimage_plan(img, KERNEL_OFFSET, 256 * MIB, 0, &l);
	CHECK(err && strstr(err, "truncated"));

	uint64_t gdt[4];
	bzimage_gdt(gdt);
	CHECK_EQ(gdt[BZ_BOOT_CS / 8], 0x00cf9b000000ffffull);
	CHECK_EQ(gdt[BZ_BOOT_DS / 8], 0x00cf93000000ffffull);
	return check_summary("bzimage");
}
