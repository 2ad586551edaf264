#include "guests/lib/printf.h"
#include "guests/lib/serial.h"
#include "kernel/format.h"
#include "kernel/spinlock.h"

#define PRINTF_BUFFER 256 /* longer output is truncated */

static struct spinlock print_lock = SPINLOCK_INIT;

static int print_buffer(const char *fmt, va_list ap, bool locked)
{
	char buf[PRINTF_BUFFER];
	int n = format_v(buf, sizeof(buf), fmt, ap);
	size_t len = n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	if (locked)
		spin_lock(&print_lock);
	serial_write(buf, len);
	if (locked)
		spin_unlock(&print_lock);
	return n;
}

int vprintf(const char *fmt, va_list ap)
{
	return print_buffer(fmt, ap, true);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = print_buffer(fmt, ap, true);
	va_end(ap);
	return n;
}

void printf_unlocked(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_buffer(fmt, ap, false);
	va_end(ap);
}
