#include "kernel/console.h"
#include "kernel/fbcon.h"
#include "kernel/format.h"
#include "kernel/serial.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/x86.h"

enum log_level console_level = LOG_INFO;
static struct spinlock console_lock = SPINLOCK_INIT;
static bool console_lock_broken;

void console_init(uint16_t serial_port)
{
	serial_init(serial_port);
}

void console_break_lock(void)
{
	console_lock_broken = true;
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		serial_putc(s[i]);
		fbcon_putc(s[i]);
	}
}

void vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	int n = format_v(buf, sizeof(buf), fmt, ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	uint64_t flags = irq_save();
	bool locked = !console_lock_broken;
	if (locked)
		spin_lock(&console_lock);
	console_write(buf, (size_t)n);
	if (locked)
		spin_unlock(&console_lock);
	irq_restore(flags);
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void log_at(enum log_level level, const char *fmt, ...)
{
	if (level > console_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

bool console_parse_level(const char *s, enum log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}
