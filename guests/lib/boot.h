/* Constants shared by the boot stub, the SMP trampoline and C code. */
#ifndef GUESTS_LIB_BOOT_H
#define GUESTS_LIB_BOOT_H

#define BOOT_CS         0x08 /* flat 32-bit code segment selector in boot_gdt */
#define BOOT_DS         0x10 /* flat data segment selector in boot_gdt */
#define BOOT_STACK_SIZE 16384
#define BOOT_GDT_SIZE   24 /* null, code, data descriptors */

#endif
