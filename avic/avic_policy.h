/* The interrupt delivery policy (docs/avic.md, "Policies"), and what each policy writes into the
 * AVIC physical APIC ID table entry of a vCPU when it is scheduled in and out.
 *
 * errata   - AVIC, IsRunning never set: every IPI to another vCPU exits with AVIC_INCOMPLETE_IPI
 *            and the hypervisor delivers it from its own `running_on` record. Immune to erratum
 *            #1235 (the CPU may act on an IsRunning value from before its latest clear, ringing
 *            a doorbell at a CPU that left the guest instead of exiting).
 * standard - AVIC with IsRunning set on schedule-in and cleared on schedule-out, as KVM did
 *            before its erratum fix; only for CPUs without the erratum, or for experiments.
 * soft     - no AVIC: the APIC is emulated on the same page, every ICR write traps. */
#ifndef AVIC_AVIC_POLICY_H
#define AVIC_AVIC_POLICY_H

#include "kernel/types.h"

enum avic_policy {
	AVIC_POLICY_SOFT,
	AVIC_POLICY_ERRATA,
	AVIC_POLICY_STANDARD,
};

/* What the user asked for with policy= (auto when absent). */
enum avic_policy_request {
	AVIC_POLICY_REQUEST_AUTO,
	AVIC_POLICY_REQUEST_ERRATA,
	AVIC_POLICY_REQUEST_STANDARD,
	AVIC_POLICY_REQUEST_SOFT,
};

/* Families named by erratum #1235: 17h (Zen1/Zen2) and Hygon's Zen1-derived 18h. */
#define AVIC_POLICY_FAMILY_ZEN1_ZEN2 0x17
#define AVIC_POLICY_FAMILY_HYGON     0x18

/* "auto", "errata", "standard" or "soft" into *out; false for anything else. */
bool avic_policy_parse(const char *name, enum avic_policy_request *out);
const char *avic_policy_name(enum avic_policy policy);

/* The policy to run with on a CPU of this (display) family and model with or without AVIC
 * (CPUID Fn8000_000A EDX[13]). auto: errata on families 17h/18h and on older AVIC CPUs (whose
 * erratum status nobody has published), standard on later families with AVIC, soft without
 * AVIC. An explicit request is honoured, except errata or standard without AVIC: then *error
 * says why, the result must not be used, and the caller refuses to start (never a silent
 * fallback to soft). *reason always says why the result was chosen; *error is NULL on success.
 * `model` is part of the CPU identity but no erratum known to this file depends on it. */
enum avic_policy avic_policy_choose(enum avic_policy_request requested, unsigned family,
                                    unsigned model, bool has_avic, const char **reason,
                                    const char **error);

/* AVIC's physical APIC ID table entry and the doorbell MSR take an 8-bit host APIC ID (APM
 * vol. 2 §15.29.4.2; 12 bits only in x2AVIC mode, which doorbell does not implement), and the
 * IOMMU's guest-mode IRTEs 8 bits without XT mode (not implemented either). A CPU whose APIC ID is
 * above this must never run an AVIC vCPU: the ID would be truncated and doorbells and posted
 * device interrupts would reach another CPU. */
#define AVIC_MAX_HOST_APIC_ID 0xff

/* The policy 'chosen' (from avic_policy_choose()) given the highest host APIC ID among the CPUs
 * that run vCPUs: unchanged when it fits; auto falls back to soft with *reason saying why; an
 * explicit errata or standard is an error (*error says why and what to do). */
enum avic_policy avic_policy_for_apic_ids(enum avic_policy chosen,
                                          enum avic_policy_request requested,
                                          uint32_t max_host_apic_id, const char **reason,
                                          const char **error);

/* The physical APIC ID table entry of a vCPU being scheduled in on the CPU with host APIC ID
 * `host_apic_id` (standard: IsRunning set; errata: IsRunning clear, the host APIC ID recorded
 * all the same, so a doorbell that acts on a stale entry still reaches a CPU of this VM), and
 * being scheduled out (standard: IsRunning cleared; errata: unchanged). Soft leaves the entry
 * alone: there is no table. The backing page and Valid are never touched: broadcast IPIs skip
 * invalid entries without an exit (APM 15.29.6.1 step 4). */
uint64_t avic_entry_on_load(enum avic_policy policy, uint64_t entry, uint32_t host_apic_id);
uint64_t avic_entry_on_put(enum avic_policy policy, uint64_t entry);

/* What the hypervisor does about a #VMEXIT AVIC_INCOMPLETE_IPI, by its cause (EXITINFO2[63:32],
 * AVIC_IPI_FAILURE_*). */
enum avic_ipi_action {
	/* Target not running: the CPU already set the IRR of every target; kick each one
	 * (delivery_kick(): doorbell where it runs, wake it if it is blocked). */
	AVIC_IPI_ACTION_KICK_TARGETS,
	/* Invalid interrupt type or invalid target: the exit is a trap after the ICR write, and
	 * nothing was delivered; send the IPI in software from the ICR. */
	AVIC_IPI_ACTION_EMULATE_IPI,
	/* Vector 0-15: nothing delivered; the sender's ESR gets "send illegal vector". */
	AVIC_IPI_ACTION_SEND_ILLEGAL_VECTOR,
	/* Invalid backing page or a cause this CPU should never report: the tables doorbell built
	 * are wrong, so the VM stops. */
	AVIC_IPI_ACTION_STOP_VM,
};

enum avic_ipi_action avic_policy_incomplete_ipi_action(uint32_t id);

#endif
