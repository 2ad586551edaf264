/* The host's console UART (COM1, or COM2 with console=com2), a 16550 at 115200 8N1, polled. */
#ifndef KERNEL_SERIAL_H
#define KERNEL_SERIAL_H

#include "kernel/types.h"

#define SERIAL_COM1 0x3f8
#define SERIAL_COM2 0x2f8

void serial_init(uint16_t port);
void serial_putc(char c);
/* Waits until every byte written has left the UART (before a reset or power-off). */
void serial_flush(void);

#endif
