/* VM-exit handling: a table of handlers indexed by exit code. */
#ifndef SVM_EXIT_H
#define SVM_EXIT_H

#include "kernel/types.h"

struct vcpu;

/* Counts the exit and runs its handler. Hot path: no allocation, no global lock, no printing. */
void exit_dispatch(struct vcpu *v);

/* Instruction length at the guest's RIP (decoded from guest memory: no NRIP save under TCG);
 * 0 if it cannot be fetched or decoded, after which the VM has been stopped. */
unsigned exit_insn_len(struct vcpu *v);

#endif
