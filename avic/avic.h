/* Floor 8, avic/ (docs/architecture.md "Floors").
 * Owns: AVIC hardware: physical/logical APIC ID tables, backing pages, policy, delivery protocol.
 * May use: every floor below it (svm/ for the VMCB's AVIC fields, avic/vlapic/, kernel/). */
/* The AVIC driver (AMD APM vol. 2 §15.29): per-VM physical and logical APIC ID tables and the
 * APIC access page, per-vCPU VMCB fields, the physical-table entry on every schedule-in and -out
 * (by policy, avic/avic_policy.h) and the doorbell; the two AVIC exits are handled on the VM floor
 * (svm/vm/avic_exit.c). The backing page is the vCPU's one APIC page (struct vapic), shared with
 * the software path. */
#ifndef AVIC_AVIC_H
#define AVIC_AVIC_H

#include "avic/avic_policy.h"
#include "avic/vlapic/apic_regs.h"
#include "kernel/types.h"

#define MSR_AVIC_DOORBELL 0xc001011bu
/* Where the guest's APIC page is (its IA32_APIC_BASE default): the VMCB's AVIC_VAPIC_BAR. */
#define AVIC_APIC_BAR APIC_BASE_DEFAULT_ADDR

struct vm;
struct vcpu;

/* The policy in force (set once at boot by avic_choose_policy()). */
extern enum avic_policy avic_policy;
static inline bool avic_enabled(void)
{
	return avic_policy != AVIC_POLICY_SOFT;
}

/* Chooses the policy from policy= and the CPU; false with a message when it cannot be had. */
bool avic_choose_policy(const char *requested);

bool avic_vm_init(struct vm *vm);       /* tables and APIC access page; NPT mapping */
void avic_vcpu_init(struct vcpu *v);    /* VMCB AVIC fields, physical table entry */
/* After IA32_APIC_BASE.EN changed: a globally disabled APIC runs without AVIC (its page is no
 * longer the APIC: the access page, all ones, answers); enabled again, with it. x2APIC mode keeps
 * AVIC on (the xAPIC page still answers there: docs/cpuid.md "Known gaps"). */
void avic_vcpu_apic_mode(struct vcpu *v);
/* v's entry in its VM's physical APIC ID table (rewritten on schedule-in/out by
 * avic/delivery.c per policy). */
volatile uint64_t *avic_physical_entry(struct vcpu *v);
void avic_vm_destroy(struct vm *vm);
/* The guest changed LDR/DFR: the logical table follows (APM §15.29.3.2). */
void avic_logical_update(struct vcpu *v, uint32_t old_ldr, uint32_t old_dfr);
/* Makes a vCPU that runs on another CPU evaluate its IRR: the AVIC doorbell. */
void avic_ring_doorbell(uint32_t host_apic_id);

#endif
