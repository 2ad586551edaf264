/* x86 instructions the guests use, as inline functions: port I/O, CPUID, MSRs, the TSC, control of
 * the interrupt flag. 32-bit protected mode, paging off (guests/lib/boot.S). */
#ifndef GUESTS_LIB_X86_H
#define GUESTS_LIB_X86_H

#include "kernel/types.h"

/* MSR numbers (APM vol. 2 appendix A; SDM vol. 4 table 2-2) */
#define MSR_IA32_TSC       0x00000010u
#define MSR_IA32_APIC_BASE 0x0000001bu
#define MSR_IA32_MTRRCAP   0x000000feu
#define MSR_IA32_PAT       0x00000277u
#define MSR_EFER           0xc0000080u
#define APIC_BASE_BSP      BIT(8)  /* this CPU is the bootstrap processor */
#define APIC_BASE_ENABLE   BIT(11) /* xAPIC global enable */
#define EFER_SVME          BIT(12)

#define EFLAGS_IF BIT(9)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
	                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
	                 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* RDTSC is not ordered with earlier instructions; the LFENCE in front makes a measurement start
 * after the work before it has completed (APM vol. 3, RDTSC: "use LFENCE/MFENCE to serialize"). */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

/* STI's one-instruction interrupt shadow makes "sti; hlt" atomic: an interrupt that is already
 * pending is taken after HLT has started and wakes it, never between the two (SDM vol. 2, STI). */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

static inline void pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline uint32_t read_eflags(void)
{
	uint32_t v;
	__asm__ volatile("pushfl; popl %0" : "=r"(v));
	return v;
}

/* read_cr0()/write_cr0(), read_cr4()/write_cr4() */
#define GUEST_CR_ACCESS(n)                                                                         \
	static inline uint32_t read_cr##n(void)                                                    \
	{                                                                                          \
		uint32_t v;                                                                        \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                  \
		return v;                                                                          \
	}                                                                                          \
	static inline void write_cr##n(uint32_t v)                                                 \
	{                                                                                          \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                           \
	}
GUEST_CR_ACCESS(0)
GUEST_CR_ACCESS(2)
GUEST_CR_ACCESS(3)
GUEST_CR_ACCESS(4)
#undef GUEST_CR_ACCESS

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

#endif
