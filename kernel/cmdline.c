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

bool cmdline_parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static bool cmdline_is_hex_letter(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The number is every digit (and for 0x/0X, hex letter) before the unit: the numbers
 * cmdline_parse_uint() reads, 0X and upper-case hex digits included (the fuzz target cmdline
 * found "mem=0X4000000" and "mem=0x400000C" refused while "cpus=" took them). */
bool cmdline_parse_size(const char *s, uint64_t *out)
{
	char digits[24];
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	size_t n = 0;
	if (hex) {
		digits[n++] = '0';
		digits[n++] = 'x';
	}
	while (s[n] && n < sizeof(digits) - 1 &&
	       ((s[n] >= '0' && s[n] <= '9') || (hex && cmdline_is_hex_letter(s[n])))) {
		digits[n] = s[n];
		n++;
	}
	digits[n] = 0;
	uint64_t v, shift = 0;
	if (!cmdline_parse_uint(digits, &v))
		return false;
	switch (s[n]) {
	case 0:
		break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default:
		return false;
	}
	if (s[n] && s[n + 1])
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
