#include "svm/platform/vm_log.h"

void vm_log_init(struct vm_log *l)
{
	l->head = l->tail = l->kept = l->dropped = 0;
}

static char log_byte(const struct vm_log *l, uint64_t i)
{
	return l->buf[i % VM_LOG_SIZE];
}

/* Forgets the oldest line. */
static void drop_oldest(struct vm_log *l)
{
	while (log_byte(l, l->tail) != '\n')
		l->tail++;
	l->tail++;
	l->kept--;
	l->dropped++;
}

void vm_log_append(struct vm_log *l, const char *line, size_t len)
{
	if (len > VM_LOG_LINE_MAX - 1)
		len = VM_LOG_LINE_MAX - 1;
	while (l->head + len + 1 - l->tail > VM_LOG_SIZE)
		drop_oldest(l);
	for (size_t i = 0; i < len; i++)
		l->buf[(l->head + i) % VM_LOG_SIZE] = line[i] == '\n' ? ' ' : line[i];
	l->buf[(l->head + len) % VM_LOG_SIZE] = '\n';
	l->head += len + 1;
	l->kept++;
}

uint64_t vm_log_kept_lines(const struct vm_log *l)
{
	return l->kept;
}

uint64_t vm_log_dropped_lines(const struct vm_log *l)
{
	return l->dropped;
}

void vm_log_each(const struct vm_log *l, uint64_t max, vm_log_line_fn fn, void *ctx)
{
	uint64_t i = l->tail;
	for (uint64_t skip = l->kept > max ? l->kept - max : 0; skip; i++)
		skip -= log_byte(l, i) == '\n';
	char line[VM_LOG_LINE_MAX];
	size_t n = 0;
	for (; i < l->head; i++) {
		char c = log_byte(l, i);
		if (c == '\n') {
			line[n] = 0;
			fn(ctx, line);
			n = 0;
		} else {
			line[n++] = c; /* lines were cut to VM_LOG_LINE_MAX - 1 on append */
		}
	}
}
