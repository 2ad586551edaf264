/* Loading guest images into a VM: Multiboot v1 ELF32 kernels, entered the way QEMU's -kernel
 * enters them (Multiboot specification 0.6.96 §3.2): 32-bit protected mode, flat segments,
 * paging off, EAX = 0x2BADB002, EBX = the Multiboot information. */
#ifndef SVM_LOADER_H
#define SVM_LOADER_H

#include "kernel/types.h"

struct vm;

/* Returns NULL on success, else a message naming the problem (the VM must not be started). */
const char *loader_load(struct vm *vm, const void *image, uint64_t size, const char *cmdline);

#endif
