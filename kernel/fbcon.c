#include "kernel/fbcon.h"
#include "kernel/boot_info.h"
#include "kernel/string.h"

#define FBCON_FG 0x00c0c0c0u
#define FBCON_GLYPH_WIDTH 8

static struct {
	uint8_t *base;
	uint32_t pitch, width, height;
	unsigned cols, rows, col, row;
} fbcon;

uint64_t fbcon_bytes(const struct boot_framebuffer *fb)
{
	return (uint64_t)fb->pitch * fb->height;
}

enum fbcon_mapping fbcon_mapping(const struct boot_framebuffer *fb, uint64_t identity_top,
				 const char **why)
{
	*why = NULL;
	if (!fb->present || !fb->base)
		return FBCON_NONE;
	uint64_t bytes = fbcon_bytes(fb);
	if (fb->bpp != 32)
		*why = "not 32 bits per pixel";
	else if (!fb->width || !fb->height || (uint64_t)fb->width * 4 > fb->pitch)
		*why = "its width, height and pitch do not describe a 32-bit screen";
	else if (bytes > FBCON_MAX_BYTES)
		*why = "larger than 512 MiB";
	else if (fb->base + bytes < fb->base || fb->base + bytes > (1ull << 52))
		*why = "beyond the physical address space";
	if (*why)
		return FBCON_REFUSED;
	return fb->base + bytes <= identity_top ? FBCON_MAPPED : FBCON_MAP_UNCACHED;
}

void fbcon_init(const struct boot_framebuffer *fb)
{
	if (!fb->present || fb->bpp != 32 || !fb->base)
		return;
	fbcon.base = (uint8_t *)(uintptr_t)fb->base;
	fbcon.pitch = fb->pitch;
	fbcon.width = fb->width;
	fbcon.height = fb->height;
	fbcon.cols = fb->width / FBCON_GLYPH_WIDTH;
	fbcon.rows = fb->height / fbcon_font_height;
	fbcon.col = fbcon.row = 0;
	for (uint32_t y = 0; y < fb->height; y++)
		memset(fbcon.base + (uint64_t)y * fbcon.pitch, 0, fb->width * 4);
}

static void fbcon_scroll(void)
{
	uint64_t line = (uint64_t)fbcon.pitch * fbcon_font_height;
	memmove(fbcon.base, fbcon.base + line, line * (fbcon.rows - 1));
	memset(fbcon.base + line * (fbcon.rows - 1), 0, line);
}

static void fbcon_draw(unsigned col, unsigned row, unsigned char c)
{
	const unsigned char *glyph = &fbcon_font[(c & 0x7f) * fbcon_font_height];
	for (unsigned y = 0; y < fbcon_font_height; y++) {
		uint32_t *px = (uint32_t *)(fbcon.base +
					    (uint64_t)(row * fbcon_font_height + y) * fbcon.pitch) +
			       col * FBCON_GLYPH_WIDTH;
		for (unsigned x = 0; x < FBCON_GLYPH_WIDTH; x++)
			px[x] = (glyph[y] & (0x80 >> x)) ? FBCON_FG : 0;
	}
}

void fbcon_putc(char c)
{
	if (!fbcon.base)
		return;
	if (c == '\n') {
		fbcon.col = 0;
		fbcon.row++;
	} else if (c != '\r') {
		fbcon_draw(fbcon.col, fbcon.row, (unsigned char)c);
		if (++fbcon.col == fbcon.cols) {
			fbcon.col = 0;
			fbcon.row++;
		}
	}
	if (fbcon.row == fbcon.rows) {
		fbcon_scroll();
		fbcon.row--;
	}
}
