/* A VM's output log: the lines the guest printed on its UART, kept after they reached the host
 * console, so that one VM's output can be read whole and in order even when several VMs print at
 * once. A byte ring holding the newest VM_LOG_SIZE bytes; lines that no longer fit are counted as
 * dropped, oldest first. Written and read outside the VM-exit path (by the console flush and at
 * VM end), under the flush's own serialisation. */
#ifndef SVM_VM_LOG_H
#define SVM_VM_LOG_H

#include "kernel/types.h"

#define VM_LOG_SIZE     (64u * 1024)
#define VM_LOG_LINE_MAX 256 /* longest line handed to a vm_log_each() callback, NUL included */

struct vm_log {
	char buf[VM_LOG_SIZE];
	uint64_t head;    /* bytes ever appended */
	uint64_t tail;    /* first byte of the oldest line held: buf[i % VM_LOG_SIZE], tail <= i < head */
	uint64_t kept;    /* whole lines in [tail, head) */
	uint64_t dropped; /* lines overwritten to make room */
};

/* What of the log is printed again at the VM's end (VM option replay=). */
enum vm_log_replay {
	VM_LOG_REPLAY_FAILURE, /* the last VM_LOG_REPLAY_TAIL lines, if doorbell stopped the VM */
	VM_LOG_REPLAY_ALL,     /* every kept line */
	VM_LOG_REPLAY_OFF,
};
#define VM_LOG_REPLAY_TAIL 20

typedef void (*vm_log_line_fn)(void *ctx, const char *line);

void vm_log_init(struct vm_log *l);
/* Appends one line (without its newline; len bytes, truncated to VM_LOG_LINE_MAX - 1). */
void vm_log_append(struct vm_log *l, const char *line, size_t len);
/* Lines still held whole, and lines appended but since overwritten. */
uint64_t vm_log_kept_lines(const struct vm_log *l);
uint64_t vm_log_dropped_lines(const struct vm_log *l);
/* Calls fn for each of the last 'max' kept lines (all of them if max >= kept), oldest first. */
void vm_log_each(const struct vm_log *l, uint64_t max, vm_log_line_fn fn, void *ctx);

#endif
