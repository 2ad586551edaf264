/* Stopping the machine when the hypervisor itself fails. Under QEMU the machine exits through
 * isa-debug-exit with QEMU_EXIT_PANIC so that tests see a failing status; on real hardware every
 * CPU halts with the message on the console. */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include "kernel/types.h"

NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For handlers that print their own report: begin stops the other CPUs, end exits. */
void panic_begin(void);
NORETURN void panic_end(void);
bool panic_in_progress(void);
NORETURN void panic_park(void);

#define BUG_ON(cond)                                                                               \
	do {                                                                                       \
		if (__builtin_expect(!!(cond), 0))                                                 \
			panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);                   \
	} while (0)

#endif
