/* Test reporting. Each check prints one line, "PASS: <name>" or "FAIL: <name>"; test_done()
 * prints the closing line "guest-<guest_name>: N passed, N failed" and ends the machine through
 * isa-debug-exit: code 0 when everything passed (QEMU exits with status 1), 1 otherwise (status 3).
 * Under doorbell it first reports the counts with the HC_TEST_RESULT hypercall.
 *
 * Checks that only make sense under doorbell (test_check_doorbell) are counted apart and do not
 * appear at all on bare QEMU, so that the closing line is the same under both. Lines starting with
 * "info:" or "bench:" carry measurements that differ from run to run. */
#ifndef GUESTS_LIB_TEST_H
#define GUESTS_LIB_TEST_H

#include "kernel/types.h"

#define DEBUG_EXIT_PORT                                                                            \
	0xf4 /* QEMU isa-debug-exit: the machine exits with status value << 1 | 1                  \
	      */
#define TEST_EXIT_PASS 0
#define TEST_EXIT_FAIL 1

/* Every guest defines its name, e.g. const char guest_name[] = "hello"; */
extern const char guest_name[];

/* Counts one check; safe on any CPU. Returns cond. */
bool test_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A check made only under doorbell: nothing is printed or counted on other hypervisors. */
bool test_check_doorbell(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints the summary and exits through isa-debug-exit. */
NORETURN void test_done(void);

/* Ends the run at once as failed, after printing the reason (used by the fault handlers). */
NORETURN void test_abort(const char *why);

/* Ends the machine with an isa-debug-exit code, without a summary. */
NORETURN void test_exit(uint32_t code);

#endif
