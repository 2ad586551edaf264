/* Event log entry decoding (AMD IOMMU spec #48882 §2.5). */
#include "iommu/event_log.h"
#include "kernel/format.h"
#include "kernel/pci.h"

static const char *const event_names[] = {
    [EVENT_ILLEGAL_DEV_TABLE_ENTRY] = "ILLEGAL_DEV_TABLE_ENTRY",
    [EVENT_IO_PAGE_FAULT] = "IO_PAGE_FAULT",
    [EVENT_DEV_TAB_HARDWARE_ERROR] = "DEV_TAB_HARDWARE_ERROR",
    [EVENT_PAGE_TAB_HARDWARE_ERROR] = "PAGE_TAB_HARDWARE_ERROR",
    [EVENT_ILLEGAL_COMMAND_ERROR] = "ILLEGAL_COMMAND_ERROR",
    [EVENT_COMMAND_HARDWARE_ERROR] = "COMMAND_HARDWARE_ERROR",
    [EVENT_IOTLB_INV_TIMEOUT] = "IOTLB_INV_TIMEOUT",
    [EVENT_INVALID_DEVICE_REQUEST] = "INVALID_DEVICE_REQUEST",
    [EVENT_INVALID_PPR_REQUEST] = "INVALID_PPR_REQUEST",
    [EVENT_EVENT_COUNTER_ZERO] = "EVENT_COUNTER_ZERO",
};

static const char *const flag_names[] = {"GN", "NX", "US", "I", "PR", "RW", "PE", "RZ", "TR"};

const char *event_log_code_name(unsigned code)
{
	if (code < ARRAY_SIZE(event_names) && event_names[code])
		return event_names[code];
	return "UNKNOWN_EVENT";
}

/* Appends to a bounded buffer; 'len' counts what would have been written, as format() does. */
struct text {
	char *buf;
	size_t size;
	int len;
};

static void __attribute__((format(printf, 2, 3))) text_add(struct text *t, const char *fmt, ...)
{
	size_t at = (size_t)t->len < t->size ? (size_t)t->len : t->size;
	va_list ap;
	va_start(ap, fmt);
	t->len += format_v(t->buf + at, t->size - at, fmt, ap);
	va_end(ap);
}

int event_log_format(const uint64_t entry[2], char *buf, size_t size)
{
	unsigned code = (unsigned)event_q0_get_code(entry[0]);
	uint16_t device = (uint16_t)event_q0_get_device_id(entry[0]);
	unsigned flags = (unsigned)event_q0_get_flags(entry[0]);
	struct text t = {buf, size, 0};

	text_add(&t, "%s", event_log_code_name(code));
	switch (code) {
	case EVENT_ILLEGAL_COMMAND_ERROR:
	case EVENT_COMMAND_HARDWARE_ERROR:
		/* no device: the address is the command's */
		text_add(&t, " command=0x%lx", entry[1]);
		return t.len;
	case EVENT_IO_PAGE_FAULT:
	case EVENT_PAGE_TAB_HARDWARE_ERROR:
		text_add(&t, " device=" PCI_BDF_FMT " domain=0x%x address=0x%lx",
		         PCI_BDF_ARGS(device), (unsigned)event_q0_get_domain_id(entry[0]),
		         entry[1]);
		break;
	default:
		text_add(&t, " device=" PCI_BDF_FMT " address=0x%lx", PCI_BDF_ARGS(device),
		         entry[1]);
		break;
	}
	const char *sep = " flags=";
	for (unsigned i = 0; i < ARRAY_SIZE(flag_names); i++) {
		if (flags & (1u << i)) {
			text_add(&t, "%s%s", sep, flag_names[i]);
			sep = ",";
		}
	}
	unsigned unnamed = flags & ~((1u << ARRAY_SIZE(flag_names)) - 1);
	if (unnamed)
		text_add(&t, "%s0x%x", sep, unnamed);
	return t.len;
}
