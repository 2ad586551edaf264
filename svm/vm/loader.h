/* Loading guest images into a VM: Linux bzImages by the x86 boot protocol (svm/bzimage.h,
 * docs/linux.md), and ELF32 or ELF64 kernels with a Multiboot v1 header, entered the
 * way QEMU's -kernel enters them (Multiboot 0.6.96 §3.2: EAX = 0x2BADB002), or with a Multiboot2
 * header, entered as GRUB does (Multiboot2 2.0 §3.3: EAX = 0x36D76289); both in 32-bit protected
 * mode, flat segments, paging off, EBX = the boot information. Info requests a Multiboot2 header
 * makes that doorbell cannot honour (modules, framebuffer) are ignored rather than refused. */
#ifndef SVM_LOADER_H
#define SVM_LOADER_H

#include "kernel/types.h"

struct vm;

/* Returns NULL on success, else a message naming the problem (the VM must not be started).
 * name: the image's name; args: the guest's command line; initrd (NULL if none): the initial
 * RAM disk a bzImage gets (refused for the other formats). */
const char *loader_load(struct vm *vm, const void *image, uint64_t size, const char *name,
			const char *args, const void *initrd, uint64_t initrd_size);

#endif
