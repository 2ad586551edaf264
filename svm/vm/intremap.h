/* Interrupt remapping for devices assigned to a VM: one interrupt remapping table per device, and
 * per MSI the IRTE that carries it to a vCPU (AMD IOMMU spec #48882 §2.2.5; reference §4).
 *
 * intremap_bind() programs one entry for a target vCPU and guest vector:
 *   - GA on (errata/standard policy, IOMMU with GASup + GAMSup): a guest-mode IRTE posting the
 *     guest vector into the target's backing page; GA tag = intremap_tag(VM id, vCPU index). The
 *     entry then follows the vCPU: intremap_vcpu_load()/intremap_vcpu_put(), called by
 *     vcpu_load()/vcpu_put(), set Destination/IsRun/GALogIntr with one CMPXCHG16B each. A GA log
 *     entry (the vCPU was not running and GALogIntr was set) wakes the tagged vCPU.
 *   - GA off (soft policy, or no GA support): a remapped IRTE (32-bit format, GAEn is off) to a
 *     host vector on the target's home CPU; that vector's handler posts the guest vector into the
 *     target with the normal delivery protocol (vapic_deliver_fixed() + vcpu_kick()).
 * Changing an entry's mode, vector or root invalidates it (INVALIDATE_INTERRUPT_TABLE and
 * COMPLETION_WAIT) before intremap_bind() returns.
 *
 * Not for the VM-exit fast path: intremap_table_create/bind/unbind take a lock and may wait for
 * the IOMMU (up to IOMMU_WAIT_TIMEOUT_US). intremap_vcpu_load/put are the hot path: no lock, no
 * allocation, no print. */
#ifndef IOMMU_INTREMAP_H
#define IOMMU_INTREMAP_H

#include "kernel/types.h"

struct vcpu;
struct vm;
struct intremap_table;

/* Indexes 0..INTREMAP_ENTRIES-1. The table has 256 entries (DTE IntTabLen 8, one 4 KiB page)
 * because the MSI data carries the index in bits 10:0 and QEMU's model still decodes data bits
 * 10:8 as the MSI delivery mode before remapping: only indexes below 256 keep that field 0
 * (fixed), which both QEMU and hardware accept. */
#define INTREMAP_LEN_LOG2 8
#define INTREMAP_ENTRIES  (1u << INTREMAP_LEN_LOG2)

/* How many IRTEs one vCPU can be the target of (the load/put hot path walks them). */
#define INTREMAP_VCPU_SLOTS 32

/* The MSI address/data the physical device must be programmed with so that its interrupt goes
 * through entry 'index': address 0xfee00000 (upper 32 bits 0), data = index (bits 10:0; edge,
 * delivery mode fixed). The IOMMU ignores the destination and vector fields of a remapped MSI. */
struct intremap_msi {
	uint64_t address;
	uint32_t data;
};
struct intremap_msi intremap_msi(unsigned index);

/* Creates the table of device 'device_id' for 'vm' (every entry invalid: interrupts are
 * target-aborted without an event, SupIOPF), and switches that device's DTE interrupt fields to
 * IV=1, IntCtl=remapped, IntTabLen=8, IntTableRootPtr=the table (read-modify-write of
 * iommu_dte(device_id): the DMA fields are kept; whoever changes the DMA fields later must start
 * from iommu_dte(device_id) too). NULL, with a message saying why, without an IOMMU, out of
 * memory, or if the IOMMU did not complete the invalidation. The table belongs to the VM:
 * intremap_vm_destroy() frees it. */
struct intremap_table *intremap_table_create(struct vm *vm, uint16_t device_id);

/* Programs entry 'index' for 'target' (a vCPU of the table's VM) and 'guest_vector' (16-255),
 * replacing any earlier binding of that entry. False, with a message, for a bad index or vector,
 * a target of another VM, a vCPU that already has INTREMAP_VCPU_SLOTS bindings, no free host
 * vector (GA off), or an IOMMU that did not complete the invalidation. */
bool intremap_bind(struct intremap_table *t, unsigned index, struct vcpu *target,
                   uint8_t guest_vector);

/* Makes entry 'index' invalid again (its interrupts are dropped), invalidated and waited for. */
void intremap_unbind(struct intremap_table *t, unsigned index);

/* Every table of the VM: DTE interrupts back to blocked (IntCtl=abort), entries unbound, memory
 * freed. Called by vm_destroy() before the vCPUs are freed; no vCPU of the VM may be loaded. */
void intremap_vm_destroy(struct vm *vm);

/* ---- the per-vCPU side (svm/vm/intremap_vcpu.c, pure: host-tested) -------------------------- */

struct irte;

/* Embedded in struct vcpu: the guest-mode IRTEs that target it, and its GA tag. Slots are
 * changed by intremap_bind()/intremap_unbind() under their lock with atomic stores, and read
 * without a lock by the vCPU's own CPU in vcpu_load()/vcpu_put(). */
struct intremap_vcpu {
	volatile uint32_t used; /* bit i: slot[i] holds an entry */
	uint32_t tag;           /* intremap_tag() of this vCPU, set at its first binding */
	struct irte *volatile slot[INTREMAP_VCPU_SLOTS];
};

/* Adds/removes a guest-mode entry; add returns false when every slot is taken. */
bool intremap_vcpu_add(struct intremap_vcpu *s, struct irte *entry);
void intremap_vcpu_remove(struct intremap_vcpu *s, struct irte *entry);

/* The hot path, run by the vCPU's own CPU: every entry in the slots whose GATag is s->tag gets
 * irte_with_vcpu(host_apic_id, ga_log_intr) with one CMPXCHG16B (no lock, no allocation, no
 * print). host_apic_id >= 0: schedule-in (Destination, IsRun=1, GALogIntr=0), from vcpu_load()
 * after running_on is published; < 0: schedule-out (IsRun=0, GALogIntr=ga_log_intr), from
 * vcpu_put() BEFORE running_on is cleared and the IRR re-checked (svm/vm/vcpu.c says why). An entry
 * unbound or rebound to another vCPU meanwhile is left alone (tag or mode differ). Returns the
 * number of entries updated. */
unsigned intremap_vcpu_update(struct intremap_vcpu *s, int64_t host_apic_id, bool ga_log_intr);

/* GA tags: which VM and vCPU a GA log entry is for. Bits 31:24 INTREMAP_TAG_MAGIC, 23:8 VM id,
 * 7:0 vCPU index. Decoding fails (false) without the magic. */
#define INTREMAP_TAG_MAGIC 0xdbu
uint32_t intremap_tag(unsigned vm_id, unsigned vcpu_index);
bool intremap_tag_decode(uint32_t tag, unsigned *vm_id, unsigned *vcpu_index);

/* Installs the GA log handler (tag -> VM/vCPU, validated; a bogus tag is counted and ignored;
 * a valid one kicks the vCPU: wakes it if blocked, doorbell if running) and the host vectors of
 * the GA-off path. Once, on the boot CPU, after iommu_ga_init(). */
void intremap_init(void);
/* GA log entries whose tag named no live vCPU. */
unsigned intremap_bogus_tags(void);
/* The GA log handler itself (what intremap_init() installs), for iommu-test=edu-irq to feed it
 * tags that must be refused. */
void intremap_ga_log_entry(uint32_t tag, uint16_t device_id);

#endif
