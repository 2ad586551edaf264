/* What CPUID tells a guest: the host's answers with SVM hidden, the hypervisor bit set, x2APIC
 * offered (the virtual APIC implements it), per-vCPU APIC IDs, and doorbell's own leaves at
 * 0x40000000 (svm/vm/hypercall.h). */
#ifndef SVM_CPUID_H
#define SVM_CPUID_H

#include "kernel/x86.h"

struct vcpu;
struct cpuid_regs cpuid_guest(struct vcpu *v, uint32_t leaf, uint32_t subleaf);

#endif
