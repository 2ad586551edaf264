#include "kernel/cmdline.h"

#define CMDLINE_KEY_MAX 32
#define CMDLINE_VALUE_MAX 256

void cmdline_each(const char *line, cmdline_fn fn, void *ctx)
{
	char key[CMDLINE_KEY_MAX], value[CMDLINE_VALUE_MAX];
	const char *p = line;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		/* GRUB re-quotes a whole word that contains spaces: "args=a b" */
		bool word_quoted = *p == '"';
		if (word_quoted)
			p++;
		size_t k = 0, v = 0;
		while (*p && *p != '=' && *p != ' ' && *p != '\t' && *p != '"') {
			if (k < sizeof(key) - 1)
				key[k++] = *p;
			p++;
		}
		key[k] = 0;
		if (*p == '=') {
			p++;
			/* a value in double quotes may contain spaces: args="-smp 2" */
			bool quoted = word_quoted || *p == '"';
			if (!word_quoted && *p == '"')
				p++;
			while (*p && (quoted ? *p != '"' : (*p != ' ' && *p != '\t'))) {
				if (v < sizeof(value) - 1)
					value[v++] = *p;
				p++;
			}
		}
		if (*p == '"')
			p++;
		value[v] = 0;
		if (!fn(ctx, key, value))
			return;
	}
}

/* Reads the decimal or 0x/0X-prefixed number at s, as many digits of its base as there are (no
 * length limit: leading zeros are fine). Returns where it stopped, or NULL when there is no
 * digit or the value does not fit 64 bits. Shared by numbers and sizes, so that a size takes
 * every number a number does (the fuzz target cmdline found mem=0X4000000, mem=0x400000C and a
 * size with 33 digits, leading zeros, refused while cpus= took them). */
static const char *cmdline_number(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	const char *start = s;
	for (;; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return NULL;
		v = v * base + d;
	}
	if (s == start)
		return NULL;
	*out = v;
	return s;
}

bool cmdline_parse_uint(const char *s, uint64_t *out)
{
	uint64_t v;
	const char *end = cmdline_number(s, &v);
	if (!end || *end)
		return false;
	*out = v;
	return true;
}

bool cmdline_parse_size(const char *s, uint64_t *out)
{
	uint64_t v, shift = 0;
	const char *end = cmdline_number(s, &v);
	if (!end)
		return false;
	switch (*end) {
	case 0:
		break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default:
		return false;
	}
	if (*end && end[1])
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

/* One to 'max_digits' hexadecimal digits up to 'end'; *s is left after them. */
static bool parse_hex_part(const char **s, unsigned max_digits, char end, unsigned *out)
{
	unsigned v = 0, n = 0;
	for (; **s && **s != end; (*s)++, n++) {
		char c = **s;
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		v = v * 16 + d;
	}
	if (n == 0 || n > max_digits || **s != end)
		return false;
	if (end)
		(*s)++;
	*out = v;
	return true;
}

bool cmdline_parse_pci_address(const char *s, uint16_t *bdf)
{
	unsigned bus, dev, fn;
	if (!parse_hex_part(&s, 2, ':', &bus) || !parse_hex_part(&s, 2, '.', &dev) ||
	    !parse_hex_part(&s, 1, 0, &fn) || dev > 0x1f || fn > 7)
		return false;
	*bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
	return true;
}
