/* The host's COM1 16550 UART, 115200 8N1, polled. */
#ifndef KERNEL_SERIAL_H
#define KERNEL_SERIAL_H

#include "kernel/types.h"

void serial_init(void);
void serial_putc(char c);
/* Waits until every byte written has left the UART (before a reset or power-off). */
void serial_flush(void);

#endif
