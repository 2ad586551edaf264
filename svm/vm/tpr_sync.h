/* CR8 and the virtual APIC's TPR as one state (SDM vol. 3, 11.8.6.1: CR8[3:0] = TPR[7:4]; APM
 * vol. 2, 15.21.4 V_TPR, 15.29.3.1 under AVIC). With V_INTR_MASKING a guest's MOV CR8 reads and
 * writes V_TPR in the VMCB without an exit; the APIC page (avic/vlapic/vapic.h) holds the TPR that
 * xAPIC MMIO, x2APIC MSR 808h and interrupt delivery (PPR) use. docs/cpuid.md "CR8 and the TPR". */
#ifndef SVM_VM_TPR_SYNC_H
#define SVM_VM_TPR_SYNC_H

#include "kernel/types.h"

struct vcpu;

/* Before VMRUN: V_TPR = TPR[7:4]. Where doorbell injects the APIC's interrupts itself (the vCPU
 * runs without AVIC) and a pending vector is held back by the priority, CR8 writes are intercepted
 * so that lowering CR8 delivers it at once, and so they are while the TPR has a sub-class (TPR[3:0],
 * which any CR8 write clears); otherwise they run without an exit. */
void tpr_sync_entry(struct vcpu *v);
/* After #VMEXIT: a CR8 write in guest mode (V_TPR changed, the page's TPR not) moves into the TPR,
 * with TPR[3:0] = 0. */
void tpr_sync_exit(struct vcpu *v);
/* An intercepted MOV to CR8: TPR[7:4] = value, TPR[3:0] = 0; false (#GP) if a bit of 63:4 is set. */
bool tpr_cr8_write(struct vcpu *v, uint64_t value);

#endif
