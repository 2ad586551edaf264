#include "guests/lib/multiboot.h"
#include "kernel/string.h"

const char *multiboot_cmdline(const struct multiboot_info *mbi)
{
	if (!mbi || !(mbi->flags & MULTIBOOT_INFO_CMDLINE) || !mbi->cmdline)
		return "";
	return (const char *)(uintptr_t)mbi->cmdline;
}

/* The start of the value of word "key" (just past "key" itself: '=' or the word's end), or NULL. */
static const char *find_word(const char *line, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = line; *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, n) && (p[n] == '=' || p[n] == ' ' || p[n] == '\0'))
			return p + n;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

bool multiboot_cmdline_has(const struct multiboot_info *mbi, const char *key)
{
	return find_word(multiboot_cmdline(mbi), key) != NULL;
}

static int digit_value(char c, unsigned base)
{
	int d = -1;
	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	return d >= 0 && (unsigned)d < base ? d : -1;
}

uint32_t multiboot_cmdline_uint(const struct multiboot_info *mbi, const char *key,
                                uint32_t fallback)
{
	const char *p = find_word(multiboot_cmdline(mbi), key);
	if (!p || *p != '=')
		return fallback;
	p++;
	unsigned base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	uint32_t v = 0;
	int d, digits = 0;
	for (; (d = digit_value(*p, base)) >= 0; p++, digits++)
		v = v * base + (uint32_t)d;
	if (!digits || (*p != ' ' && *p != '\0'))
		return fallback;
	return v;
}
