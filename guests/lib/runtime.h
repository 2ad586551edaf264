/* What a guest provides to the runtime, and what the runtime has set up before calling it: the
 * serial port, the IDT on the boot CPU, its local APIC enabled with the 8259 PICs masked,
 * interrupts disabled. When guest_main returns, the runtime calls test_done(). */
#ifndef GUESTS_LIB_RUNTIME_H
#define GUESTS_LIB_RUNTIME_H

#include "guests/lib/multiboot.h"

void guest_main(const struct multiboot_info *mbi);

/* Called by boot.S with the loader's EAX and EBX. */
NORETURN void runtime_start(uint32_t magic, const struct multiboot_info *mbi);

#endif
