/* printf-style formatting into a buffer. Supports %d %i %u %x %X %o %c %s %p %% with the length
 * modifiers hh h l ll z, flags '-' '0' and a width/precision (numbers or '*'). Pure, so the host
 * unit tests exercise the same code the hypervisor prints with. */
#ifndef KERNEL_FORMAT_H
#define KERNEL_FORMAT_H

#include "kernel/types.h"

/* Returns the number of characters the full output needs (like vsnprintf); the buffer is always
 * terminated when size > 0. */
int format_v(char *buf, size_t size, const char *fmt, va_list ap);
int format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
