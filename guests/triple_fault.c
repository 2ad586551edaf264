/* Loads an empty IDT (limit 0) and executes INT3: the #BP cannot be delivered (#GP), nor can the
 * #GP (#DF), nor the #DF, so the CPU shuts down (SDM vol. 3, 6.15, interrupt 8: "triple fault").
 * On QEMU with -no-reboot the machine then exits with status 0; doorbell stops the VM with a
 * reason. Reaching the line after INT3 is a failure. */
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"

const char guest_name[] = "triple_fault";

struct empty_idt_pointer {
	uint16_t limit;
	uint32_t base;
} PACKED;

void guest_main(const struct multiboot_info *mbi)
{
	(void)mbi;
	static const struct empty_idt_pointer empty = {0, 0};
	printf("triple_fault: loading an empty IDT and executing INT3\n");
	__asm__ volatile("lidt %0\n\tint3" ::"m"(empty) : "memory");
	test_check(false, "the CPU shut down at the triple fault");
}
