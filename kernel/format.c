#include "kernel/format.h"

struct out {
	char *buf;
	size_t size, len;
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_number(struct out *o, uint64_t v, bool negative, unsigned base, bool upper,
		       int width, int precision, bool left, bool zero)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (precision == 0 && n == 1 && tmp[0] == '0')
		n = 0;
	int digits_len = n > precision ? n : precision;
	int total = digits_len + (negative ? 1 : 0);
	if (!left && !(zero && precision < 0))
		out_pad(o, ' ', width - total);
	if (negative)
		out_char(o, '-');
	if (!left && zero && precision < 0)
		out_pad(o, '0', width - total);
	out_pad(o, '0', digits_len - n);
	while (n)
		out_char(o, tmp[--n]);
	if (left)
		out_pad(o, ' ', width - total);
}

int format_v(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		bool left = false, zero = false;
		int width = 0, precision = -1, length = 0;
		for (;; fmt++) {
			if (fmt[1] == '-')
				left = true;
			else if (fmt[1] == '0')
				zero = true;
			else
				break;
		}
		fmt++;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = true;
				width = -width;
			}
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			precision = 0;
			if (*fmt == '*') {
				precision = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				precision = precision * 10 + (*fmt++ - '0');
		}
		for (;; fmt++) {
			if (*fmt == 'h')
				length--;
			else if (*fmt == 'l' || *fmt == 'z')
				length++;
			else
				break;
		}
		uint64_t u;
		int64_t s;
		switch (*fmt) {
		case 'd':
		case 'i':
			s = length >= 2 ? va_arg(ap, long long)
			    : length == 1 ? va_arg(ap, long)
					  : va_arg(ap, int);
			if (length == -1)
				s = (short)s;
			else if (length <= -2)
				s = (signed char)s;
			out_number(&o, s < 0 ? -(uint64_t)s : (uint64_t)s, s < 0, 10, false, width,
				   precision, left, zero);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = length >= 2 ? va_arg(ap, unsigned long long)
			    : length == 1 ? va_arg(ap, unsigned long)
					  : va_arg(ap, unsigned);
			if (length == -1)
				u = (unsigned short)u;
			else if (length <= -2)
				u = (unsigned char)u;
			out_number(&o, u, false, *fmt == 'o' ? 8 : *fmt == 'u' ? 10 : 16, *fmt == 'X',
				   width, precision, left, zero);
			break;
		case 'p':
			out_char(&o, '0');
			out_char(&o, 'x');
			out_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, width,
				   precision, left, zero);
			break;
		case 'c':
			if (!left)
				out_pad(&o, ' ', width - 1);
			out_char(&o, (char)va_arg(ap, int));
			if (left)
				out_pad(&o, ' ', width - 1);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int n = 0;
			while (str[n] && (precision < 0 || n < precision))
				n++;
			if (!left)
				out_pad(&o, ' ', width - n);
			for (int i = 0; i < n; i++)
				out_char(&o, str[i]);
			if (left)
				out_pad(&o, ' ', width - n);
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			out_char(&o, '%');
			out_char(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = format_v(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
