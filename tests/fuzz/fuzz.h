/* The interface between a fuzz target (tests/fuzz/fuzz_<name>.c) and its two drivers
 * (tests/fuzz/README.md):
 *  - libFuzzer (clang -fsanitize=fuzzer,address,undefined): calls LLVMFuzzerTestOneInput();
 *    fuzz_fail() prints the reason and aborts, so libFuzzer keeps the input as a crash-* file.
 *  - standalone (gcc -fsanitize=address,undefined -DFUZZ_STANDALONE, tests/fuzz/driver.c):
 *    replays the files and folders named on its command line (seed corpus, regressions), then a
 *    bounded number of inputs made from a fixed seed (fuzz_target.generate, or mutations of the
 *    files); fuzz_fail() counts the input as failed and the run goes on with the next one.
 * A sanitizer report aborts the process in both builds.
 *
 * A target defines LLVMFuzzerTestOneInput() and `const struct fuzz_target fuzz_target`. The
 * input it is given is a heap buffer of exactly `size` bytes, so ASan reports a read past it. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_target {
	const char *name;        /* printed on the result line: "fuzz_<name>: N passed, M failed" */
	unsigned long iterations; /* standalone: generated or mutated inputs after the files */
	size_t max_len;           /* standalone: longest generated or mutated input */
	/* Optional: writes one input of at most cap bytes from the PRNG, returns its length.
	 * Without it (or when it returns SIZE_MAX) the driver mutates a file it replayed. */
	size_t (*generate)(uint8_t *buf, size_t cap, uint64_t (*rnd)(void));
};

extern const struct fuzz_target fuzz_target;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: prints "fuzz_<name>: <message>" and the input's bytes, then aborts
 * (libFuzzer) or abandons this input (standalone). */
__attribute__((noreturn, format(printf, 1, 2))) void fuzz_fail(const char *fmt, ...);

#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__VA_ARGS__);                                                    \
	} while (0)

/* Little-endian field access to input bytes (any alignment). */
static inline uint32_t fuzz_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t fuzz_le64(const uint8_t *p)
{
	return fuzz_le32(p) | (uint64_t)fuzz_le32(p + 4) << 32;
}

/* The targets that parse an option line (cmdline, config, vm_options) share these two. */

/* The bytes up to the first NUL (at most size) as a string in a heap buffer of exactly its length
 * plus the NUL, so that ASan reports a read past it; free() it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	size_t len = strnlen((const char *)data, size);
	char *s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = 0;
	return s;
}

/* Generator: appends to buf[len..cap) fewer than max_words words, each one of parts[0..count)
 * picked by rnd(); stops before a word that does not fit. Returns the new length. */
static inline size_t fuzz_words(uint8_t *buf, size_t len, size_t cap, const char *const *parts,
				size_t count, unsigned max_words, uint64_t (*rnd)(void))
{
	for (unsigned n = (unsigned)(rnd() % max_words); n; n--) {
		const char *p = parts[rnd() % count];
		size_t l = strlen(p);
		if (len + l > cap)
			break;
		memcpy(buf + len, p, l);
		len += l;
	}
	return len;
}

/* Reads input bytes one field at a time; past the end every read gives 0. */
struct fuzz_stream {
	const uint8_t *p;
	size_t left;
};

static inline uint64_t fuzz_take(struct fuzz_stream *s, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && s->left; i++, s->left--)
		v |= (uint64_t)*s->p++ << (8 * i);
	return v;
}

#endif
