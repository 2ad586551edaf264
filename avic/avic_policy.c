#include "avic/avic_policy.h"
#include "avic/avic_table.h"
#include "kernel/string.h"

static const char *const avic_policy_request_names[] = {
    [AVIC_POLICY_REQUEST_AUTO] = "auto",
    [AVIC_POLICY_REQUEST_ERRATA] = "errata",
    [AVIC_POLICY_REQUEST_STANDARD] = "standard",
    [AVIC_POLICY_REQUEST_SOFT] = "soft",
};

bool avic_policy_parse(const char *name, enum avic_policy_request *out)
{
	for (unsigned i = 0; i < ARRAY_SIZE(avic_policy_request_names); i++) {
		if (strcmp(name, avic_policy_request_names[i]) == 0) {
			*out = (enum avic_policy_request)i;
			return true;
		}
	}
	return false;
}

const char *avic_policy_name(enum avic_policy policy)
{
	switch (policy) {
	case AVIC_POLICY_SOFT:
		return "soft";
	case AVIC_POLICY_ERRATA:
		return "errata";
	case AVIC_POLICY_STANDARD:
		return "standard";
	}
	return "?";
}

static bool avic_policy_has_erratum_1235(unsigned family)
{
	return family == AVIC_POLICY_FAMILY_ZEN1_ZEN2 || family == AVIC_POLICY_FAMILY_HYGON;
}

static enum avic_policy avic_policy_auto(unsigned family, bool has_avic, const char **reason)
{
	if (!has_avic) {
		*reason =
		    "auto: no AVIC (CPUID Fn8000_000A EDX[13] clear), APIC emulated in software";
		return AVIC_POLICY_SOFT;
	}
	if (avic_policy_has_erratum_1235(family)) {
		*reason = "auto: family 17h/18h has AVIC erratum #1235, IsRunning is never set";
		return AVIC_POLICY_ERRATA;
	}
	if (family < AVIC_POLICY_FAMILY_ZEN1_ZEN2) {
		*reason =
		    "auto: AVIC before family 17h, erratum #1235 status unknown, IsRunning is "
		    "never set";
		return AVIC_POLICY_ERRATA;
	}
	*reason = "auto: family after 17h/18h with AVIC, IsRunning maintained";
	return AVIC_POLICY_STANDARD;
}

enum avic_policy avic_policy_choose(enum avic_policy_request requested, unsigned family,
                                    unsigned model, bool has_avic, const char **reason,
                                    const char **error)
{
	(void)model;
	*error = NULL;
	switch (requested) {
	case AVIC_POLICY_REQUEST_AUTO:
		return avic_policy_auto(family, has_avic, reason);
	case AVIC_POLICY_REQUEST_SOFT:
		*reason = "policy=soft: APIC emulated in software";
		return AVIC_POLICY_SOFT;
	case AVIC_POLICY_REQUEST_ERRATA:
		*reason = "policy=errata: AVIC, IsRunning never set";
		if (!has_avic)
			*error =
			    "policy=errata needs AVIC, and this CPU has none (CPUID Fn8000_000A "
			    "EDX[13] clear): use policy=soft or policy=auto";
		return AVIC_POLICY_ERRATA;
	case AVIC_POLICY_REQUEST_STANDARD:
		if (avic_policy_has_erratum_1235(family))
			*reason = "policy=standard on a family 17h/18h CPU: erratum #1235 can lose "
			          "IPIs to descheduled vCPUs";
		else
			*reason = "policy=standard: AVIC, IsRunning maintained";
		if (!has_avic)
			*error = "policy=standard needs AVIC, and this CPU has none (CPUID "
			         "Fn8000_000A EDX[13] clear): use policy=soft or policy=auto";
		return AVIC_POLICY_STANDARD;
	}
	*reason = "unknown policy request";
	*error = "unknown policy request";
	return AVIC_POLICY_SOFT;
}

enum avic_policy avic_policy_for_apic_ids(enum avic_policy chosen,
                                          enum avic_policy_request requested,
                                          uint32_t max_host_apic_id, const char **reason,
                                          const char **error)
{
	*error = NULL;
	if (chosen == AVIC_POLICY_SOFT || max_host_apic_id <= AVIC_MAX_HOST_APIC_ID)
		return chosen;
	if (requested == AVIC_POLICY_REQUEST_AUTO) {
		*reason = "auto: a host APIC ID is above 255 and AVIC takes 8-bit host IDs (x2AVIC "
		          "and IOMMU XT mode are not implemented), APIC emulated in software";
		return AVIC_POLICY_SOFT;
	}
	*error = "a host APIC ID is above 255: AVIC's physical APIC ID entries, the doorbell and "
	         "guest-mode IRTEs take 8-bit host IDs (x2AVIC and IOMMU XT mode are not "
	         "implemented); use policy=soft or policy=auto, or cpus= to stay below ID 256";
	return chosen;
}

uint64_t avic_entry_on_load(enum avic_policy policy, uint64_t entry, uint32_t host_apic_id)
{
	switch (policy) {
	case AVIC_POLICY_SOFT:
		return entry;
	case AVIC_POLICY_ERRATA:
		entry = avic_physical_entry_set_host_apic_id(entry, host_apic_id);
		return avic_physical_entry_set_is_running(entry, 0);
	case AVIC_POLICY_STANDARD:
		entry = avic_physical_entry_set_host_apic_id(entry, host_apic_id);
		return avic_physical_entry_set_is_running(entry, 1);
	}
	return entry;
}

uint64_t avic_entry_on_put(enum avic_policy policy, uint64_t entry)
{
	/* The host APIC ID stays: a doorbell acting on a stale IsRunning then still lands on a CPU
	 * that ran this vCPU, which at worst ignores it. */
	if (policy == AVIC_POLICY_STANDARD)
		return avic_physical_entry_set_is_running(entry, 0);
	return entry;
}

enum avic_ipi_action avic_policy_incomplete_ipi_action(uint32_t id)
{
	switch (id) {
	case AVIC_IPI_FAILURE_TARGET_NOT_RUNNING:
		return AVIC_IPI_ACTION_KICK_TARGETS;
	case AVIC_IPI_FAILURE_INVALID_INT_TYPE:
	case AVIC_IPI_FAILURE_INVALID_TARGET:
		return AVIC_IPI_ACTION_EMULATE_IPI;
	case AVIC_IPI_FAILURE_INVALID_VECTOR:
		return AVIC_IPI_ACTION_SEND_ILLEGAL_VECTOR;
	case AVIC_IPI_FAILURE_INVALID_BACKING_PAGE:
	default:
		/* AVIC_IPI_FAILURE_UNACCELERATED_IPI is Secure AVIC only, which doorbell does not
		 * enable. */
		return AVIC_IPI_ACTION_STOP_VM;
	}
}
