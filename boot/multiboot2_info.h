/* Parsing the Multiboot2 boot information a boot loader hands over (Multiboot2 specification
 * §3.6), apart from the entry path so that it runs on the host (tests/fuzz/fuzz_multiboot2.c). */
#ifndef BOOT_MULTIBOOT2_INFO_H
#define BOOT_MULTIBOOT2_INFO_H

#include "kernel/boot_info.h"

/* Adds what the information block at 'mbi' (total_size bytes, its first field) says to *info:
 * command line, modules, memory map entries, framebuffer, RSDP address. */
void mb2_info_parse(const uint8_t *mbi, struct boot_info *info);

#endif
