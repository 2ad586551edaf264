/* Linux's x86 boot protocol for a bzImage (docs/linux.md "The boot protocol"): the checks on the
 * setup header, where the kernel, the initrd, the zero page and the command line go in the
 * guest's RAM, and the zero page (struct boot_params) itself. Pure: no VM object, so the host
 * unit tests run it on synthetic headers; svm/loader.c copies the result into the VM and sets the
 * 32-bit entry state. */
#ifndef SVM_BZIMAGE_H
#define SVM_BZIMAGE_H

#include "kernel/types.h"
#include "svm/platform/guest_memmap.h"

/* Guest-physical addresses of what the loader writes below 1 MiB (conventional memory that the
 * kernel reserves itself once it has copied the zero page and command line). */
#define BZ_ZERO_PAGE_GPA 0x10000u
#define BZ_CMDLINE_GPA 0x11000u
#define BZ_CMDLINE_MAX 0x1000u /* including the terminating 0 */
#define BZ_GDT_GPA 0x12000u
#define BZ_LOW_END 0x13000u
#define BZ_ZERO_PAGE_SIZE 0x1000u

#define BZ_MIN_PROTOCOL 0x206u /* 2.06: cmdline_size; relocatable_kernel since 2.05 */
#define BZ_E820_MAX 128

struct bzimage_layout {
	uint16_t protocol;     /* setup header version, e.g. 0x20f */
	uint64_t kernel_gpa;   /* where the protected-mode kernel is loaded (the 32-bit entry) */
	uint64_t kernel_offset; /* its offset in the file: (setup_sects + 1) * 512 */
	uint64_t kernel_size;  /* bytes copied from the file */
	uint64_t init_size;    /* memory the kernel needs from kernel_gpa on while it decompresses */
	uint64_t initrd_gpa;   /* 0 without an initrd */
	uint64_t initrd_size;
	uint32_t cmdline_max;  /* bytes of command line the kernel accepts, without the 0 */
	uint32_t header_end;   /* end of the setup header in the file (0x202 + byte at 0x201) */
};

/* True if the image carries a setup header ("HdrS" at 0x202, boot flag 0xAA55 at 0x1FE). */
bool bzimage_detect(const uint8_t *img, uint64_t size);

/* Checks the setup header and places the kernel and the initrd in [0, mem_size). Returns NULL,
 * or the reason the image cannot be booted (too old a protocol, not relocatable where it must be,
 * does not fit, ...). */
const char *bzimage_plan(const uint8_t *img, uint64_t size, uint64_t mem_size,
			 uint64_t initrd_size, struct bzimage_layout *out);

/* Fills the zero page (BZ_ZERO_PAGE_SIZE bytes): the image's setup header with the loader's
 * fields set (type_of_loader 0xFF, cmd_line_ptr, ramdisk_image/size), acpi_rsdp_addr (protocol
 * 2.14 and later) and the e820 map (the guest memory map of svm/guest_memmap.h). */
void bzimage_zero_page(uint8_t *zp, const uint8_t *img, const struct bzimage_layout *l,
		       uint64_t mem_size, uint64_t rsdp_gpa);

/* The GDT the 32-bit entry needs: __BOOT_CS (0x10) and __BOOT_DS (0x18), flat 4 GiB. */
#define BZ_BOOT_CS 0x10u
#define BZ_BOOT_DS 0x18u
#define BZ_GDT_SIZE 32u
void bzimage_gdt(uint64_t gdt[4]);

#endif
