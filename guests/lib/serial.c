/* 16550 UART registers (National Semiconductor PC16550D data sheet, table II). */
#include "guests/lib/serial.h"
#include "guests/lib/x86.h"

#define COM1     0x3f8
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1        0x03
#define LCR_DLAB       0x80
#define FCR_ENABLE     0x07 /* enable and clear both FIFOs */
#define MCR_DTR_RTS    0x03
#define LSR_THRE       0x20 /* transmit holding register empty */
#define DIVISOR_115200 1    /* 1.8432 MHz / 16 / 115200 */

void serial_init(void)
{
	outb(COM1 + UART_IER, 0); /* polled: no UART interrupts */
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, DIVISOR_115200);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

void serial_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THRE))
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
