/* MSR accesses of a guest. Every MSR is intercepted (the permission map is all ones: deny by
 * default); the ones a guest may use are emulated or backed by the VMCB, any other raises #GP as
 * on a CPU without it. */
#ifndef SVM_MSR_H
#define SVM_MSR_H

#include "kernel/types.h"

struct vcpu;
/* False: the guest gets #GP. */
bool msr_guest_access(struct vcpu *v, uint32_t msr, bool write, uint64_t *value);

#endif
