/*
 * Serial console (16550 at 0x3f8), isa-debug-exit and PCI configuration
 * mechanism #1 (ports 0xcf8/0xcfc) for the platform probes.
 */
#include "tests/platform/hw.h"

#define COM1          0x3f8
#define UART_LSR      5
#define UART_LSR_THRE 0x20
#define PCI_ADDR      0xcf8
#define PCI_DATA      0xcfc
#define PCI_CAP_PTR   0x34

void hw_serial_init(void)
{
	hw_outb(COM1 + 1, 0x00); /* no interrupts */
	hw_outb(COM1 + 3, 0x80); /* DLAB */
	hw_outb(COM1 + 0, 0x01); /* 115200 baud */
	hw_outb(COM1 + 1, 0x00);
	hw_outb(COM1 + 3, 0x03); /* 8N1 */
}

static void hw_putc(char c)
{
	while (!(hw_inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	hw_outb(COM1, (uint8_t)c);
}

void hw_puts(const char *s)
{
	while (*s)
		hw_putc(*s++);
}

void hw_put_hex(uint64_t v)
{
	int shift;

	hw_puts("0x");
	for (shift = 60; shift > 0 && !(v >> shift); shift -= 4)
		;
	for (; shift >= 0; shift -= 4)
		hw_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

void hw_exit(uint32_t code)
{
	hw_outl(HW_DEBUG_EXIT_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void *hw_memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *hw_memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

/* The compiler may emit calls to these for struct copies and zeroing. */
void *memset(void *d, int c, size_t n)
{
	return hw_memset(d, c, n);
}

void *memcpy(void *d, const void *s, size_t n)
{
	return hw_memcpy(d, s, n);
}

uint32_t hw_pci_read32(unsigned bdf, unsigned off)
{
	hw_outl(PCI_ADDR, 0x80000000U | (bdf << 8) | (off & 0xfc));
	return hw_inl(PCI_DATA);
}

void hw_pci_write32(unsigned bdf, unsigned off, uint32_t v)
{
	hw_outl(PCI_ADDR, 0x80000000U | (bdf << 8) | (off & 0xfc));
	hw_outl(PCI_DATA, v);
}

/* BDF of the first function on bus 0 with this vendor/device, or -1 */
int hw_pci_find(uint16_t vendor, uint16_t device)
{
	unsigned bdf;

	for (bdf = 0; bdf < 256; bdf++)
		if (hw_pci_read32(bdf, 0) == ((uint32_t)device << 16 | vendor))
			return (int)bdf;
	return -1;
}

/* Config-space offset of capability @cap_id, or 0 */
unsigned hw_pci_find_cap(unsigned bdf, uint8_t cap_id)
{
	unsigned off = hw_pci_read32(bdf, PCI_CAP_PTR) & 0xfc;

	while (off) {
		uint32_t hdr = hw_pci_read32(bdf, off);

		if ((hdr & 0xff) == cap_id)
			return off;
		off = (hdr >> 8) & 0xfc;
	}
	return 0;
}

void hw_delay(unsigned loops)
{
	while (loops--)
		__asm__ volatile("pause");
}
