// sources: iommu/event_log.c kernel/format.c
/* Event log decoding. Entries are built by hand from AMD IOMMU spec #48882 §2.5 (DeviceID 15:0,
 * DomainID 47:32, flags 59:48 with I = bit 51, PR = 52, RW = 53; EventCode 63:60; address in
 * the second quadword), matching the entries tests/platform/iommu_probe.c reads from QEMU. */
#include "iommu/event_log.h"
#include "tests/unit/check.h"
#include <string.h>

static int decoded(uint64_t q0, uint64_t q1, const char *want)
{
	char buf[160];
	uint64_t e[2] = {q0, q1};
	int n = event_log_format(e, buf, sizeof(buf));
	if (strcmp(buf, want)) {
		fprintf(stderr, "got  '%s'\nwant '%s'\n", buf, want);
		return 0;
	}
	return n == (int)strlen(want);
}

int main(void)
{
	/* edu at 00:04.0 reading a non-present IOVA */
	CHECK(decoded(0x2000000000000020ull, 0x200000,
	              "IO_PAGE_FAULT device=00:04.0 domain=0x0 address=0x200000"));
	/* a write denied by a present translation, domain 5, device 01:1f.7 */
	CHECK(decoded(0x20300005000001ffull, 0xfee01000,
	              "IO_PAGE_FAULT device=01:1f.7 domain=0x5 address=0xfee01000 flags=PR,RW"));
	/* an interrupt hitting an IRTE with RemapEn = 0 */
	CHECK(decoded(0x2008000000000020ull, 0xfee00000,
	              "IO_PAGE_FAULT device=00:04.0 domain=0x0 address=0xfee00000 flags=I"));
	CHECK(decoded(0x1000000000000102ull, 0x1000,
	              "ILLEGAL_DEV_TABLE_ENTRY device=01:00.2 address=0x1000"));
	CHECK(
	    decoded(0x5000000000000000ull, 0x7fff0010, "ILLEGAL_COMMAND_ERROR command=0x7fff0010"));
	CHECK(decoded(0x8000000000000018ull, 0x40,
	              "INVALID_DEVICE_REQUEST device=00:03.0 address=0x40"));
	CHECK(decoded(0x3000000000000010ull, 0x7fe00200,
	              "DEV_TAB_HARDWARE_ERROR device=00:02.0 address=0x7fe00200"));
	/* flag bits beyond TR are shown as a number */
	CHECK(decoded(0x2900000000000000ull, 0,
	              "IO_PAGE_FAULT device=00:00.0 domain=0x0 address=0x0 flags=TR,0x800"));
	CHECK(!strcmp(event_log_code_name(0xf), "UNKNOWN_EVENT"));
	CHECK(!strcmp(event_log_code_name(0), "UNKNOWN_EVENT"));
	CHECK(!strcmp(event_log_code_name(EVENT_IOTLB_INV_TIMEOUT), "IOTLB_INV_TIMEOUT"));

	/* a short buffer is cut, terminated, and the full length still reported */
	char small[8];
	uint64_t e[2] = {0x2000000000000020ull, 0x200000};
	int n = event_log_format(e, small, sizeof(small));
	CHECK_EQ(n, strlen("IO_PAGE_FAULT device=00:04.0 domain=0x0 address=0x200000"));
	CHECK(!strcmp(small, "IO_PAGE"));
	return check_summary("iommu_event_log");
}
