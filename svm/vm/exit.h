/* VM-exit handling: a table of handlers indexed by exit code. */
#ifndef SVM_EXIT_H
#define SVM_EXIT_H

#include "kernel/types.h"

struct vcpu;

/* What an exit handler says happens next (the run loop in svm/vm/vcpu.c switches on it). */
enum exit_outcome {
	EXIT_RESUME, /* back to the guest */
	EXIT_HALT,   /* the guest halted: it runs again only for a deliverable event */
	EXIT_STOP,   /* its VM is stopping: the vCPU leaves its CPU for good */
};

/* Counts the exit and runs its handler; returns its outcome. Hot path: no allocation, no global
 * lock, no printing. */
enum exit_outcome exit_dispatch(struct vcpu *v);

#endif
