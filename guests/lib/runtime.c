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
	/* One interrupt window with the PIC, LINT0 and the APIC timer masked, so nothing is taken:
	 * a hypervisor still waiting to inject a firmware PIC timer tick stops waiting here rather
	 * than at the first STI of this CPU, which some guests never execute. KVM keeps AVIC
	 * inhibited for the whole VM while it waits (docs/kvm.md, "IRQWIN"). The NOP ends the STI
	 * shadow (SDM vol. 2, STI) before CLI. */
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	guest_main(mbi);
	test_done();
}
