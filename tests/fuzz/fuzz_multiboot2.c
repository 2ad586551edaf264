// sources: boot/multiboot2_info.c kernel/memmap.c kernel/string.c
/* Fuzz target for the Multiboot2 boot information parser (boot/multiboot2_info.c): the tag list a
 * boot loader hands doorbell (command line, modules and their strings, memory map, framebuffer,
 * ACPI RSDP copies).
 *
 * Input: the information block. Its first field, total_size, is set by the harness to the input's
 * size, as a boot loader's is to the block it built; the block is a heap buffer of exactly that
 * size, so ASan reports any read past it. Invariants: the command line and every module's name and
 * arguments are NUL-terminated within their arrays; at most BOOT_MAX_MODULES modules, none whose
 * end lies below its start; an RSDP, when one is reported, points inside the block with at least
 * its 20 bytes (36 for the ACPI 2.0 tag's copy) inside it; the memory map is within MEMMAP_MAX. */
#include <stdlib.h>
#include <string.h>

#include "kernel/boot_info.h"
#include "boot/multiboot2_info.h"
#include "tests/fuzz/fuzz.h"

static struct boot_info info;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8 || size > UINT32_MAX)
		return 0;
	uint8_t *mbi = malloc(size);
	if (!mbi)
		abort();
	memcpy(mbi, data, size);
	uint32_t total = (uint32_t)size;
	memcpy(mbi, &total, 4);
	memset(&info, 0, sizeof(info));

	mb2_info_parse(mbi, &info);

	FUZZ_CHECK(memchr(info.cmdline, 0, sizeof(info.cmdline)), "command line not terminated");
	FUZZ_CHECK(info.module_count <= BOOT_MAX_MODULES, "%u modules", info.module_count);
	for (unsigned i = 0; i < info.module_count; i++) {
		const struct boot_module *m = &info.module[i];
		FUZZ_CHECK(memchr(m->name, 0, sizeof(m->name)) && memchr(m->args, 0, sizeof(m->args)),
		           "module %u: name or arguments not terminated", i);
		FUZZ_CHECK(m->size <= UINT32_MAX && m->base + m->size <= 1ull << 32,
		           "module %u: %#llx bytes at %#llx, past 4 GiB (its end is below its start)", i,
		           (unsigned long long)m->size, (unsigned long long)m->base);
	}
	if (info.rsdp) {
		uintptr_t lo = (uintptr_t)mbi, at = (uintptr_t)info.rsdp;
		FUZZ_CHECK(at >= lo + 16 && at + 20 <= lo + size,
		           "RSDP copy at offset %lld of a %zu-byte block", (long long)(at - lo), size);
	}
	FUZZ_CHECK(info.memmap.count <= MEMMAP_MAX, "memory map of %u entries", info.memmap.count);
	free(mbi);
	return 0;
}

const struct fuzz_target fuzz_target = {
	.name = "multiboot2",
	.iterations = 200000,
	.max_len = 2048,
};
