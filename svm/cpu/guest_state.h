/* The architectural rules for a guest's control state (APM vol. 2, 3.1 and 15.5.1): writes of CR0
 * and CR4 (intercepted, svm/vm/exit.c) checked against the guest's CPUID (svm/cpu/cpuid.h) and the
 * APM's rules, with #GP where the CPU gives it; and, when VMRUN still refuses a guest state, which
 * of its consistency checks failed, for the VM's stop reason. */
#ifndef SVM_CPU_GUEST_STATE_H
#define SVM_CPU_GUEST_STATE_H

#include "kernel/types.h"

struct vcpu_msrs;
struct vmcb;

/* MOV to CR0 / CR4 (also CLTS and LMSW for CR0) with the new value; false: #GP, nothing changed.
 * On success the VMCB holds the value, EFER.LMA follows CR0.PG and EFER.LME, and the guest's TLB
 * is flushed where the change needs it. */
bool guest_cr0_write(struct vmcb *vmcb, struct vcpu_msrs *m, uint64_t value);
bool guest_cr4_write(struct vmcb *vmcb, uint64_t value);
/* The CR4 bits the guest's CPUID offers. */
uint64_t guest_cr4_valid_bits(void);
/* The first VMRUN consistency check (APM vol. 2, 15.5.1) the VMCB's guest state fails, or NULL. */
const char *guest_state_invalid_reason(const struct vmcb *vmcb);

#endif
