/* Interrupt delivery and blocking: the protocol that makes lost wake-ups impossible
 * (docs/architecture.md, "VMs and vCPUs"), written once and run by both the hypervisor and the
 * model checker (tests/model/).
 *
 *   post:  set the IRR bit in the target's APIC page (atomic), full barrier, read the target's
 *          running_on: another CPU -> doorbell/IPI to it; nowhere -> wake the target.
 *   put:   the IOMMU's guest-mode IRTEs of the vCPU to "not running", (standard policy: clear
 *          IsRunning), clear running_on, full barrier, and when blocking re-check the IRR and
 *          the other wake events before sleeping.
 *   kick:  the second half of post, for IRR bits somebody else already set: the CPU itself
 *          before #VMEXIT AVIC_INCOMPLETE_IPI "target not running" (APM 15.29.6.1 step 6), or
 *          vapic_deliver_fixed().
 *   load:  running_on = this CPU, (standard policy: set IsRunning), the vCPU's guest-mode IRTEs
 *          to this CPU.
 *
 * Each protocol is a small step machine (struct delivery): every step does exactly one access to
 * memory another CPU or the AVIC hardware also touches, or sends one message. The hypervisor
 * runs a machine to completion in one go (delivery_run() and the wrappers below); the model
 * checker calls delivery_step() one step at a time and explores every interleaving with other
 * vCPUs and with the AVIC hardware. The vCPU objects are opaque here: struct delivery_ops says
 * where their shared words are and how to wake one and ring a CPU. */
#ifndef AVIC_DELIVERY_H
#define AVIC_DELIVERY_H

#include "avic/avic_policy.h"
#include "kernel/types.h"

struct vcpu; /* the hypervisor's (svm/vm/vm.h), or the model's own */

#define DELIVERY_NOWHERE (-1) /* running_on of a vCPU loaded on no CPU */

struct delivery_ops {
	enum avic_policy policy;
	/* The shared words of v; this file reads and writes them only with __atomic builtins.
	 * running_on: host APIC ID of the CPU v is loaded on, or DELIVERY_NOWHERE.
	 * physical_entry: v's AVIC physical APIC ID table entry (never called under soft). */
	volatile int32_t *(*running_on)(struct vcpu *v);
	volatile uint64_t *(*physical_entry)(struct vcpu *v);
	uint8_t *(*apic_page)(struct vcpu *v);
	/* Would v leave HLT now: a deliverable IRR vector, NMI, INIT, SIPI (vcpu_has_wake_event()).
	 */
	bool (*has_wake_event)(struct vcpu *v);
	/* BLOCKED (or waiting for SIPI) -> RUNNABLE and queued; false if v was not waiting. */
	bool (*wake)(struct vcpu *v);
	/* Make the CPU with this host APIC ID look at its guest's IRR: the AVIC doorbell
	 * (MSR C001_011Bh) or a host IPI that forces an exit and re-entry. */
	void (*doorbell)(uint32_t host_apic_id);
	/* Every guest-mode IRTE that posts device interrupts to v (svm/vm/intremap.h), with one
	 * full-barrier CMPXCHG16B each: host_apic_id >= 0 schedule-in (Destination, IsRun=1,
	 * GALogIntr=0), < 0 schedule-out (IsRun=0, GALogIntr=ga_log_intr). NULL: no IOMMU. */
	void (*irte_update)(struct vcpu *v, int64_t host_apic_id, bool ga_log_intr);
};

enum delivery_step {
	DELIVERY_SET_IRR,            /* post: IRR bit in the target's page */
	DELIVERY_READ_RUNNING_ON,    /* kick: barrier, where does the target run; doorbell */
	DELIVERY_WAKE_TARGET,        /* kick: it runs nowhere: wake it if it is blocked */
	DELIVERY_PUBLISH_RUNNING_ON, /* load: running_on = this CPU */
	DELIVERY_ENTRY_LOAD,         /* load: physical table entry for schedule-in */
	DELIVERY_IRTE_LOAD,          /* load: the IOMMU's IRTEs to this CPU, IsRun */
	DELIVERY_IRTE_PUT,           /* put: the IOMMU's IRTEs not running */
	DELIVERY_ENTRY_PUT,          /* put: physical table entry for schedule-out */
	DELIVERY_CLEAR_RUNNING_ON,   /* put: running_on = nowhere, full barrier */
	DELIVERY_RECHECK,            /* put, blocking: anything to wake up for? */
	DELIVERY_WAKE_SELF,          /* put, blocking: yes */
	DELIVERY_DONE,
};

/* One protocol run in progress. Plain data without pointers into itself, so the model checker
 * may copy it with the rest of a state. */
struct delivery {
	uint8_t step;              /* enum delivery_step: the next one to take */
	uint8_t vector;            /* post */
	bool level_trigger;        /* post */
	bool blocking;             /* put */
	uint32_t host_apic_id;     /* this CPU: no doorbell to ourselves; load: where we run */
	struct vcpu *vcpu;         /* post/kick: the current target; load/put: the vCPU itself */
	struct vcpu *const *vcpus; /* kick of several targets: the VM's vCPUs by index */
	uint64_t targets;          /* ... and the indexes not yet kicked */
};

/* Starting a run. self_apic_id / host_apic_id: the host APIC ID of the calling CPU. */
void delivery_post_begin(struct delivery *d, struct vcpu *target, uint8_t vector,
                         bool level_trigger, uint32_t self_apic_id);
void delivery_kick_begin(struct delivery *d, struct vcpu *target, uint32_t self_apic_id);
/* Kicks vcpus[i] for every bit i of `targets`, lowest first: the handling of #VMEXIT
 * AVIC_INCOMPLETE_IPI "target not running", whose EXITINFO does not say which targets were
 * not running (only the first one's index), so every target of the ICR is kicked. */
void delivery_kick_targets_begin(struct delivery *d, struct vcpu *const *vcpus, uint64_t targets,
                                 uint32_t self_apic_id);
void delivery_load_begin(struct delivery *d, struct vcpu *v, uint32_t host_apic_id);
void delivery_put_begin(struct delivery *d, struct vcpu *v, bool blocking);

/* Takes the next step; true once the run is complete. */
bool delivery_step(struct delivery *d, const struct delivery_ops *ops);
void delivery_run(struct delivery *d, const struct delivery_ops *ops);

/* Whole runs, for the hypervisor. */
void delivery_post(const struct delivery_ops *ops, struct vcpu *target, uint8_t vector,
                   bool level_trigger, uint32_t self_apic_id);
void delivery_kick(const struct delivery_ops *ops, struct vcpu *target, uint32_t self_apic_id);
void delivery_kick_targets(const struct delivery_ops *ops, struct vcpu *const *vcpus,
                           uint64_t targets, uint32_t self_apic_id);
void delivery_load(const struct delivery_ops *ops, struct vcpu *v, uint32_t host_apic_id);
void delivery_put(const struct delivery_ops *ops, struct vcpu *v, bool blocking);

#endif
