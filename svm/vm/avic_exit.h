/* The two exits only AVIC has (APM vol. 2 §15.29): handled on the VM floor, where the software
 * APIC and the delivery protocol reach the vCPUs. */
#ifndef SVM_VM_AVIC_EXIT_H
#define SVM_VM_AVIC_EXIT_H

struct vcpu;

void avic_exit_incomplete_ipi(struct vcpu *v); /* #VMEXIT 401h */
void avic_exit_noaccel(struct vcpu *v);        /* #VMEXIT 402h */

#endif
