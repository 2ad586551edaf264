// sources: kernel/fbcon.c kernel/string.c
/* The screen console (kernel/fbcon.h): whether a framebuffer is drawn to as mapped, mapped first
 * (a synthetic GOP framebuffer of a discrete GPU above RAM and above 4 GiB, as with Above-4G
 * decoding), or refused; and drawing and scrolling on a framebuffer in host memory. */
#include "kernel/boot_info.h"
#include "kernel/fbcon.h"
#include "tests/unit/check.h"
#include <stdlib.h>
#include <string.h>

/* a font of solid glyphs, 16 lines high */
const unsigned fbcon_font_height = 16;
const unsigned char fbcon_font[128 * 16] = {[0 ... 128 * 16 - 1] = 0xff};

#define GIB (1ull << 30)

static void test_mapping(void)
{
	const char *why;
	/* QEMU's GOP (OVMF, stdvga BAR below 4 GiB) with an identity map to 4 GiB */
	struct boot_framebuffer fb = {true, 0xc0000000, 1280, 800, 5120, 32};
	CHECK_EQ(fbcon_mapping(&fb, 4 * GIB, &why), FBCON_MAPPED);
	CHECK(why == NULL);
	/* a discrete GPU's 64-bit BAR above 64 GiB of RAM (Above-4G decoding) */
	struct boot_framebuffer high = {true, 0x7c00000000ull, 3840, 2160, 15360, 32};
	CHECK_EQ(fbcon_mapping(&high, 64 * GIB + 4 * GIB, &why), FBCON_MAP_UNCACHED);
	CHECK_EQ(fbcon_bytes(&high), 15360ull * 2160);
	/* straddling the end of the map: its tail would fault */
	struct boot_framebuffer straddle = {true, 4 * GIB - 4096, 1024, 768, 4096, 32};
	CHECK_EQ(fbcon_mapping(&straddle, 4 * GIB, &why), FBCON_MAP_UNCACHED);
	/* ends exactly at the map's end: mapped */
	struct boot_framebuffer fits = {true, 4 * GIB - 4096 * 768, 1024, 768, 4096, 32};
	CHECK_EQ(fbcon_mapping(&fits, 4 * GIB, &why), FBCON_MAPPED);
	/* none */
	struct boot_framebuffer none = {0};
	CHECK_EQ(fbcon_mapping(&none, 4 * GIB, &why), FBCON_NONE);
	/* refused, saying why */
	struct boot_framebuffer bpp24 = {true, 0xc0000000, 1024, 768, 3072, 24};
	CHECK_EQ(fbcon_mapping(&bpp24, 4 * GIB, &why), FBCON_REFUSED);
	CHECK(why && strstr(why, "32 bits per pixel"));
	struct boot_framebuffer pitch = {true, 0xc0000000, 1024, 768, 1024, 32};
	CHECK_EQ(fbcon_mapping(&pitch, 4 * GIB, &why), FBCON_REFUSED);
	struct boot_framebuffer huge = {true, 0x7c00000000ull, 65535, 65535, 262140, 32};
	CHECK_EQ(fbcon_mapping(&huge, 4 * GIB, &why), FBCON_REFUSED);
	CHECK(why && strstr(why, "512 MiB"));
	struct boot_framebuffer wraps = {true, ~0ull - 4095, 1024, 768, 4096, 32};
	CHECK_EQ(fbcon_mapping(&wraps, 4 * GIB, &why), FBCON_REFUSED);
	struct boot_framebuffer beyond = {true, 1ull << 52, 1024, 768, 4096, 32};
	CHECK_EQ(fbcon_mapping(&beyond, 4 * GIB, &why), FBCON_REFUSED);
}

/* 8x16 glyphs on a 32x48 screen: 4 columns, 3 rows */
static void test_draw_and_scroll(void)
{
	enum { W = 32, H = 48, PITCH = W * 4 };
	uint32_t *px = calloc(W * H, 4);
	struct boot_framebuffer fb = {true, (uint64_t)(uintptr_t)px, W, H, PITCH, 32};
	fbcon_init(&fb);
	fbcon_putc('A');
	CHECK(px[0] != 0 && px[7] != 0);   /* first glyph drawn */
	CHECK_EQ(px[8], 0);                 /* second cell empty */
	fbcon_putc('\n');
	fbcon_putc('\n');
	fbcon_putc('B'); /* row 2, the last */
	CHECK(px[32 * W] != 0);
	fbcon_putc('\n'); /* scrolls: row 0 now holds what row 1 had (nothing) */
	CHECK_EQ(px[0], 0);
	CHECK(px[16 * W] != 0); /* 'B' moved up to row 1 */
	CHECK_EQ(px[32 * W], 0);
	free(px);
}

int main(void)
{
	test_mapping();
	test_draw_and_scroll();
	return check_summary("fbcon");
}
