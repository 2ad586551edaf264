/* The PC platform a Multiboot kernel finds, checked the same way under QEMU (q35, its own devices)
 * and under doorbell (svm/platform/platform.c, pit.c, legacy.c, ioapic.c, guest_acpi.c): fw_cfg, the ACPI
 * tables, the IOAPIC, the UART's transmitter interrupt through IOAPIC pin 4, PIT channels 2 and
 * 0, the CMOS clock, the 8259 mask registers, port 0x80 and an unassigned port. Every wait is
 * bounded; every tolerance is stated where it is used and is wide enough for QEMU's TCG on a
 * loaded host, which deschedules vCPUs for milliseconds. */
#include "guests/lib/acpi_tables.h"
#include "guests/lib/apic.h"
#include "guests/lib/fwcfg.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"
#include "kernel/string.h"

const char guest_name[] = "platform";

#define FW_CFG_RAM_SIZE 0x03 /* little-endian u64 (QEMU docs/specs/fw_cfg.txt) */

/* 82093AA I/O APIC (datasheet 3.0, 3.2): index/data window, ID/version/redirection registers */
#define IOAPIC_ADDRESS          0xfec00000u
#define IOAPIC_IOREGSEL         0x00
#define IOAPIC_IOWIN            0x10
#define IOAPIC_VER              0x01
#define IOAPIC_REDTBL           0x10 /* two registers per pin: low, then high dword */
#define IOAPIC_VER_MAX_REDIR(v) (((v) >> 16) & 0xff)
#define IOAPIC_MIN_MAX_REDIR    23 /* 24 pins: ISA IRQs 0-15 and PCI INTx 16-23 */
#define IOAPIC_REDIR_MASKED     BIT(16)
#define IOAPIC_REDIR_LEVEL      BIT(15)
#define IOAPIC_REDIR_ACTIVE_LOW BIT(13)
#define IOAPIC_REDIR_DEST_SHIFT 24
#define IOAPIC_SPARE_PIN        7 /* ISA IRQ 7 (LPT1): no device behind it on q35 or doorbell */

/* MPS INTI flags of a MADT interrupt source override (ACPI 6.5 table 5.50) */
#define INTI_POLARITY(f) ((f)&3u)
#define INTI_TRIGGER(f)  (((f) >> 2) & 3u)
#define INTI_CONFORMING  0u
#define INTI_ACTIVE_HIGH 1u
#define INTI_EDGE        1u

/* 16550 UART (PC16550D data sheet, table II and IIR priorities) */
#define COM1          0x3f8
#define COM1_ISA_IRQ  4
#define UART_THR      0
#define UART_IER      1
#define UART_IIR      2
#define UART_IER_THRI 0x02
#define UART_IIR_ID   0x0f /* bits 7:6 reflect the FIFO enable and differ between 16450/16550 */
#define UART_IIR_NONE 0x01
#define UART_IIR_THRI 0x02
#define UART_VECTOR   0x44
#define UART_WAIT_US  1000000 /* an interrupt that needs longer counts as lost */

/* 8254 PIT (82C54 data sheet) and port 0x61 (PC/AT system control port B) */
#define PIT_HZ             1193182u
#define PIT_CH0            0x40
#define PIT_CH2            0x42
#define PIT_MODE           0x43
#define PIT_CH0_MODE2_LH   0x34 /* channel 0, low then high byte, mode 2 (rate generator) */
#define PIT_CH2_MODE0_LH   0xb0 /* channel 2, low then high byte, mode 0 (interrupt on count) */
#define PIT_LATCH_CH0      0x00 /* counter latch command for channel 0 */
#define PORT61             0x61
#define PORT61_GATE2       0x01
#define PORT61_SPEAKER     0x02
#define PORT61_OUT2        0x20
#define PIT_ONESHOT_US     20000 /* 23864 PIT ticks: fits the 16-bit counter */
#define PIT_ONESHOT_ROUNDS 3
#define PIT_LATCH_GAP_US   2000
#define PIT_LATCH_TRIES    5
#define PIT_LATCH_MAX_US   20000 /* a pair of latches further apart was descheduled: retry */

/* MC146818 RTC / CMOS (data sheet: registers A-D, update cycle) */
#define CMOS_INDEX       0x70
#define CMOS_DATA        0x71
#define CMOS_SECONDS     0x00
#define CMOS_STATUS_A    0x0a
#define CMOS_STATUS_B    0x0b
#define CMOS_A_UIP       0x80  /* update in progress: the time registers are not stable */
#define CMOS_B_BINARY    0x04  /* data mode: binary when set, BCD when clear */
#define CMOS_UIP_WAIT_US 20000 /* UIP stays set at most 244 us + 1984 us per update */
#define CMOS_DELAY_US    1100000

/* 8259A PIC (data sheet: ICW1-4, OCW1) */
#define PIC1_CMD       0x20
#define PIC1_DATA      0x21
#define PIC2_CMD       0xa0
#define PIC2_DATA      0xa1
#define PIC_ICW1_INIT  0x11 /* initialisation, ICW4 needed, cascade, edge */
#define PIC_ICW4_8086  0x01
#define PIC1_BASE      0x20
#define PIC2_BASE      0x28
#define PIC1_SLAVE_IR2 0x04 /* master: slave on IR2 */
#define PIC2_CASCADE_2 0x02 /* slave: its cascade identity */
#define PIC1_TEST_MASK 0xa5 /* IRQ 0 and the cascade stay masked */
#define PIC2_TEST_MASK 0x5a
#define PIC_ALL_MASKED 0xff

#define PORT_POST   0x80
#define UNUSED_PORT 0x3e0 /* nothing there on q35 (no PCMCIA controller, no COM3) */

static uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(IOAPIC_ADDRESS + IOAPIC_IOREGSEL, reg);
	return mmio_read32(IOAPIC_ADDRESS + IOAPIC_IOWIN);
}

static void ioapic_write(uint32_t reg, uint32_t value)
{
	mmio_write32(IOAPIC_ADDRESS + IOAPIC_IOREGSEL, reg);
	mmio_write32(IOAPIC_ADDRESS + IOAPIC_IOWIN, value);
}

static void ioapic_route(unsigned pin, uint32_t low, uint32_t high)
{
	ioapic_write(IOAPIC_REDTBL + 2 * pin + 1, high);
	ioapic_write(IOAPIC_REDTBL + 2 * pin, low);
}

/* The RSDP, root table and MADT, each checksum a check; fills *madt (zeroed when absent). */
static void acpi(struct acpi_tables_madt *madt)
{
	*madt = (struct acpi_tables_madt){0};
	const struct acpi_tables_rsdp *rsdp = acpi_tables_find_rsdp();
	if (!test_check(rsdp != NULL, "acpi: RSDP found in 0xE0000-0xFFFFF"))
		return;
	/* QEMU's SeaBIOS gives a revision 0 RSDP (RSDT only), doorbell revision 2 (XSDT too): one
	 * check either way, so that the count is the same on both */
	test_check(rsdp->revision == 0 || (rsdp->revision >= 2 && rsdp->length >= sizeof(*rsdp) &&
	                                   acpi_tables_sum(rsdp, rsdp->length) == 0),
	           "acpi: RSDP revision 0, or 2 with a valid extended checksum");
	bool xsdt;
	const struct acpi_sdt_header *root = acpi_tables_root(rsdp, &xsdt);
	printf("info: acpi: RSDP at 0x%x revision %u, %s at 0x%x\n", (uint32_t)(uintptr_t)rsdp,
	       rsdp->revision, xsdt ? "XSDT" : "RSDT", (uint32_t)(uintptr_t)root);
	if (!test_check(memcmp(root->signature, xsdt ? "XSDT" : "RSDT", 4) == 0 &&
	                    root->length >= sizeof(*root) &&
	                    acpi_tables_sum(root, root->length) == 0,
	                "acpi: root table signature and checksum"))
		return;
	const struct acpi_sdt_header *m = acpi_tables_find(root, xsdt, "APIC");
	if (!test_check(m != NULL && acpi_tables_sum(m, m->length) == 0,
	                "acpi: MADT listed, checksum valid"))
		return;
	acpi_tables_madt(m, madt);
	test_check(madt->entries_fit, "acpi: MADT entries well-formed");
	test_check(madt->cpus >= 1, "acpi: MADT lists at least one enabled CPU");
	test_check(madt->ioapics == 1 && madt->ioapic_address == IOAPIC_ADDRESS &&
	               madt->ioapic_gsi_base == 0,
	           "acpi: MADT lists one IOAPIC at 0xfec00000, GSI base 0");
	printf("info: acpi: %u CPU(s), %u IOAPIC(s) at 0x%x; ISA IRQ 4 is GSI %u flags 0x%x\n",
	       madt->cpus, madt->ioapics, madt->ioapic_address, madt->isa_gsi[COM1_ISA_IRQ],
	       madt->isa_flags[COM1_ISA_IRQ]);
}

static void fw_cfg(const struct multiboot_info *mbi, const struct acpi_tables_madt *madt)
{
	if (!test_check(fwcfg_present(), "fw_cfg: signature \"QEMU\""))
		return;
	uint8_t n[2];
	fwcfg_read(FW_CFG_NB_CPUS, n, sizeof(n));
	unsigned cpus = n[0] | (unsigned)n[1] << 8;
	test_check(cpus == madt->cpus, "fw_cfg: CPU count equals the CPUs the MADT lists");
	uint8_t r[8];
	fwcfg_read(FW_CFG_RAM_SIZE, r, sizeof(r));
	uint64_t ram = 0;
	for (unsigned i = 0; i < sizeof(r); i++)
		ram |= (uint64_t)r[i] << (8 * i);
	/* mem_upper counts from 1 MiB to the first hole, so the RAM is at least that plus 1 MiB */
	uint64_t multiboot = ((uint64_t)mbi->mem_upper + 1024) * 1024;
	printf("info: fw_cfg: %u CPU(s), RAM %u MiB; Multiboot mem_upper %u KiB\n", cpus,
	       (uint32_t)(ram >> 20), mbi->mem_upper);
	test_check((mbi->flags & MULTIBOOT_INFO_MEMORY) && ram >= multiboot,
	           "fw_cfg: RAM size covers the Multiboot memory above 1 MiB");
}

static void ioapic(void)
{
	uint32_t ver = ioapic_read(IOAPIC_VER);
	printf("info: ioapic: version register 0x%x\n", ver);
	test_check(IOAPIC_VER_MAX_REDIR(ver) >= IOAPIC_MIN_MAX_REDIR,
	           "ioapic: version register: at least 24 redirection entries");
	/* masked, so the spare pin sends nothing whatever its state */
	uint32_t low = IOAPIC_REDIR_MASKED | IOAPIC_REDIR_LEVEL | IOAPIC_REDIR_ACTIVE_LOW | 0x5a;
	uint32_t high = 3u << IOAPIC_REDIR_DEST_SHIFT;
	ioapic_route(IOAPIC_SPARE_PIN, low, high);
	uint32_t got_low = ioapic_read(IOAPIC_REDTBL + 2 * IOAPIC_SPARE_PIN);
	uint32_t got_high = ioapic_read(IOAPIC_REDTBL + 2 * IOAPIC_SPARE_PIN + 1);
	test_check(got_low == low && got_high == high,
	           "ioapic: redirection entry of pin %u reads back as written", IOAPIC_SPARE_PIN);
	ioapic_route(IOAPIC_SPARE_PIN, IOAPIC_REDIR_MASKED, 0);
}

static volatile uint32_t uart_irqs;
static volatile uint8_t uart_iir[2];

/* The first interrupt records IIR twice: reading THRE there acknowledges it (16550 data sheet,
 * IIR priority 3: cleared by reading IIR or writing THR), so the second read finds nothing. */
static void uart_interrupt(struct trap_frame *f)
{
	(void)f;
	if (uart_irqs == 0) {
		uart_iir[0] = inb(COM1 + UART_IIR) & UART_IIR_ID;
		uart_iir[1] = inb(COM1 + UART_IIR) & UART_IIR_ID;
	} else {
		(void)inb(COM1 + UART_IIR);
	}
	uart_irqs++;
	apic_eoi();
}

static bool uart_wait(void)
{
	uint64_t deadline = tsc_deadline(UART_WAIT_US);
	sti();
	while (!uart_irqs && !tsc_expired(deadline))
		pause();
	cli();
	return uart_irqs != 0;
}

/* Enabling THRE interrupts with an empty transmitter raises one at once; writing a byte raises
 * the next when the byte has gone. No printf runs while IER has THRE enabled: every byte of it
 * would interrupt. The byte written is the newline ending the info line printed before. */
static void uart(const struct acpi_tables_madt *madt)
{
	unsigned gsi = madt->isa_gsi[COM1_ISA_IRQ];
	uint16_t flags = madt->isa_flags[COM1_ISA_IRQ];
	/* ISA interrupts are edge-triggered, active high; an override may only confirm that here,
	 * as the UART's line is programmed the same way below */
	bool isa_default =
	    (INTI_POLARITY(flags) == INTI_CONFORMING || INTI_POLARITY(flags) == INTI_ACTIVE_HIGH) &&
	    (INTI_TRIGGER(flags) == INTI_CONFORMING || INTI_TRIGGER(flags) == INTI_EDGE);
	if (!test_check(madt->ioapics == 1 && gsi < IOAPIC_MIN_MAX_REDIR + 1 && isa_default,
	                "uart: ISA IRQ 4 reaches an IOAPIC pin, edge and active high"))
		return;
	idt_set_handler(UART_VECTOR, uart_interrupt);
	ioapic_route(gsi, UART_VECTOR, apic_id() << IOAPIC_REDIR_DEST_SHIFT);

	printf("info: uart: THRE interrupt on IOAPIC pin %u, vector 0x%x", gsi, UART_VECTOR);
	uart_irqs = 0;
	outb(COM1 + UART_IER, UART_IER_THRI);
	bool on_enable = uart_wait();
	uint8_t enable_iir[2] = {uart_iir[0], uart_iir[1]};
	uart_irqs = 0;
	outb(COM1 + UART_THR, '\n');
	bool on_write = uart_wait();
	outb(COM1 + UART_IER, 0);
	ioapic_route(gsi, IOAPIC_REDIR_MASKED, 0);
	idt_set_handler(UART_VECTOR, NULL);

	test_check(on_enable, "uart: enabling the THRE interrupt interrupts at once");
	test_check(on_enable && enable_iir[0] == UART_IIR_THRI && enable_iir[1] == UART_IIR_NONE,
	           "uart: IIR reads THRE (0x02) in that interrupt, then no interrupt (0x01)");
	test_check(on_write, "uart: writing a byte interrupts when the transmitter empties");
	test_check(on_write && uart_iir[0] == UART_IIR_THRI && uart_iir[1] == UART_IIR_NONE,
	           "uart: IIR reads THRE (0x02) in that interrupt, then no interrupt (0x01)");
}

/* TSC ticks while channel 2, gated by port 0x61, counts us in mode 0; 0 if OUT2 never rose within
 * 100 times that (by the TSC). */
static uint64_t pit_ch2_oneshot(uint32_t us)
{
	uint16_t count = (uint16_t)((uint64_t)PIT_HZ * us / 1000000);
	/* first: the first tsc_hz() call measures the TSC with channel 2 itself */
	uint64_t limit = tsc_deadline(100ull * us);
	outb(PORT61, (uint8_t)(inb(PORT61) & ~(PORT61_SPEAKER | PORT61_GATE2)));
	outb(PIT_MODE, PIT_CH2_MODE0_LH);
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	uint64_t start = rdtsc();
	outb(PORT61, (uint8_t)(inb(PORT61) | PORT61_GATE2)); /* the rising gate starts mode 0 */
	while (!(inb(PORT61) & PORT61_OUT2))
		if (tsc_expired(limit))
			return 0;
	uint64_t t = rdtsc() - start;
	outb(PORT61, (uint8_t)(inb(PORT61) & ~PORT61_GATE2));
	return t;
}

static uint16_t pit_ch0_latch(void)
{
	outb(PIT_MODE, PIT_LATCH_CH0);
	uint8_t lo = inb(PIT_CH0);
	return (uint16_t)(lo | inb(PIT_CH0) << 8);
}

static void pit(void)
{
	/* The shortest of a few rounds: a descheduled vCPU only makes a round longer. Accepted from
	 * 90 % (calibration error; a PIT must not run fast) to 200 % + 100 ms, the timer tolerance
	 * of guests/lib/timer_check.h. Under QEMU the TSC rate was itself measured with this
	 * channel, so this checks the gate, mode 0 and OUT2 more than the rate; doorbell reports
	 * its TSC rate by hypercall, which makes the rate check independent there. */
	uint64_t best = 0;
	for (int i = 0; i < PIT_ONESHOT_ROUNDS; i++) {
		uint64_t t = pit_ch2_oneshot(PIT_ONESHOT_US);
		if (t && (!best || t < best))
			best = t;
	}
	uint64_t us = tsc_to_us(best);
	printf("info: pit: channel 2 one-shot of %u us took %u us\n", PIT_ONESHOT_US, (uint32_t)us);
	test_check(
	    best && us * 100 >= PIT_ONESHOT_US * 90ull && us <= 2ull * PIT_ONESHOT_US + 100000,
	    "pit: channel 2 one-shot of 20 ms lasts 90 %% to 200 %% + 100 ms of it by the TSC");

	/* Channel 0 as the BIOS leaves it (mode 2, the full 65536 period, 55 ms), read with latch
	 * commands 2 ms apart by the TSC: the count must drop by the ticks of the TSC time between
	 * the latches, within 10 % + 1 ms (the exits around each latch); pairs further apart than
	 * 20 ms (a descheduled vCPU) are retried, so the count cannot have wrapped. */
	outb(PIT_MODE, PIT_CH0_MODE2_LH);
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);
	uint16_t c0 = 0, c1 = 0;
	uint64_t gap_us = 0;
	for (int i = 0; i < PIT_LATCH_TRIES; i++) {
		uint64_t t0 = rdtsc();
		c0 = pit_ch0_latch();
		tsc_delay_us(PIT_LATCH_GAP_US);
		c1 = pit_ch0_latch();
		gap_us = tsc_to_us(rdtsc() - t0);
		if (gap_us < PIT_LATCH_MAX_US)
			break;
	}
	uint32_t dropped = (uint16_t)(c0 - c1);
	uint32_t expected = (uint32_t)(gap_us * PIT_HZ / 1000000);
	printf(
	    "info: pit: channel 0 latched 0x%x then 0x%x: %u ticks down in %u us (%u expected)\n",
	    c0, c1, dropped, (uint32_t)gap_us, expected);
	test_check(
	    gap_us < PIT_LATCH_MAX_US && dropped * 10 >= expected * 9 - PIT_HZ / 100 &&
	        dropped * 10 <= expected * 11 + PIT_HZ / 100,
	    "pit: channel 0 counts down between two latch commands at 1.193 MHz (10 %% + 1 ms)");
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static unsigned bcd_value(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static bool bcd_valid(uint8_t v)
{
	return (v >> 4) < 6 && (v & 0xf) < 10;
}

/* The seconds register read outside an update: wait for UIP to clear, read, and accept the value
 * when UIP is still clear and a second read agrees (the update may start between the two).
 * -1 when UIP never clears within CMOS_UIP_WAIT_US. */
static int cmos_seconds(void)
{
	uint64_t deadline = tsc_deadline(CMOS_UIP_WAIT_US);
	while (!tsc_expired(deadline)) {
		if (cmos_read(CMOS_STATUS_A) & CMOS_A_UIP)
			continue;
		uint8_t s = cmos_read(CMOS_SECONDS);
		if (!(cmos_read(CMOS_STATUS_A) & CMOS_A_UIP) && cmos_read(CMOS_SECONDS) == s)
			return s;
	}
	return -1;
}

static void cmos(void)
{
	test_check(!(cmos_read(CMOS_STATUS_B) & CMOS_B_BINARY), "cmos: status B selects BCD");
	int s0 = cmos_seconds();
	tsc_delay_us(CMOS_DELAY_US);
	int s1 = cmos_seconds();
	printf("info: cmos: seconds 0x%x, then 0x%x after %u us\n", (unsigned)s0, (unsigned)s1,
	       CMOS_DELAY_US);
	if (!test_check(s0 >= 0 && s1 >= 0, "cmos: UIP in status A clears within 20 ms"))
		return;
	test_check(bcd_valid((uint8_t)s0) && bcd_valid((uint8_t)s1), "cmos: seconds are BCD 00-59");
	/* 1.1 s crosses one or two second boundaries */
	unsigned advanced = (bcd_value((uint8_t)s1) + 60 - bcd_value((uint8_t)s0)) % 60;
	test_check(advanced == 1 || advanced == 2,
	           "cmos: seconds advance by 1 or 2 across a 1.1 s TSC delay");
}

static void pic_init(uint8_t cmd, uint8_t data, uint8_t base, uint8_t cascade)
{
	outb(cmd, PIC_ICW1_INIT);
	outb(data, base);
	outb(data, cascade);
	outb(data, PIC_ICW4_8086);
}

/* Interrupts stay off and LINT0 masked (apic_enable()) throughout, and IRQ 0 stays masked, so
 * whatever the PICs latch goes nowhere. */
static void pic(void)
{
	pic_init(PIC1_CMD, PIC1_DATA, PIC1_BASE, PIC1_SLAVE_IR2);
	pic_init(PIC2_CMD, PIC2_DATA, PIC2_BASE, PIC2_CASCADE_2);
	outb(PIC1_DATA, PIC1_TEST_MASK);
	outb(PIC2_DATA, PIC2_TEST_MASK);
	uint8_t m1 = inb(PIC1_DATA), m2 = inb(PIC2_DATA);
	outb(PIC1_DATA, PIC_ALL_MASKED);
	outb(PIC2_DATA, PIC_ALL_MASKED);
	test_check(m1 == PIC1_TEST_MASK && m2 == PIC2_TEST_MASK,
	           "pic: after ICW1-4 the mask registers read back 0x%x and 0x%x", PIC1_TEST_MASK,
	           PIC2_TEST_MASK);
	test_check(inb(PIC1_DATA) == PIC_ALL_MASKED && inb(PIC2_DATA) == PIC_ALL_MASKED,
	           "pic: masked again");
}

static void ports(void)
{
	for (unsigned i = 0; i < 16; i++)
		outb(PORT_POST, (uint8_t)i);
	test_check(inb(PORT_POST) == 0xff && inb(PIC1_DATA) == PIC_ALL_MASKED,
	           "port 0x80: writes are ignored, reads 0xff, the PIC mask is untouched");
	/* read twice: doorbell logs an unemulated port once per VM */
	uint8_t a = inb(UNUSED_PORT), b = inb(UNUSED_PORT);
	test_check(a == 0xff && b == 0xff, "unassigned port 0x%x reads 0xff", UNUSED_PORT);
}

void guest_main(const struct multiboot_info *mbi)
{
	struct acpi_tables_madt madt;
	acpi(&madt);
	fw_cfg(mbi, &madt);
	ioapic();
	uart(&madt);
	pit();
	cmos();
	pic();
	ports();
}
