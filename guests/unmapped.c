/* Touches guest-physical memory beyond the guest's RAM (addr=, default 0xc0000000). What follows
 * differs by design, so this guest is NOT expected to behave the same everywhere: under doorbell
 * the access has no backing and the VM is stopped with a reason (this guest never reaches its
 * closing line); on bare QEMU the address is unassigned and the read returns what QEMU returns for
 * unassigned memory (0 with QEMU 7.2 on q35, where 0xc0000000 is in the PCI hole), which the guest
 * prints before ending normally. */
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/x86.h"

const char guest_name[] = "unmapped";

#define DEFAULT_ADDRESS 0xc0000000u

void guest_main(const struct multiboot_info *mbi)
{
	uint32_t addr = multiboot_cmdline_uint(mbi, "addr", DEFAULT_ADDRESS);
	uint64_t ram_end = 0x100000ull + (uint64_t)mbi->mem_upper * 1024;
	printf("unmapped: RAM ends at 0x%x, reading 0x%x\n", (uint32_t)ram_end, addr);
	test_check(addr >= ram_end, "the address lies beyond RAM");
	uint32_t value = mmio_read32(addr);
	printf("unmapped: read 0x%x from 0x%x\n", value, addr);
}
