/* Polled output on the COM1 16550 UART at I/O port 0x3f8. */
#ifndef GUESTS_LIB_SERIAL_H
#define GUESTS_LIB_SERIAL_H

#include "kernel/types.h"

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);

#endif
