// sources: svm/platform/vm_log.c
/* The per-VM output log: lines kept in order, the oldest dropped whole when the ring is full,
 * the last-N view, long lines cut. */
#include "svm/platform/vm_log.h"
#include "tests/unit/check.h"
#include <stdio.h>
#include <string.h>

static struct vm_log log;

struct seen {
	char lines[4096][VM_LOG_LINE_MAX];
	unsigned n;
};
static struct seen seen;

static void record(void *ctx, const char *line)
{
	struct seen *s = ctx;
	snprintf(s->lines[s->n++], VM_LOG_LINE_MAX, "%s", line);
}

static void collect(uint64_t max)
{
	seen.n = 0;
	vm_log_each(&log, max, record, &seen);
}

static void append(const char *s)
{
	vm_log_append(&log, s, strlen(s));
}

static void empty_log(void)
{
	vm_log_init(&log);
	collect(100);
	CHECK_EQ(seen.n, 0);
	CHECK_EQ(vm_log_kept_lines(&log), 0);
	CHECK_EQ(vm_log_dropped_lines(&log), 0);
}

static void lines_in_order(void)
{
	vm_log_init(&log);
	append("first");
	append("");
	append("third line");
	collect(100);
	CHECK_EQ(seen.n, 3);
	CHECK(!strcmp(seen.lines[0], "first"));
	CHECK(!strcmp(seen.lines[1], ""));
	CHECK(!strcmp(seen.lines[2], "third line"));
	collect(2); /* the last two, oldest first */
	CHECK_EQ(seen.n, 2);
	CHECK(!strcmp(seen.lines[0], ""));
	CHECK(!strcmp(seen.lines[1], "third line"));
	collect(0);
	CHECK_EQ(seen.n, 0);
}

/* 100-byte lines (99 + newline): VM_LOG_SIZE / 100 of them fit; the rest push out the oldest
 * whole, across the ring's wrap, and are counted. */
static void wrap_drops_oldest_whole_lines(void)
{
	vm_log_init(&log);
	char line[100];
	unsigned total = 2000, fit = VM_LOG_SIZE / 100;
	for (unsigned i = 0; i < total; i++) {
		snprintf(line, sizeof(line), "line %05u ", i);
		memset(line + 11, 'x', sizeof(line) - 12);
		line[99] = 0;
		append(line);
	}
	CHECK_EQ(vm_log_kept_lines(&log), fit);
	CHECK_EQ(vm_log_dropped_lines(&log), total - fit);
	collect(UINT64_MAX);
	CHECK_EQ(seen.n, fit);
	bool in_order = true;
	for (unsigned i = 0; i < seen.n; i++) {
		char want[16];
		snprintf(want, sizeof(want), "line %05u ", total - fit + i);
		in_order &= !strncmp(seen.lines[i], want, 11) && strlen(seen.lines[i]) == 99;
	}
	CHECK(in_order);
	collect(3);
	CHECK_EQ(seen.n, 3);
	CHECK(!strncmp(seen.lines[2], "line 01999 ", 11));
}

static void long_lines_cut_and_newlines_flattened(void)
{
	vm_log_init(&log);
	char big[1000];
	memset(big, 'a', sizeof(big));
	vm_log_append(&log, big, sizeof(big));
	append("a\nb");
	collect(10);
	CHECK_EQ(seen.n, 2);
	CHECK_EQ(strlen(seen.lines[0]), VM_LOG_LINE_MAX - 1);
	CHECK(!strcmp(seen.lines[1], "a b"));
}

int main(void)
{
	empty_log();
	lines_in_order();
	wrap_drops_oldest_whole_lines();
	long_lines_cut_and_newlines_flattened();
	return check_summary("vm_log");
}
