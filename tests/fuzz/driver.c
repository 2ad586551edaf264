/* The two drivers of every fuzz target (tests/fuzz/fuzz.h, tests/fuzz/README.md).
 *
 * Standalone (-DFUZZ_STANDALONE):  fuzz_<name> [-n ITERATIONS] [-s SEED] [-o FAILDIR] FILE|DIR...
 * replays every file given (folders: their files in name order), then ITERATIONS inputs made from
 * the xorshift64 PRNG started at SEED (default fuzz_target.iterations and a fixed seed): the
 * target's generator when it has one and the PRNG picks it, else 1-8 mutations of a replayed file
 * (random bytes when there is none).
 * The same arguments give the same inputs on every host. Prints "fuzz_<name>: N passed, M failed"
 * (one per input) and exits non-zero if any failed; with -o, each failing input (and the one a
 * sanitizer report ended the run on, as fuzz_<name>-crash.bin) is written there, to be kept as a
 * regression file. */
#include <dirent.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sanitizer/common_interface_defs.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_STANDALONE

/* libFuzzer passes the input to LLVMFuzzerTestOneInput; remember it for the report. */
void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz_%s: ", fuzz_target.name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

#else

static const uint8_t *fail_data;
static size_t fail_size;

static void print_input(const uint8_t *data, size_t size)
{
	size_t shown = size < 256 ? size : 256;
	fprintf(stderr, "  input (%zu bytes):", size);
	for (size_t i = 0; i < shown; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n    ", data[i]);
	fprintf(stderr, "%s\n", shown < size ? " ..." : "");
}

static jmp_buf fail_jump;
static unsigned long failed_reported;

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	if (failed_reported++ < 10) {
		fprintf(stderr, "fuzz_%s: ", fuzz_target.name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
		print_input(fail_data, fail_size);
	}
	longjmp(fail_jump, 1);
}

/* xorshift64: a fixed sequence on every host. */
static uint64_t prng_state;

static uint64_t prng(void)
{
	prng_state ^= prng_state << 13;
	prng_state ^= prng_state >> 7;
	prng_state ^= prng_state << 17;
	return prng_state;
}

struct input {
	uint8_t *data;
	size_t size;
	char *name;
};

static struct input *files;
static size_t file_count, file_cap;

static void add_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz_%s: cannot read %s\n", fuzz_target.name, path);
		exit(2);
	}
	size_t cap = 4096, size = 0;
	uint8_t *data = malloc(cap);
	size_t n;
	while (data && (n = fread(data + size, 1, cap - size, f)) > 0) {
		size += n;
		if (size == cap)
			data = realloc(data, cap *= 2);
	}
	fclose(f);
	if (!data)
		exit(2);
	if (file_count == file_cap) {
		file_cap = file_cap ? 2 * file_cap : 64;
		files = realloc(files, file_cap * sizeof(*files));
		if (!files)
			exit(2);
	}
	files[file_count++] = (struct input){data, size, strdup(path)};
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder's regular files in name order (a missing folder is empty: no regressions yet). */
static void add_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (count + 1) * sizeof(*names));
		names[count] = malloc(strlen(path) + strlen(e->d_name) + 2);
		sprintf(names[count++], "%s/%s", path, e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, count, sizeof(*names), name_order);
	for (size_t i = 0; i < count; i++) {
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			add_file(names[i]);
		free(names[i]);
	}
	free(names);
}

/* Values that sit on the bounds parsers check. */
static const uint32_t interesting[] = {0,    1,    2,     3,      4,          7,          8,
                                       15,   16,   0x1f,  0x20,   0x24,       0x2c,       0x30,
                                       0x40, 0x7f, 0x80,  0xff,   0x100,      0x1000,     0x7fff,
                                       0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0,
                                       0xffffffff};

/* One to eight mutations of a replayed file, at most cap bytes. */
static size_t mutate(uint8_t *buf, size_t cap)
{
	const struct input *in = &files[prng() % file_count];
	size_t size = in->size < cap ? in->size : cap;
	memcpy(buf, in->data, size);
	unsigned count = 1 + prng() % 8;
	for (unsigned m = 0; m < count; m++) {
		uint64_t r = prng();
		size_t pos = size ? (size_t)(prng() % size) : 0;
		switch (r % 8) {
		case 0: /* flip a bit */
			if (size)
				buf[pos] ^= (uint8_t)(1u << (r >> 8) % 8);
			break;
		case 1: /* a random byte */
			if (size)
				buf[pos] = (uint8_t)(r >> 8);
			break;
		case 2: /* an interesting 8-, 16- or 32-bit value */
		case 3: {
			uint32_t v = interesting[(r >> 8) % (sizeof(interesting) / sizeof(interesting[0]))];
			unsigned width = 1u << (r >> 16) % 3;
			for (unsigned i = 0; i < width && pos + i < size; i++)
				buf[pos + i] = (uint8_t)(v >> 8 * i);
			break;
		}
		case 4: /* cut */
			size = pos;
			break;
		case 5: { /* append random bytes */
			size_t add = 1 + (r >> 8) % 64;
			while (add-- && size < cap)
				buf[size++] = (uint8_t)prng();
			break;
		}
		case 6: { /* copy a chunk over another place */
			size_t from = size ? (size_t)(prng() % size) : 0;
			size_t len = 1 + (r >> 8) % 32;
			if (from + len > size || pos + len > size)
				break;
			memmove(buf + pos, buf + from, len);
			break;
		}
		case 7: { /* delete a chunk */
			size_t len = 1 + (r >> 8) % 16;
			if (pos + len > size)
				break;
			memmove(buf + pos, buf + pos + len, size - pos - len);
			size -= len;
			break;
		}
		}
	}
	return size;
}

/* Runs one input from a heap buffer of exactly its size; true if no invariant broke. */
static bool run_one(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		exit(2);
	memcpy(copy, data, size);
	fail_data = copy;
	fail_size = size;
	bool ok = true;
	if (setjmp(fail_jump) == 0)
		LLVMFuzzerTestOneInput(copy, size);
	else
		ok = false;
	free(copy);
	fail_data = NULL;
	return ok;
}

static const char *fail_dir;

static void save_failure(const char *dir, const char *n, const uint8_t *data, size_t size)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/fuzz_%s-%s.bin", dir, fuzz_target.name, n);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
		fprintf(stderr, "  saved as %s\n", path);
	}
}

/* A sanitizer report ends the process: keep the input that caused it. */
static void save_on_death(void)
{
	if (fail_dir && fail_data)
		save_failure(fail_dir, "crash", fail_data, fail_size);
}

int main(int argc, char **argv)
{
	unsigned long iterations = fuzz_target.iterations, passed = 0, failed = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int i;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iterations = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0) | 1;
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			fail_dir = argv[++i];
		else
			add_path(argv[i]);
	}
	prng_state = seed;
	__sanitizer_set_death_callback(save_on_death);
	for (size_t f = 0; f < file_count; f++) {
		if (run_one(files[f].data, files[f].size)) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "  from %s\n", files[f].name);
		}
	}
	size_t cap = fuzz_target.max_len ? fuzz_target.max_len : 4096;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return 2;
	for (unsigned long n = 0; n < iterations; n++) {
		size_t size = SIZE_MAX;
		if (fuzz_target.generate && (!file_count || prng() % 2))
			size = fuzz_target.generate(buf, cap, prng);
		if (size == SIZE_MAX && file_count) {
			size = mutate(buf, cap);
		} else if (size == SIZE_MAX) { /* nothing to mutate: random bytes */
			size = (size_t)(prng() % (cap + 1));
			for (size_t k = 0; k < size; k++)
				buf[k] = (uint8_t)prng();
		}
		if (run_one(buf, size)) {
			passed++;
			continue;
		}
		if (fail_dir && failed < 10) {
			char num[32];
			snprintf(num, sizeof(num), "%lu", n);
			save_failure(fail_dir, num, buf, size);
		}
		failed++;
	}
	free(buf);
	printf("fuzz_%s: %lu passed, %lu failed\n", fuzz_target.name, passed, failed);
	fflush(stdout); /* before LeakSanitizer's exit, which skips stdio */
	return failed != 0;
}

#endif
