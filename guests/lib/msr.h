/* RDMSR and WRMSR that survive a #GP: they arm the exception fixup of guests/lib/idt.h around the
 * one instruction and return the vector it raised, or -1 when it completed. Boot CPU only. */
#ifndef GUESTS_LIB_MSR_H
#define GUESTS_LIB_MSR_H

#include "guests/lib/idt.h"
#include "kernel/types.h"

static inline int msr_read_safe(uint32_t msr, uint64_t *value)
{
	uint32_t lo = 0, hi = 0;
	idt_fixup_vector = -1;
	__asm__ volatile("movl $1f, idt_fixup_eip\n\t"
	                 "rdmsr\n"
	                 "1:"
	                 : "+a"(lo), "+d"(hi)
	                 : "c"(msr)
	                 : "memory");
	*value = (uint64_t)hi << 32 | lo;
	return idt_fixup_take();
}

static inline int msr_write_safe(uint32_t msr, uint64_t value)
{
	idt_fixup_vector = -1;
	__asm__ volatile("movl $1f, idt_fixup_eip\n\t"
	                 "wrmsr\n"
	                 "1:" ::"c"(msr),
	                 "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
	                 : "memory");
	return idt_fixup_take();
}

#endif
