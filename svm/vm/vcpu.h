/* Running a vCPU on the current CPU, and reaching a vCPU from anywhere.
 *
 * vcpu_load() and vcpu_put() are the only places where a vCPU is scheduled in and out: they
 * publish `running_on`, and later work (AVIC IsRunning in the standard policy, IOMMU IRTEs)
 * hooks here. */
#ifndef SVM_VCPU_H
#define SVM_VCPU_H

#include "kernel/types.h"

struct vcpu;

/* Runs v on this CPU until it blocks, its slice ends, or its VM stops; then puts it back in
 * line if it is still runnable. */
void vcpu_run(struct vcpu *v);
void vcpu_load(struct vcpu *v);
void vcpu_put(struct vcpu *v, bool blocking);

/* Delivery of an interrupt already posted in v's APIC page (IRR set): make v notice it —
 * doorbell (or host IPI) where it runs, wake-up if it is blocked (avic/vlapic/delivery.c). */
void vcpu_kick(struct vcpu *v);
/* The same protocol for an event only the hypervisor delivers (NMI, INIT, a VM stop): where v
 * runs it is made to exit with a host IPI, never an AVIC doorbell (which would not exit). */
void vcpu_kick_exit(struct vcpu *v);
/* The same for every vCPU in the bitmap (the AVIC_INCOMPLETE_IPI "target not running" exit). */
void vcpu_kick_targets(struct vcpu *const *vcpus, uint64_t targets);
/* Binds the delivery protocol to the policy in force; once, before any VM starts. */
void vcpu_delivery_init(void);
/* BLOCKED or WAIT_SIPI -> RUNNABLE and queued; false if it was not waiting. */
bool vcpu_wake(struct vcpu *v);

/* True if a halted or waiting vCPU has something to resume for (NMI, a deliverable interrupt,
 * a start-up IPI). */
bool vcpu_has_wake_event(struct vcpu *v);

/* Guest LAPIC timer: post an interrupt if due (called by its home CPU's timer interrupt). */
void vcpu_poll_timer(struct vcpu *v, uint64_t now_tsc);
/* On each scheduler tick of the vCPU's home CPU: wakes it if it blocked with a posted device
 * interrupt pending that nobody woke it for (the IOMMU's IRTE read/IRR write window). */
void vcpu_poll_posted(struct vcpu *v);
uint64_t vcpu_timer_deadline(struct vcpu *v);

/* Events for the vCPU itself, consumed before the next VMRUN. */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
void vcpu_inject_nmi(struct vcpu *v);
void vcpu_advance_rip(struct vcpu *v, unsigned len);

#endif
