/* Freestanding ACPI table dumper for capturing QEMU's tables (see README.md in the parent folder).
 * Output lines, all starting with "ACPIDUMP ":
 *   RSDP <addr>              where the RSDP was found
 *   T <sig> <addr> <len>     a table starts; followed by D lines with up to 32 bytes of hex each
 *   END                      the walk is complete */
#include "acpidump.h"

#define COM1 0x3f8

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20)) /* LSR: transmitter holding register empty */
		;
	outb(COM1, (uint8_t)c);
}

void acpidump_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static void put_hex(uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--)
		serial_putc("0123456789abcdef"[(v >> (i * 4)) & 0xf]);
}

static uint32_t rd32(const volatile uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const volatile uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uintptr_t dumped[64];
static unsigned ndumped;

static void dump(const char *sig, uintptr_t addr, uint32_t len)
{
	const volatile uint8_t *p = (const volatile uint8_t *)addr;

	if (addr == 0 || len > 1024 * 1024)
		return;
	for (unsigned i = 0; i < ndumped; i++)
		if (dumped[i] == addr)
			return;
	if (ndumped < 64)
		dumped[ndumped++] = addr;
	acpidump_puts("ACPIDUMP T ");
	for (int i = 0; i < 4; i++)
		serial_putc(sig[i] > ' ' && sig[i] < 127 ? sig[i] : '_');
	serial_putc(' ');
	put_hex(addr, 16);
	serial_putc(' ');
	put_hex(len, 8);
	acpidump_puts("\r\n");
	for (uint32_t off = 0; off < len; off += 32) {
		acpidump_puts("ACPIDUMP D ");
		for (uint32_t i = off; i < len && i < off + 32; i++)
			put_hex(p[i], 2);
		acpidump_puts("\r\n");
	}
}

static void dump_table(uintptr_t addr)
{
	if (addr == 0)
		return;
	const volatile uint8_t *t = (const volatile uint8_t *)addr;
	char sig[4] = {t[0], t[1], t[2], t[3]};
	dump(sig, addr, rd32(t + 4));

	/* FADT: FIRMWARE_CTRL at 36, DSDT at 40, X_FIRMWARE_CTRL at 132, X_DSDT at 140. */
	if (sig[0] == 'F' && sig[1] == 'A' && sig[2] == 'C' && sig[3] == 'P') {
		uint32_t len = rd32(t + 4);
		uintptr_t facs = rd32(t + 36), dsdt = rd32(t + 40);
		if (len >= 148 && rd64(t + 132))
			facs = (uintptr_t)rd64(t + 132);
		if (len >= 148 && rd64(t + 140))
			dsdt = (uintptr_t)rd64(t + 140);
		if (facs)
			dump("FACS", facs, rd32((const volatile uint8_t *)facs + 4));
		if (dsdt)
			dump("DSDT", dsdt, rd32((const volatile uint8_t *)dsdt + 4));
	}
}

static void walk_sdt(uintptr_t sdt, unsigned entry_size)
{
	const volatile uint8_t *t = (const volatile uint8_t *)sdt;
	uint32_t len = rd32(t + 4);

	dump(entry_size == 4 ? "RSDT" : "XSDT", sdt, len);
	for (uint32_t off = 36; off + entry_size <= len; off += entry_size)
		dump_table(entry_size == 4 ? rd32(t + off) : (uintptr_t)rd64(t + off));
}

void acpidump_walk(uintptr_t rsdp)
{
	const volatile uint8_t *r = (const volatile uint8_t *)rsdp;

	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO on */

	acpidump_puts("\r\nACPIDUMP RSDP ");
	put_hex(rsdp, 16);
	acpidump_puts("\r\n");
	if (rsdp == 0)
		return;
	/* Revision at 15; RSDT address at 16; length at 20 and XSDT address at 24 if rev >= 2. */
	dump("RSD ", rsdp, r[15] >= 2 ? rd32(r + 20) : 20);
	if (r[15] >= 2 && rd64(r + 24))
		walk_sdt((uintptr_t)rd64(r + 24), 8);
	if (rd32(r + 16))
		walk_sdt(rd32(r + 16), 4);
	acpidump_puts("ACPIDUMP END\r\n");
}

static uintptr_t scan(uintptr_t start, uintptr_t end)
{
	for (uintptr_t a = start; a + 8 <= end; a += 16) {
		const volatile uint8_t *p = (const volatile uint8_t *)a;
		if (p[0] == 'R' && p[1] == 'S' && p[2] == 'D' && p[3] == ' ' && p[4] == 'P' &&
		    p[5] == 'T' && p[6] == 'R' && p[7] == ' ')
			return a;
	}
	return 0;
}

uintptr_t acpidump_find_rsdp_bios(void)
{
	/* The BDA word at 0x40e holds the EBDA segment. */
	uintptr_t ebda = (uintptr_t)(*(const volatile uint16_t *)0x40e) << 4;
	uintptr_t found = ebda ? scan(ebda, ebda + 1024) : 0;
	return found ? found : scan(0xe0000, 0x100000);
}

void acpidump_exit(void)
{
	__asm__ volatile("outl %0, %1" ::"a"(0u), "Nd"((uint16_t)0xf4));
}
