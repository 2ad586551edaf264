/* The one structure both entry paths (Multiboot2 via GRUB, and the GNU-EFI application) fill in
 * and hand to kernel_main(). Everything the kernel learns from the firmware or the loader is here. */
#ifndef KERNEL_BOOT_INFO_H
#define KERNEL_BOOT_INFO_H

#include "kernel/types.h"
#include "kernel/memmap.h"

#define BOOT_MAX_MODULES 16
#define BOOT_CMDLINE_MAX 512
#define BOOT_MODULE_NAME_MAX 64
#define BOOT_MODULE_ARGS_MAX 256

/* A guest image handed over by the loader, with the VM options that came with it. */
struct boot_module {
	uint64_t base; /* physical address of the image, page aligned */
	uint64_t size; /* bytes */
	char name[BOOT_MODULE_NAME_MAX];
	char args[BOOT_MODULE_ARGS_MAX]; /* VM options: vcpus= mem= cpus= args=... */
};

struct boot_framebuffer {
	bool present;
	uint64_t base;
	uint32_t width, height, pitch, bpp;
};

struct boot_info {
	const char *loader; /* "multiboot2" or "uefi" */
	struct memmap memmap;
	uint64_t rsdp;       /* physical address of the ACPI RSDP, 0 if the loader gave none */
	uint64_t trampoline; /* physical page below 1 MiB reserved for the AP start-up code */
	uint64_t image_base, image_end; /* the hypervisor image in physical memory */
	char cmdline[BOOT_CMDLINE_MAX];
	struct boot_module module[BOOT_MAX_MODULES];
	unsigned module_count;
	struct boot_framebuffer fb;
};

/* Entered on the boot CPU with interrupts off, identity mapped, on a firmware or boot stack. */
NORETURN void kernel_main(struct boot_info *info);

#endif
