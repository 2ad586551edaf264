// sources: kernel/cmdline.c
#include "tests/unit/check.h"
#include "kernel/cmdline.h"
#include <string.h>

struct seen {
	char keys[8][32], values[8][256];
	int n;
};

static bool record(void *ctx, const char *key, const char *value)
{
	struct seen *s = ctx;
	strcpy(s->keys[s->n], key);
	strcpy(s->values[s->n], value);
	s->n++;
	return s->n < 8;
}

int main(void)
{
	struct seen s = {0};
	cmdline_each("  log=debug cpus=2 test-fault  args=\"-a b\" policy=", record, &s);
	CHECK_EQ(s.n, 5);
	CHECK(!strcmp(s.keys[0], "log") && !strcmp(s.values[0], "debug"));
	CHECK(!strcmp(s.keys[1], "cpus") && !strcmp(s.values[1], "2"));
	CHECK(!strcmp(s.keys[2], "test-fault") && !strcmp(s.values[2], ""));
	CHECK(!strcmp(s.keys[3], "args") && !strcmp(s.values[3], "-a b"));
	CHECK(!strcmp(s.keys[4], "policy") && !strcmp(s.values[4], ""));

	/* GRUB passes a module argument with spaces as one quoted word */
	memset(&s, 0, sizeof(s));
	cmdline_each("vcpus=2 \"args=count=5 mode=x\" mem=8M", record, &s);
	CHECK_EQ(s.n, 3);
	CHECK(!strcmp(s.keys[1], "args") && !strcmp(s.values[1], "count=5 mode=x"));
	CHECK(!strcmp(s.keys[2], "mem") && !strcmp(s.values[2], "8M"));

	memset(&s, 0, sizeof(s));
	cmdline_each("", record, &s);
	CHECK_EQ(s.n, 0);

	uint64_t v = 0;
	CHECK(cmdline_parse_size("64M", &v) && v == 64ull << 20);
	CHECK(cmdline_parse_size("1G", &v) && v == 1ull << 30);
	CHECK(cmdline_parse_size("4096k", &v) && v == 4096ull << 10);
	CHECK(cmdline_parse_size("12345", &v) && v == 12345);
	CHECK(!cmdline_parse_size("12Q", &v));
	CHECK(!cmdline_parse_size("M", &v));
	CHECK(!cmdline_parse_size("64MB", &v));
	CHECK(!cmdline_parse_size("99999999999999999999G", &v));
	/* every number cmdline_parse_uint() takes (found by the fuzz target cmdline) */
	CHECK(cmdline_parse_size("0X4000000", &v) && v == 0x4000000);
	CHECK(cmdline_parse_size("0x400000C", &v) && v == 0x400000c);
	CHECK(cmdline_parse_size("0xAbM", &v) && v == 0xabull << 20);
	CHECK(!cmdline_parse_size("12AM", &v));
	CHECK(!cmdline_parse_size("0x", &v));
	CHECK(cmdline_parse_size("000000000000000000000000000000064M", &v) && v == 64ull << 20);
	CHECK(cmdline_parse_uint("0x1f", &v) && v == 31);
	CHECK(cmdline_parse_uint("18446744073709551615", &v) && v == UINT64_MAX);
	CHECK(!cmdline_parse_uint("18446744073709551616", &v));
	CHECK(!cmdline_parse_uint("0x", &v));
	CHECK(!cmdline_parse_uint("12a", &v));

	uint16_t bdf = 0;
	CHECK(cmdline_parse_pci_address("00:03.0", &bdf) && bdf == 0x0018);
	CHECK(cmdline_parse_pci_address("ff:1f.7", &bdf) && bdf == 0xffff);
	CHECK(cmdline_parse_pci_address("1:2.3", &bdf) && bdf == 0x0113);
	CHECK(cmdline_parse_pci_address("0A:1e.1", &bdf) && bdf == 0x0af1);
	CHECK(!cmdline_parse_pci_address("00:20.0", &bdf)); /* device 0-1f */
	CHECK(!cmdline_parse_pci_address("00:03.8", &bdf));
	CHECK(!cmdline_parse_pci_address("100:03.0", &bdf));
	CHECK(!cmdline_parse_pci_address("00:03", &bdf));
	CHECK(!cmdline_parse_pci_address("00:03.", &bdf));
	CHECK(!cmdline_parse_pci_address(":03.0", &bdf));
	CHECK(!cmdline_parse_pci_address("00:03.0x", &bdf));
	CHECK(!cmdline_parse_pci_address("0g:03.0", &bdf));
	CHECK(!cmdline_parse_pci_address("", &bdf));
	return check_summary("cmdline");
}
