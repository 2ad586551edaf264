#include "svm/platform/legacy.h"

#define PIC_ICW1_INIT 0x10
#define PIC_ICW1_IC4 0x01
#define PIC_OCW3 0x08
#define PIC_OCW3_READ 0x02
#define PIC_OCW3_ISR 0x01

#define CMOS_SECONDS 0x00
#define CMOS_MINUTES 0x02
#define CMOS_HOURS 0x04
#define CMOS_WEEKDAY 0x06
#define CMOS_DAY 0x07
#define CMOS_MONTH 0x08
#define CMOS_YEAR 0x09
#define CMOS_STATUS_A 0x0a
#define CMOS_STATUS_B 0x0b
#define CMOS_STATUS_C 0x0c
#define CMOS_STATUS_D 0x0d
#define CMOS_STATUS_B_24H 0x02
#define CMOS_STATUS_D_VRT 0x80
#define CMOS_NMI_DISABLE 0x80
#define CMOS_CENTURY 0x32

void pic_init(struct pic8259 *pic)
{
	*pic = (struct pic8259){.imr = 0xff};
}

uint8_t pic_read(struct pic8259 *pic, bool data_port)
{
	if (data_port)
		return pic->imr;
	return 0; /* IRR and ISR: nothing is ever pending or in service */
}

void pic_write(struct pic8259 *pic, bool data_port, uint8_t value)
{
	if (!data_port) {
		if (value & PIC_ICW1_INIT) {
			pic->icw_step = 1;
			pic->icw4 = value & PIC_ICW1_IC4;
			pic->imr = 0;
		} else if ((value & 0x18) == PIC_OCW3 && (value & PIC_OCW3_READ)) {
			pic->read_isr = value & PIC_OCW3_ISR;
		}
		return; /* OCW2 (EOI): nothing in service */
	}
	switch (pic->icw_step) {
	case 1:
		pic->vector_base = value & 0xf8;
		pic->icw_step = 2;
		break;
	case 2:
		pic->icw_step = pic->icw4 ? 3 : 0; /* ICW3: cascade wiring */
		break;
	case 3:
		pic->icw_step = 0; /* ICW4: mode */
		break;
	default:
		pic->imr = value; /* OCW1 */
	}
}

static uint8_t bcd(unsigned v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

void cmos_init(struct cmos *c, uint64_t start_tsc, uint64_t tsc_hz, uint64_t mem_size)
{
	*c = (struct cmos){.start_tsc = start_tsc, .tsc_hz = tsc_hz};
	c->ram[CMOS_STATUS_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate, UIP clear */
	c->ram[CMOS_STATUS_B] = CMOS_STATUS_B_24H; /* BCD, 24 hour */
	c->ram[CMOS_STATUS_D] = CMOS_STATUS_D_VRT;
	/* extended memory in KiB above 1 MiB (0x30/0x31) and in 64 KiB above 16 MiB (0x34/0x35),
	 * as PC firmware reports it */
	uint64_t ext_kb = mem_size > (1u << 20) ? ((mem_size - (1u << 20)) >> 10) : 0;
	if (ext_kb > 0xffff)
		ext_kb = 0xffff;
	c->ram[0x30] = (uint8_t)ext_kb;
	c->ram[0x31] = (uint8_t)(ext_kb >> 8);
	uint64_t above16 = mem_size > (16u << 20) ? ((mem_size - (16u << 20)) >> 16) : 0;
	c->ram[0x34] = (uint8_t)above16;
	c->ram[0x35] = (uint8_t)(above16 >> 8);
}

uint8_t cmos_read(struct cmos *c, uint64_t now_tsc)
{
	/* The clock starts at 2026-01-01 00:00:00 (a Thursday) when the VM starts. */
	uint64_t s = c->tsc_hz ? (now_tsc - c->start_tsc) / c->tsc_hz : 0;
	uint64_t days = s / 86400;
	switch (c->index) {
	case CMOS_SECONDS:
		return bcd(s % 60);
	case CMOS_MINUTES:
		return bcd((s / 60) % 60);
	case CMOS_HOURS:
		return bcd((s / 3600) % 24);
	case CMOS_WEEKDAY:
		return bcd(1 + (4 + days) % 7);
	case CMOS_DAY:
		return bcd(1 + days % 28);
	case CMOS_MONTH:
		return bcd(1);
	case CMOS_YEAR:
		return bcd(26);
	case CMOS_CENTURY:
		return bcd(20);
	case CMOS_STATUS_C:
		return 0; /* no interrupt flags: the RTC raises no interrupts here */
	default:
		return c->ram[c->index];
	}
}

void cmos_write_index(struct cmos *c, uint8_t value)
{
	c->index = value & ~CMOS_NMI_DISABLE & 0x7f;
}

void cmos_write_data(struct cmos *c, uint8_t value)
{
	if (c->index > CMOS_STATUS_D && c->index != CMOS_CENTURY)
		c->ram[c->index] = value;
	else if (c->index == CMOS_STATUS_B)
		c->ram[c->index] = value & 0x7f;
}
