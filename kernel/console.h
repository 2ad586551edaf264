/* Console output: the serial port and, where the loader gave one, the framebuffer. Log levels are
 * chosen with the `log=` option. Printing takes a lock: never print on the VM-exit hot path. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include "kernel/types.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level console_level;

/* The serial console on this UART port (kernel/serial.h), before anything is printed. */
void console_init(uint16_t serial_port);
void console_write(const char *s, size_t n);
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
void log_at(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses "error|warn|info|debug"; returns false for anything else. */
bool console_parse_level(const char *s, enum log_level *out);
/* After a panic: print without taking the lock, so a CPU that died holding it cannot block us. */
void console_break_lock(void);

#define pr_err(...) log_at(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...) log_at(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_at(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)

#endif
