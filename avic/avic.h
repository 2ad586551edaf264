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

/* The policy in force (set once at boot by avic_choose_policy()). */
extern enum avic_policy avic_policy;
static inline bool avic_enabled(void)
{
	return avic_policy != AVIC_POLICY_SOFT;
}

/* Chooses the policy from policy= and the CPU; false with a message when it cannot be had. */
bool avic_choose_policy(const char *requested);

/* A VM's AVIC tables (host physical addresses; 0 under the soft policy). The VM object embeds
 * it; vCPUs are named by their index, which is their APIC ID and their physical-table entry. */
struct avic_vm {
	uint64_t physical_table;
	uint64_t logical_table;
	uint64_t apic_access_page;
	unsigned max_index; /* the highest vCPU index the physical table pointer admits */
};

struct npt;
struct vmcb;

/* Tables and APIC access page, mapped in the VM's NPT, for up to max_vcpus vCPUs. */
bool avic_vm_init(struct avic_vm *a, struct npt *npt, unsigned max_vcpus);
void avic_vm_destroy(struct avic_vm *a);
/* vCPU index's VMCB AVIC fields and its physical table entry (its APIC page: backing_page). */
void avic_vcpu_init(const struct avic_vm *a, struct vmcb *vmcb, unsigned index,
		    const void *backing_page);
/* After IA32_APIC_BASE.EN or EXTD changed: a globally disabled APIC runs without AVIC (its page
 * is no longer the APIC: the access page, all ones, answers); enabled again, with it. In x2APIC
 * mode AVIC stays on and keeps delivering from the backing page, whose registers doorbell's x2APIC
 * MSR emulation (svm/cpu/msr.c) reads and writes, but the vCPU's V_APIC_BAR moves off 0xFEE00000
 * to a page nothing maps: the xAPIC page is no longer the APIC (SDM vol. 3, 11.12.1.2). */
void avic_vcpu_apic_mode(struct vmcb *vmcb, bool apic_enabled, bool not_default);
/* So does an xAPIC relocated away from 0xFEE00000 through IA32_APIC_BASE (not_default covers both):
 * svm/platform/platform.c emulates its page at the new address, reached by nested page faults. */
/* vCPU index's entry in its VM's physical APIC ID table (rewritten on schedule-in/out by
 * avic/delivery.c per policy). */
volatile uint64_t *avic_physical_entry(const struct avic_vm *a, unsigned index);
/* The guest changed LDR/DFR of vCPU index (its APIC page: apic_page), or may have (a trapped
 * write is already in the page, so the value before it is unknown): the logical table follows
 * the registers as they are now (APM §15.29.3.2). old is the entry the vCPU owned (-1: none),
 * dropped if it still names the vCPU; returns the entry it owns now (-1: none). */
int avic_logical_update(const struct avic_vm *a, unsigned index, const uint8_t *apic_page,
			int old);
/* Makes a vCPU that runs on another CPU evaluate its IRR: the AVIC doorbell. */
void avic_ring_doorbell(uint32_t host_apic_id);

#endif
