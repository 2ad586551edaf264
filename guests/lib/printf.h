/* printf on the serial port, formatted by kernel/format.c (the hypervisor's own formatter), so
 * the conversions are the ones listed in kernel/format.h. On i386 its 'll' modifier reads a 32-bit
 * long, so guests print 64-bit values as two 32-bit halves or after a cast to uint32_t. Lines from
 * different CPUs do not mix: a whole call is printed under one lock. Not for NMI handlers (the lock
 * may be held). */
#ifndef GUESTS_LIB_PRINTF_H
#define GUESTS_LIB_PRINTF_H

#include "kernel/types.h"

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

/* For the fatal path only: prints without taking the lock, which the dying CPU may hold. */
void printf_unlocked(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
