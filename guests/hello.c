/* The smallest guest: prints a greeting and checks what the Multiboot loader passed (memory sizes,
 * the command line "greeting=hello" given by the test). */
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"

const char guest_name[] = "hello";

void guest_main(const struct multiboot_info *mbi)
{
	printf("hello from a doorbell test guest\n");
	test_check(mbi->flags & MULTIBOOT_INFO_MEMORY, "multiboot memory information present");
	test_check(mbi->mem_upper > 0, "mem_upper > 0");
	test_check(mbi->mem_lower <= 640, "mem_lower within 640 KiB");
	test_check(mbi->flags & MULTIBOOT_INFO_CMDLINE, "multiboot command line present");
	test_check(multiboot_cmdline_has(mbi, "greeting"), "command line carries greeting=hello");
	test_check(multiboot_cmdline_uint(mbi, "answer", 0) == 42,
	           "command line carries answer=42");
	printf("info: mem_lower %u KiB, mem_upper %u KiB, command line '%s'\n", mbi->mem_lower,
	       mbi->mem_upper, multiboot_cmdline(mbi));
}
