/* Segment descriptors, the 64-bit TSS and the IDT (AMD APM vol. 2 §4.8, §8.9, §12.2.5). The
 * hypervisor runs in ring 0 only; segmentation is flat. Each CPU has its own GDT and TSS; the IDT
 * is shared. The IST stacks give NMI, #DF and #MC a known-good stack even when the current one
 * is corrupt or overflowed into its guard page. */
#ifndef KERNEL_DESC_H
#define KERNEL_DESC_H

#include "kernel/types.h"

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS 0x18

#define IST_NMI 1
#define IST_DF 2
#define IST_MC 3
#define IST_COUNT 3

struct tss {
	uint32_t reserved0; /* 0x00 */
	uint64_t rsp[3];    /* 0x04 */
	uint64_t reserved1; /* 0x1c */
	uint64_t ist[7];    /* 0x24: ist[0] is IST1 */
	uint64_t reserved2; /* 0x5c */
	uint16_t reserved3; /* 0x64 */
	uint16_t iomap;     /* 0x66 */
} PACKED;
_Static_assert(sizeof(struct tss) == 0x68, "64-bit TSS is 104 bytes");

struct gdt {
	uint64_t entry[5]; /* null, code64, data, TSS (two slots) */
} __attribute__((aligned(16)));

void desc_init_cpu(struct gdt *gdt, struct tss *tss); /* builds and loads GDT, TSS, IDT */
void desc_init_idt(void);                            /* once, on the boot CPU */

#endif
