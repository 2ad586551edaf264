#include "kernel/desc.h"
#include "kernel/string.h"
#include "kernel/x86.h"

struct idt_entry {
	uint16_t offset_low; /* 0x00 */
	uint16_t selector;   /* 0x02 */
	uint8_t ist;         /* 0x04 */
	uint8_t type;        /* 0x05: P | DPL | type (0xE = 64-bit interrupt gate) */
	uint16_t offset_mid; /* 0x06 */
	uint32_t offset_high; /* 0x08 */
	uint32_t reserved;   /* 0x0c */
} PACKED;
_Static_assert(sizeof(struct idt_entry) == 16, "64-bit IDT gate is 16 bytes");

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} PACKED;

#define GATE_INTERRUPT 0x8e
#define TRAP_STUB_SIZE 16

extern char trap_stubs[];
static struct idt_entry idt[256] __attribute__((aligned(16)));

void desc_init_idt(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t addr = (uintptr_t)trap_stubs + v * TRAP_STUB_SIZE;
		idt[v] = (struct idt_entry){
			.offset_low = (uint16_t)addr,
			.selector = GDT_KERNEL_CS,
			.ist = v == VECTOR_NMI ? IST_NMI
			       : v == VECTOR_DF ? IST_DF
			       : v == VECTOR_MC ? IST_MC
						: 0,
			.type = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(addr >> 16),
			.offset_high = (uint32_t)(addr >> 32),
		};
	}
}

void desc_init_cpu(struct gdt *gdt, struct tss *tss)
{
	uint64_t base = (uintptr_t)tss;
	uint64_t limit = sizeof(*tss) - 1;
	gdt->entry[0] = 0;
	gdt->entry[1] = 0x00209a0000000000ull; /* code: P, DPL0, L=1 */
	gdt->entry[2] = 0x0000920000000000ull; /* data: P, writable */
	/* 64-bit available TSS (type 9), 16 bytes (APM §4.8.3) */
	gdt->entry[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
			(((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt->entry[4] = base >> 32;
	tss->iomap = sizeof(*tss); /* no I/O permission bitmap */

	struct desc_ptr gdtr = {sizeof(*gdt) - 1, (uintptr_t)gdt};
	struct desc_ptr idtr = {sizeof(idt) - 1, (uintptr_t)idt};
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 :
			 : "m"(gdtr), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" ::"r"(GDT_TSS));
	__asm__ volatile("lidt %0" ::"m"(idtr));
}
