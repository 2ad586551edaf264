/* Text console on a linear 32-bit framebuffer (UEFI GOP or a Multiboot2 framebuffer tag), for
 * real hardware without a serial port. The 8-pixel-wide font is generated at build time from
 * Debian's console fonts (tools/psf2c.py). */
#ifndef KERNEL_FBCON_H
#define KERNEL_FBCON_H

#include "kernel/types.h"

struct boot_framebuffer;

extern const unsigned fbcon_font_height;
extern const unsigned char fbcon_font[];

void fbcon_init(const struct boot_framebuffer *fb);
void fbcon_putc(char c);

#endif
