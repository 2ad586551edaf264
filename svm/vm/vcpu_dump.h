/* HC_DEBUG_VCPU: a guest that suspects a lost interrupt asks for a vCPU's interrupt state, which
 * doorbell prints outside the exit path (docs/hypercalls.md). */
#ifndef SVM_VCPU_DUMP_H
#define SVM_VCPU_DUMP_H

struct vm;

/* Prints every vCPU of vm that HC_DEBUG_VCPU asked for since the last call, and the run queues
 * of the host CPUs. Called by platform_flush_output(), on CPU 0's loop. */
void vcpu_dump_requested(struct vm *vm);

/* Prints every vCPU of vm (and the run queues), saying why: a VM that ran out of time is
 * diagnosed before it is stopped (svm/vm/vm_runner.c). Not on the exit path. */
void vcpu_dump_all(struct vm *vm, const char *why);

/* The lost wake-up watch (docs/hypercalls.md): a vCPU blocked in HLT with interrupts enabled
 * and a deliverable vector in its IRR for VCPU_STUCK_MS is printed once, in one line (vcpu_dump.c)
 * prints it. Called by platform_flush_output(), on CPU 0's loop, never on the exit path. */
#define VCPU_STUCK_MS 100
void vcpu_watch_stuck(struct vm *vm);

#endif
