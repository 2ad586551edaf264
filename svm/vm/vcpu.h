/* Running a vCPU on the current CPU, and reaching a vCPU from anywhere.
 *
 * vcpu_load() and vcpu_put() are the only places where a vCPU is scheduled in and out: they
 * publish `running_on`, and later work (AVIC IsRunning in the standard policy, IOMMU IRTEs)
 * hooks here. */
#ifndef SVM_VCPU_H
#define SVM_VCPU_H

#include "kernel/types.h"

struct vcpu;

/* Makes v a scheduler entity on its home CPU (kernel/sched.h): the scheduler runs it with
 * vcpu_load() -> the run loop -> vcpu_put(), and its guest LAPIC timer becomes a timer object on
 * that CPU. Before the VM starts. */
void vcpu_sched_init(struct vcpu *v, unsigned home_cpu);
/* Registers v's timer object on its home CPU (false: that CPU has too many). */
bool vcpu_sched_start(struct vcpu *v);
/* After the guest changed its LAPIC timer (on v's home CPU): the host timer follows. */
void vcpu_timer_changed(struct vcpu *v);
void vcpu_load(struct vcpu *v);
void vcpu_put(struct vcpu *v, bool blocking);

/* Delivery of an interrupt already posted in v's APIC page (IRR set): make v notice it —
 * doorbell (or host IPI) where it runs, wake-up if it is blocked (avic/delivery.c). */
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

/* Events for the vCPU itself, consumed before the next VMRUN. */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
void vcpu_inject_nmi(struct vcpu *v);
/* An intercepted instruction doorbell emulated has completed: RIP moves to next_rip, its interrupt
 * shadow ends, and with RFLAGS.TF set the single-step #DB follows as on the CPU. */
void vcpu_complete_insn(struct vcpu *v, uint64_t next_rip);
void vcpu_advance_rip(struct vcpu *v, unsigned len);

struct insn;
/* Fetches and decodes the instruction at v's RIP (svm/vm/vcpu_insn.c): 0 on success; otherwise
 * the VM has been stopped with the reason. */
int vcpu_fetch_insn(struct vcpu *v, struct insn *insn);
/* The same without stopping the VM: -1 when the bytes cannot be read or decoded. */
int vcpu_peek_insn(struct vcpu *v, struct insn *insn);

#endif
