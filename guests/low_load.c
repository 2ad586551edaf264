/* A Multiboot v1 image that loads below 1 MiB (guests/low_load.ld: at 0x8000, over 0x9000 where
 * the boot information usually goes). QEMU's -kernel accepts such images; the loader must put the
 * boot information where the image is not. The guest checks that EBX points outside its own
 * image, that the information is whole (memory sizes, command line), and that its own code and
 * data arrived intact (a pattern in .data). Under QEMU alone the information is written at 0x9000
 * over the image, so this guest is run under doorbell only (docs/guests.md). */
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/multiboot.h"

const char guest_name[] = "low_load";

#define PATTERN_WORDS 2048 /* 8 KiB: covers a whole page wherever it lands */

extern const char __image_start[], __image_end[];
static volatile uint32_t pattern[PATTERN_WORDS] = {[0 ... PATTERN_WORDS - 1] = 0x10adf00d};

void guest_main(const struct multiboot_info *mbi)
{
	uint32_t info = (uint32_t)(uintptr_t)mbi;
	uint32_t start = (uint32_t)(uintptr_t)__image_start, end = (uint32_t)(uintptr_t)__image_end;
	printf("info: image 0x%x-0x%x, boot information at 0x%x\n", start, end, info);
	test_check(start < 0x100000, "the image loads below 1 MiB (0x%x)", start);
	test_check(info + sizeof(*mbi) <= start || info >= end,
	           "the boot information lies outside the image");
	test_check((mbi->flags & MULTIBOOT_INFO_MEMORY) && mbi->mem_lower >= 600 &&
	               mbi->mem_upper > 1024,
	           "memory information (%u KiB low, %u KiB high)", mbi->mem_lower, mbi->mem_upper);
	const char *cmdline = multiboot_cmdline(mbi);
	test_check(multiboot_cmdline_has(mbi, "greeting"), "command line '%s'", cmdline);
	uint32_t cl = mbi->cmdline;
	test_check(cl + 64 <= start || cl >= end, "the command line lies outside the image");
	bool intact = true;
	for (unsigned i = 0; i < PATTERN_WORDS; i++)
		intact &= pattern[i] == 0x10adf00d;
	test_check(intact, "the image's data arrived intact");
}
