/* The interrupt descriptor table: one entry stub per vector (idt_entry.S) and C handlers
 * registered per vector. An exception without a handler and without a fixup ends the test as
 * failed, after printing the vector, error code and EIP. */
#ifndef GUESTS_LIB_IDT_H
#define GUESTS_LIB_IDT_H

#include "kernel/types.h"

#define IDT_VECTORS 256

/* exception vectors (SDM vol. 3, table 6-1) */
#define VEC_DE              0
#define VEC_DB              1
#define VEC_NMI             2
#define VEC_BP              3
#define VEC_UD              6
#define VEC_DF              8
#define VEC_GP              13
#define VEC_PF              14
#define VEC_FIRST_INTERRUPT 32

/* The stack at the entry of a C handler: the stub pushed the vector, a zero error code for
 * vectors without one, and PUSHAL; the CPU pushed EFLAGS, CS, EIP (no stack switch at CPL 0).
 * A handler may change eip (to skip a faulting instruction) and the general registers. */
struct trap_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax; /* 0x00: PUSHAL order */
	uint32_t vector;                                 /* 0x20 */
	uint32_t error_code;                             /* 0x24 */
	uint32_t eip;                                    /* 0x28 */
	uint32_t cs;                                     /* 0x2c */
	uint32_t eflags;                                 /* 0x30 */
};
_Static_assert(offsetof(struct trap_frame, vector) == 0x20, "trap_frame layout");
_Static_assert(offsetof(struct trap_frame, eip) == 0x28, "trap_frame layout");

typedef void (*idt_handler_fn)(struct trap_frame *frame);

/* Builds the table (boot CPU, once) and loads it on this CPU. */
void idt_init(void);

/* Loads the already built table on this CPU (the other CPUs, at start). */
void idt_load(void);

/* Routes a vector to fn, for every CPU; NULL restores the default (fatal for exceptions and
 * unexpected interrupts). Interrupt handlers send their own EOI. */
void idt_set_handler(unsigned vector, idt_handler_fn fn);

/* Exception fixup, for instructions expected to fault: idt_fixup_arm(resume) makes the next
 * exception without a handler resume at EIP resume instead of failing, and records its vector for
 * idt_fixup_take(). One CPU at a time. See msr_read_safe()/msr_write_safe() in guests/lib/msr.h. */
extern volatile uint32_t idt_fixup_eip;
extern volatile int idt_fixup_vector;

/* The vector taken since the fixup was armed (and disarms it), or -1 when nothing faulted. */
int idt_fixup_take(void);

#endif
