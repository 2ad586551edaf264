/*
 * Port I/O, MSRs, CPUID, serial output, PCI configuration space and the
 * isa-debug-exit result of the platform probes.
 */
#ifndef TESTS_PLATFORM_HW_H
#define TESTS_PLATFORM_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HW_PAGE_SIZE    4096
#define HW_PAGE_ALIGNED __attribute__((aligned(HW_PAGE_SIZE)))

/* isa-debug-exit at 0xf4: QEMU exits with (code << 1) | 1 */
#define HW_DEBUG_EXIT_PORT 0xf4
#define HW_EXIT_PASS       0x10 /* QEMU exit status 33 */
#define HW_EXIT_FAIL       0x11 /* QEMU exit status 35 */

#define MSR_EFER                    0xc0000080
#define EFER_SVME                   (1ULL << 12)
#define MSR_VM_HSAVE_PA             0xc0010117
#define MSR_AMD64_SVM_AVIC_DOORBELL 0xc001011b

/* Local APIC (xAPIC MMIO) of the host CPU, and the guest's APIC page */
#define APIC_BASE    0xfee00000ULL
#define APIC_ID      0x020
#define APIC_TPR     0x080
#define APIC_APR     0x090
#define APIC_PPR     0x0a0
#define APIC_EOI     0x0b0
#define APIC_LDR     0x0d0
#define APIC_DFR     0x0e0
#define APIC_SPIV    0x0f0
#define APIC_ISR     0x100
#define APIC_TMR     0x180
#define APIC_IRR     0x200
#define APIC_ICR_LO  0x300
#define APIC_ICR_HI  0x310
#define APIC_TMCCT   0x390
#define ICR_INIT     (5U << 8)
#define ICR_STARTUP  (6U << 8)
#define ICR_NMI      (4U << 8)
#define ICR_LOGICAL  (1U << 11)
#define ICR_ASSERT   (1U << 14)
#define ICR_LEVEL    (1U << 15)
#define ICR_SELF     (1U << 18)
#define ICR_ALL_EXCL (3U << 18)

static inline void hw_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t hw_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void hw_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t hw_inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t hw_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t hw_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void hw_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
	                 :
	                 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
	                 : "memory");
}

static inline void hw_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline uint32_t hw_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void hw_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline uint64_t hw_read64(uint64_t addr)
{
	return *(volatile uint64_t *)addr;
}

static inline void hw_write64(uint64_t addr, uint64_t v)
{
	*(volatile uint64_t *)addr = v;
}

/* Bit @vector of a 256-bit APIC register array (ISR, TMR, IRR) at @base */
static inline bool hw_apic_bit(uint64_t base, unsigned vector)
{
	return hw_read32(base + (vector / 32) * 0x10) & (1U << (vector % 32));
}

static inline void hw_apic_set_bit(uint64_t base, unsigned vector, bool on)
{
	uint64_t a = base + (vector / 32) * 0x10;
	uint32_t bit = 1U << (vector % 32);

	hw_write32(a, on ? (hw_read32(a) | bit) : (hw_read32(a) & ~bit));
}

void hw_serial_init(void);
void hw_puts(const char *s);
void hw_put_hex(uint64_t v);
__attribute__((noreturn)) void hw_exit(uint32_t code);
void *hw_memset(void *d, int c, size_t n);
void *hw_memcpy(void *d, const void *s, size_t n);
uint32_t hw_pci_read32(unsigned bdf, unsigned off);
void hw_pci_write32(unsigned bdf, unsigned off, uint32_t v);
int hw_pci_find(uint16_t vendor, uint16_t device);
unsigned hw_pci_find_cap(unsigned bdf, uint8_t cap_id);
void hw_delay(unsigned loops);

#endif
