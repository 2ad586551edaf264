/* The software side of the virtual local APIC, shared by every policy: register accesses that
 * trap (xAPIC MMIO through NPT, x2APIC MSRs) and IPI delivery. The `soft` policy uses it for
 * everything; the AVIC policies for the accesses and IPIs the hardware leaves to software. */
#ifndef SVM_VM_APIC_EMULATE_H
#define SVM_VM_APIC_EMULATE_H

#include "kernel/types.h"

struct vcpu;
struct vm;
struct vapic_effects;

/* A guest access to its xAPIC page at gpa: decodes and emulates the instruction, advances RIP.
 * False if the VM was stopped. */
bool apic_emulate_mmio(struct vcpu *v, uint64_t gpa);
/* x2APIC MSRs (0x800-0x8ff) and IA32_APIC_BASE; false means #GP. */
bool apic_emulate_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *value);
/* Sends the IPI described by an ICR value written by src (ICR_HI:ICR_LO or the x2APIC ICR). */
void apic_send_ipi(struct vcpu *src, uint64_t icr);
/* Delivers an interrupt message from a device (IOAPIC, MSI) to the VM's local APICs. */
void apic_deliver_message(struct vm *vm, uint32_t dest, bool logical, uint8_t vector,
			  unsigned delivery_mode, bool level);
/* Acts on what a register write asked for (IPI, EOI to the IOAPIC, timer re-arm). */
void apic_apply_effects(struct vcpu *v, const struct vapic_effects *fx);
/* The AVIC logical APIC ID table after v's LDR or DFR changed, or may have (avic_logical_update) */
void apic_logical_update(struct vcpu *v);
/* On the vCPU's own CPU before each entry: acts on a pending INIT (an AP then waits for a
 * start-up IPI) and starts an AP at an accepted SIPI's vector. True if the vCPU must leave its
 * CPU to wait for a SIPI; its state is not changed here (the caller publishes VCPU_WAIT_SIPI). */
bool apic_process_init_sipi(struct vcpu *v);

#endif
