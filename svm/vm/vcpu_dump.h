/* HC_DEBUG_VCPU: a guest that suspects a lost interrupt asks for a vCPU's interrupt state, which
 * doorbell prints outside the exit path (docs/hypercalls.md). */
#ifndef SVM_VCPU_DUMP_H
#define SVM_VCPU_DUMP_H

struct vm;

/* Prints every vCPU of vm that HC_DEBUG_VCPU asked for since the last call, and the run queues
 * of the host CPUs, then, if the VM traces and the request named a TSC, every vCPU's trace-dump=
 * trace records from that moment. Called by the runner's housekeeping (vm_flush_output()), on
 * CPU 0's loop. */
void vcpu_dump_requested(struct vm *vm);

/* Prints every vCPU of vm (and the run queues), saying why: a VM that ran out of time is
 * diagnosed before it is stopped (svm/vm/vm_runner.c). Not on the exit path. */
void vcpu_dump_all(struct vm *vm, const char *why);

#endif
