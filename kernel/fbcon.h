/* Text console on a linear 32-bit framebuffer (UEFI GOP or a Multiboot2 framebuffer tag), for
 * real hardware without a serial port. The 8-pixel-wide font is generated at build time from
 * Debian's console fonts (tools/psf2c.py). */
#ifndef KERNEL_FBCON_H
#define KERNEL_FBCON_H

#include "kernel/types.h"

struct boot_framebuffer;

extern const unsigned fbcon_font_height;
extern const unsigned char fbcon_font[];

/* Whether the framebuffer can be drawn to once paging_init() has run (kernel/paging.h): below
 * the identity map's end it is mapped already; above it (a 64-bit GOP BAR with Above-4G
 * decoding) it must be mapped first, uncached, or fbcon would fault before the IDT exists;
 * refused, with *why, when it is not one fbcon can draw on or its size is implausible. */
enum fbcon_mapping {
	FBCON_NONE,        /* no framebuffer */
	FBCON_MAPPED,      /* inside the identity map */
	FBCON_MAP_UNCACHED, /* above it: paging_map_mmio() first */
	FBCON_REFUSED,
};
#define FBCON_MAX_BYTES (512ull << 20)
enum fbcon_mapping fbcon_mapping(const struct boot_framebuffer *fb, uint64_t identity_top,
				 const char **why);
/* Bytes the framebuffer spans: pitch * height. */
uint64_t fbcon_bytes(const struct boot_framebuffer *fb);

/* Clears the screen and starts drawing; only for FBCON_MAPPED or a mapped FBCON_MAP_UNCACHED. */
void fbcon_init(const struct boot_framebuffer *fb);
void fbcon_putc(char c);

#endif
