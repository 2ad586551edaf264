/* Exceptions and interrupts taken by the hypervisor itself. */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H

#include "kernel/types.h"

/* The frame trap_entry.S builds on the stack; the CPU's part starts at 'vector'. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8; /* 0x00 */
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;    /* 0x40 */
	uint64_t vector;                              /* 0x78 */
	uint64_t error_code;                          /* 0x80: 0 when the CPU pushes none */
	uint64_t rip, cs, rflags, rsp, ss;            /* 0x88 */
};
_Static_assert(sizeof(struct trap_frame) == 0xb0, "trap_frame layout is used by trap_entry.S");

/* Vectors of the hypervisor's own interrupts. */
#define VECTOR_TIMER 0xec   /* host LAPIC timer: scheduler tick */
#define VECTOR_KICK 0xed    /* "re-evaluate": a vCPU became runnable or got an interrupt */
#define VECTOR_CALL 0xee    /* cross-CPU function call */
#define VECTOR_IOMMU 0xef   /* IOMMU event / GA log interrupts */
#define VECTOR_SPURIOUS 0xff

typedef void (*irq_handler_fn)(struct trap_frame *f);
void trap_set_handler(uint8_t vector, irq_handler_fn fn);

void trap_dispatch(struct trap_frame *f);
/* Prints every register, CR2 and a backtrace. */
void trap_dump(const struct trap_frame *f);
void backtrace_print(uint64_t rbp);

#endif
