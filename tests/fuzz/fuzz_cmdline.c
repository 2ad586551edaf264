// sources: kernel/cmdline.c
/* Fuzz target for the command-line word splitter and the number, size and PCI address parsers
 * (kernel/cmdline.c), which read doorbell's own command line and every VM's options as the boot
 * loader hands them over.
 *
 * Input: the command line (bytes up to the first NUL; the rest is ignored), copied to a heap
 * buffer of exactly its length plus the NUL. Invariants: every key and value handed to the
 * callback is NUL-terminated within its buffer (key < 32, value < 256 bytes), contains no NUL
 * before its end and, for keys, no separator; the number of words is at most the number of
 * non-blank bytes (so the walk advances); a callback returning false stops the walk at once; every
 * value that cmdline_parse_uint(), cmdline_parse_size() or cmdline_parse_pci_address() accepts
 * gives back the same number when printed in canonical form and parsed again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "tests/fuzz/fuzz.h"

struct walk {
	unsigned words, stop_after;
};

static void check_numbers(const char *value)
{
	uint64_t n, again;
	uint16_t bdf, bdf2;
	char text[40];
	if (cmdline_parse_uint(value, &n)) {
		snprintf(text, sizeof(text), "%llu", (unsigned long long)n);
		FUZZ_CHECK(cmdline_parse_uint(text, &again) && again == n,
		           "parse_uint(\"%s\") = %llu does not parse back", value, (unsigned long long)n);
		snprintf(text, sizeof(text), "0x%llx", (unsigned long long)n);
		FUZZ_CHECK(cmdline_parse_uint(text, &again) && again == n,
		           "parse_uint(\"%s\") = %llu does not parse back in hex", value,
		           (unsigned long long)n);
		FUZZ_CHECK(cmdline_parse_size(value, &again) && again == n,
		           "a plain number \"%s\" is not the same size", value);
	}
	if (cmdline_parse_size(value, &n)) {
		FUZZ_CHECK(value[0] >= '0' && value[0] <= '9', "size \"%s\" does not start with a digit",
		           value);
		size_t len = strlen(value);
		char last = value[len - 1];
		unsigned shift = (last == 'k' || last == 'K') ? 10
		                 : (last == 'm' || last == 'M') ? 20
		                 : (last == 'g' || last == 'G') ? 30
		                                                : 0;
		FUZZ_CHECK(!shift || (n & ((1ull << shift) - 1)) == 0,
		           "size \"%s\" = %llu is not a multiple of its unit", value,
		           (unsigned long long)n);
	}
	if (cmdline_parse_pci_address(value, &bdf)) {
		snprintf(text, sizeof(text), "%02x:%02x.%x", bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7);
		FUZZ_CHECK(cmdline_parse_pci_address(text, &bdf2) && bdf2 == bdf,
		           "PCI address \"%s\" = %s does not parse back", value, text);
	}
}

static bool word(void *ctx, const char *key, const char *value)
{
	struct walk *w = ctx;
	size_t klen = strnlen(key, 32), vlen = strnlen(value, 256);
	FUZZ_CHECK(klen < 32, "key not terminated within 32 bytes");
	FUZZ_CHECK(vlen < 256, "value not terminated within 256 bytes");
	FUZZ_CHECK(!strpbrk(key, " \t=\""), "key \"%s\" holds a separator", key);
	FUZZ_CHECK(w->stop_after == 0 || w->words < w->stop_after,
	           "callback called again after returning false");
	w->words++;
	check_numbers(key);
	check_numbers(value);
	return w->stop_after == 0 || w->words < w->stop_after;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_string(data, size);
	size_t len = strlen(line);
	size_t nonblank = 0;
	for (size_t i = 0; i < len; i++)
		nonblank += line[i] != ' ' && line[i] != '\t';

	struct walk all = {0, 0};
	cmdline_each(line, word, &all);
	FUZZ_CHECK(all.words <= nonblank, "%u words from %zu non-blank bytes", all.words, nonblank);
	if (all.words > 1) {
		struct walk some = {0, 1 + (unsigned)(len % all.words)};
		cmdline_each(line, word, &some);
		FUZZ_CHECK(some.words == some.stop_after, "stopped after %u words, not %u", some.words,
		           some.stop_after);
	}
	free(line);
	return 0;
}

/* Words of the forms doorbell's and the VMs' options take, joined by blanks and quotes. */
static size_t generate(uint8_t *buf, size_t cap, uint64_t (*rnd)(void))
{
	static const char *const parts[] = {
	    "cpus=", "mem=",   "vcpus=", "args=",  "pci=",  "timeout=", "policy=", "log=",
	    "name=", "0x",     "0X",     "64M",    "1G",    "4096K",    "00:03.0", "ff:1f.7",
	    "1-3",   "0,2",    "\"",     " ",      "\t",    "=",        "\"-smp 2\"",
	    "18446744073709551615",
	    "18446744073709551616", "0xffffffffffffffff", "17179869184G", "a:b.c", "1x2", "k",
	    "abcdefghijklmnopqrstuvwxyz0123456789abcdef"};
	return fuzz_words(buf, 0, cap, parts, sizeof(parts) / sizeof(parts[0]), 24, rnd);
}

const struct fuzz_target fuzz_target = {
	.name = "cmdline",
	.iterations = 100000,
	.max_len = 1024,
	.generate = generate,
};
