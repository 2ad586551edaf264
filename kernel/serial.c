#include "kernel/serial.h"
#include "kernel/x86.h"

#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40 /* transmitter empty: FIFO and shift register */
#define UART_LCR_DLAB 0x80
#define UART_LCR_8N1 0x03
#define UART_BASE_CLOCK 115200

static bool serial_present;
static uint16_t uart = SERIAL_COM1; /* the console UART: COM1 or COM2 (console=) */

void serial_init(uint16_t port)
{
	uart = port;
	outb(uart + UART_IER, 0);
	outb(uart + UART_LCR, UART_LCR_DLAB);
	outb(uart + UART_DLL, UART_BASE_CLOCK / 115200);
	outb(uart + UART_DLM, 0);
	outb(uart + UART_LCR, UART_LCR_8N1);
	outb(uart + UART_FCR, 0x07); /* enable and clear FIFOs */
	outb(uart + UART_MCR, 0x03); /* DTR, RTS */
	/* A missing UART floats the bus: LSR reads as 0xff. Then we never wait on it. */
	serial_present = inb(uart + UART_LSR) != 0xff;
}

void serial_putc(char c)
{
	if (!serial_present)
		return;
	if (c == '\n')
		serial_putc('\r');
	for (unsigned spin = 0; spin < 100000; spin++) {
		if (inb(uart + UART_LSR) & UART_LSR_THRE)
			break;
	}
	outb(uart + UART_THR, (uint8_t)c);
}

void serial_flush(void)
{
	if (!serial_present)
		return;
	/* at 115200 baud the 16-byte FIFO drains in under 2 ms; bounded like serial_putc's wait */
	for (unsigned spin = 0; spin < 1000000; spin++) {
		if (inb(uart + UART_LSR) & UART_LSR_TEMT)
			break;
	}
}
