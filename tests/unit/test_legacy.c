// sources: svm/platform/legacy.c
#include "tests/unit/check.h"
#include "svm/platform/legacy.h"

int main(void)
{
	struct pic8259 pic;
	pic_init(&pic);
	CHECK_EQ(pic_read(&pic, true), 0xff); /* masked until initialised */
	/* the usual remap: ICW1 with ICW4, vector base 0x20, cascade on IR2, 8086 mode */
	pic_write(&pic, false, 0x11);
	pic_write(&pic, true, 0x20);
	pic_write(&pic, true, 0x04);
	pic_write(&pic, true, 0x01);
	CHECK_EQ(pic.vector_base, 0x20);
	CHECK_EQ(pic_read(&pic, true), 0x00); /* ICW1 cleared the mask */
	pic_write(&pic, true, 0xfb);            /* OCW1: mask all but the cascade */
	CHECK_EQ(pic_read(&pic, true), 0xfb);
	pic_write(&pic, false, 0x0b); /* OCW3: read ISR */
	CHECK_EQ(pic_read(&pic, false), 0);

	struct cmos c;
	uint64_t hz = 1000;
	cmos_init(&c, 5000, hz, 64u << 20);
	cmos_write_index(&c, 0x80 | 0x00); /* NMI-disable bit does not change the index */
	CHECK_EQ(cmos_read(&c, 5000 + 75 * hz), 0x15); /* 75 s: seconds 15 in BCD */
	cmos_write_index(&c, 0x02);
	CHECK_EQ(cmos_read(&c, 5000 + 75 * hz), 0x01);
	cmos_write_index(&c, 0x04);
	CHECK_EQ(cmos_read(&c, 5000 + 3 * 3600 * hz), 0x03);
	cmos_write_index(&c, 0x0a);
	CHECK(!(cmos_read(&c, 0) & 0x80)); /* never "update in progress" */
	cmos_write_index(&c, 0x0d);
	CHECK(cmos_read(&c, 0) & 0x80);
	cmos_write_index(&c, 0x30);
	uint8_t lo = cmos_read(&c, 0);
	cmos_write_index(&c, 0x31);
	CHECK_EQ(lo | (cmos_read(&c, 0) << 8), (64 - 1) * 1024); /* KiB above 1 MiB */
	cmos_write_index(&c, 0x40);
	cmos_write_data(&c, 0x5a);
	CHECK_EQ(cmos_read(&c, 0), 0x5a);
	cmos_write_index(&c, 0x00);
	cmos_write_data(&c, 0x99); /* the clock is not settable */
	CHECK_EQ(cmos_read(&c, 5000), 0x00);
	return check_summary("legacy");
}
