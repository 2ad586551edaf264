/* The hypervisor's own command line: "key=value" words separated by spaces. */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include "kernel/types.h"

/* Calls fn for every word; value is "" for a bare key. Stops early if fn returns false. Keys and
 * values longer than the internal buffers are truncated. Pure: shared by VM options parsing. */
typedef bool (*cmdline_fn)(void *ctx, const char *key, const char *value);
void cmdline_each(const char *line, cmdline_fn fn, void *ctx);

/* Parses a size like "64M", "1G", "4096K", "12345" into bytes. */
bool cmdline_parse_size(const char *s, uint64_t *out);
/* Parses a decimal or 0x-prefixed number. */
bool cmdline_parse_uint(const char *s, uint64_t *out);

/* Parses a PCI address "BB:DD.F" (hexadecimal bus 00-ff, device 00-1f, function 0-7; one or
 * two digits for bus and device) into bus 15:8, device 7:3, function 2:0. */
bool cmdline_parse_pci_address(const char *s, uint16_t *bdf);

#endif
