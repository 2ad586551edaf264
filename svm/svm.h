/* Floor 4, svm/ (docs/architecture.md "Floors").
 * Owns: SVM hardware: features, the VMCB format, world switch, NPT, exit statistics.
 * May use: kernel/ only; knows no VM or vCPU object. */
/* SVM on the host CPUs: feature checks, enabling, the world switch. */
#ifndef SVM_SVM_H
#define SVM_SVM_H

#include "kernel/types.h"

struct guest_regs; /* svm/cpu/regs.h: what the world switch saves besides the VMCB */

#define MSR_VM_CR 0xc0010114u
#define VM_CR_SVMDIS BIT(4)
#define MSR_VM_HSAVE_PA 0xc0010117u

/* CPUID Fn8000_000A EDX (APM vol. 3, CPUID) */
#define SVM_FEATURE_NPT BIT(0)
#define SVM_FEATURE_NRIPS BIT(3)
#define SVM_FEATURE_DECODE_ASSISTS BIT(7)
#define SVM_FEATURE_AVIC BIT(13)

struct svm_features {
	uint32_t revision, asids, edx;
	bool nrips, decode_assists, avic;
};

extern struct svm_features svm_features;

/* Checks the boot CPU; on failure returns false with a message naming CPU and reason in why. */
bool svm_check(char *why, size_t why_size);
/* Enables SVM on the calling CPU (EFER.SVME, host save area, host VMCB for VMSAVE/VMLOAD).
 * Panics with the CPU and reason when this CPU cannot. */
void svm_enable_cpu(void);
uint64_t svm_host_vmcb_pa(void);

void svm_world_switch(uint64_t guest_vmcb_pa, struct guest_regs *regs, uint64_t host_vmcb_pa);

#endif
