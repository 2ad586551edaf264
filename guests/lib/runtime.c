#include "guests/lib/runtime.h"
#include "guests/lib/apic.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/serial.h"
#include "guests/lib/test.h"

NORETURN void runtime_start(uint32_t magic, const struct multiboot_info *mbi)
{
	serial_init();
	idt_init();
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
		printf("guest-%s: not started by a Multiboot loader (EAX 0x%x)\n", guest_name,
		       magic);
		test_abort("bad multiboot magic");
	}
	apic_enable();
	guest_main(mbi);
	test_done();
}
