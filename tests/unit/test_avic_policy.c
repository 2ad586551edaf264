// sources: avic/avic_policy.c avic/avic_table.c
/* Policy choice (docs/avic.md "Policies", erratum #1235 on families 17h/18h), the table entry
 * each policy writes on schedule-in/out (APM Table 15-23 bit positions), and the action for each
 * AVIC_INCOMPLETE_IPI cause (APM 15.29.6.1, Table 15-27). */
#include "avic/avic_policy.h"
#include "avic/avic_table.h"
#include "tests/unit/check.h"

#include <string.h>

static enum avic_policy choose(enum avic_policy_request r, unsigned family, bool avic,
                               const char **error)
{
	const char *reason = NULL;
	enum avic_policy p = avic_policy_choose(r, family, 0x31, avic, &reason, error);
	CHECK(reason != NULL && reason[0] != '\0');
	return p;
}

static void test_choose_auto(void)
{
	const char *error = "unset";
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_AUTO, 0x17, true, &error), AVIC_POLICY_ERRATA);
	CHECK(error == NULL);
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_AUTO, 0x18, true, &error), AVIC_POLICY_ERRATA);
	CHECK(error == NULL);
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_AUTO, 0x19, true, &error), AVIC_POLICY_STANDARD);
	CHECK(error == NULL);
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_AUTO, 0x1a, true, &error), AVIC_POLICY_STANDARD);
	/* AVIC first appeared in family 15h: nobody says it lacks the erratum. */
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_AUTO, 0x15, true, &error), AVIC_POLICY_ERRATA);
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_AUTO, 0x17, false, &error), AVIC_POLICY_SOFT);
	CHECK(error == NULL);
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_AUTO, 0x19, false, &error), AVIC_POLICY_SOFT);
	CHECK(error == NULL);
}

static void test_choose_explicit(void)
{
	const char *error = "unset";
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_SOFT, 0x19, true, &error), AVIC_POLICY_SOFT);
	CHECK(error == NULL);
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_SOFT, 0x17, false, &error), AVIC_POLICY_SOFT);
	CHECK(error == NULL);
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_ERRATA, 0x19, true, &error), AVIC_POLICY_ERRATA);
	CHECK(error == NULL);
	/* Allowed on an affected CPU, for comparison experiments. */
	CHECK_EQ(choose(AVIC_POLICY_REQUEST_STANDARD, 0x17, true, &error), AVIC_POLICY_STANDARD);
	CHECK(error == NULL);
	/* No silent fallback to soft: an error the caller must act on. */
	choose(AVIC_POLICY_REQUEST_ERRATA, 0x17, false, &error);
	CHECK(error != NULL && strstr(error, "AVIC") != NULL);
	error = NULL;
	choose(AVIC_POLICY_REQUEST_STANDARD, 0x19, false, &error);
	CHECK(error != NULL && strstr(error, "AVIC") != NULL);
}

static void test_parse_and_name(void)
{
	enum avic_policy_request r = AVIC_POLICY_REQUEST_SOFT;
	CHECK(avic_policy_parse("auto", &r) && r == AVIC_POLICY_REQUEST_AUTO);
	CHECK(avic_policy_parse("errata", &r) && r == AVIC_POLICY_REQUEST_ERRATA);
	CHECK(avic_policy_parse("standard", &r) && r == AVIC_POLICY_REQUEST_STANDARD);
	CHECK(avic_policy_parse("soft", &r) && r == AVIC_POLICY_REQUEST_SOFT);
	CHECK(!avic_policy_parse("Errata", &r));
	CHECK(!avic_policy_parse("", &r));
	CHECK(!avic_policy_parse("softer", &r));
	CHECK(strcmp(avic_policy_name(AVIC_POLICY_ERRATA), "errata") == 0);
	CHECK(strcmp(avic_policy_name(AVIC_POLICY_STANDARD), "standard") == 0);
	CHECK(strcmp(avic_policy_name(AVIC_POLICY_SOFT), "soft") == 0);
}

/* Valid, backing page 0x1234000, not running, host APIC ID 0. */
#define ENTRY_IDLE 0x8000000001234000ull

static void test_entry_updates(void)
{
	/* errata: IsRunning (bit 62) never set, host APIC ID 11:0 recorded, kept on put. */
	uint64_t e = avic_entry_on_load(AVIC_POLICY_ERRATA, ENTRY_IDLE, 7);
	CHECK_EQ(e, 0x8000000001234007ull);
	CHECK_EQ(avic_entry_on_put(AVIC_POLICY_ERRATA, e), 0x8000000001234007ull);
	CHECK_EQ(avic_entry_on_load(AVIC_POLICY_ERRATA, 0x8000000001234007ull, 2),
	         0x8000000001234002ull);
	/* standard: IsRunning set on load, cleared on put; host APIC ID kept. */
	e = avic_entry_on_load(AVIC_POLICY_STANDARD, ENTRY_IDLE, 0x123);
	CHECK_EQ(e, 0xc000000001234123ull);
	CHECK_EQ(avic_entry_on_put(AVIC_POLICY_STANDARD, e), 0x8000000001234123ull);
	/* soft: no table, nothing written. */
	CHECK_EQ(avic_entry_on_load(AVIC_POLICY_SOFT, ENTRY_IDLE, 7), ENTRY_IDLE);
	CHECK_EQ(avic_entry_on_put(AVIC_POLICY_SOFT, ENTRY_IDLE), ENTRY_IDLE);
}

static void test_incomplete_ipi_action(void)
{
	CHECK_EQ(avic_policy_incomplete_ipi_action(0), AVIC_IPI_ACTION_EMULATE_IPI);
	CHECK_EQ(avic_policy_incomplete_ipi_action(1), AVIC_IPI_ACTION_KICK_TARGETS);
	CHECK_EQ(avic_policy_incomplete_ipi_action(2), AVIC_IPI_ACTION_EMULATE_IPI);
	CHECK_EQ(avic_policy_incomplete_ipi_action(3), AVIC_IPI_ACTION_STOP_VM);
	CHECK_EQ(avic_policy_incomplete_ipi_action(4), AVIC_IPI_ACTION_SEND_ILLEGAL_VECTOR);
	CHECK_EQ(avic_policy_incomplete_ipi_action(5), AVIC_IPI_ACTION_STOP_VM);
	CHECK_EQ(avic_policy_incomplete_ipi_action(0xffffffffu), AVIC_IPI_ACTION_STOP_VM);
}

/* A host APIC ID above 255 (a 2P Genoa/Bergamo in x2APIC mode): AVIC's 8-bit host IDs would be
 * truncated, so auto falls back to soft and an explicit AVIC policy is refused. */
static void test_wide_apic_ids(void)
{
	const char *reason = "unchanged", *error = "x";
	CHECK_EQ(avic_policy_for_apic_ids(AVIC_POLICY_STANDARD, AVIC_POLICY_REQUEST_AUTO, 255,
	                                  &reason, &error),
	         AVIC_POLICY_STANDARD);
	CHECK(error == NULL);
	CHECK(strcmp(reason, "unchanged") == 0);
	CHECK_EQ(avic_policy_for_apic_ids(AVIC_POLICY_ERRATA, AVIC_POLICY_REQUEST_AUTO, 256, &reason,
	                                  &error),
	         AVIC_POLICY_SOFT);
	CHECK(error == NULL);
	CHECK(strstr(reason, "above 255") != NULL && strstr(reason, "x2AVIC") != NULL);
	avic_policy_for_apic_ids(AVIC_POLICY_ERRATA, AVIC_POLICY_REQUEST_ERRATA, 0x17f, &reason,
	                         &error);
	CHECK(error != NULL && strstr(error, "above 255") != NULL &&
	      strstr(error, "policy=soft") != NULL);
	avic_policy_for_apic_ids(AVIC_POLICY_STANDARD, AVIC_POLICY_REQUEST_STANDARD, 0xffffffff,
	                         &reason, &error);
	CHECK(error != NULL);
	CHECK_EQ(avic_policy_for_apic_ids(AVIC_POLICY_SOFT, AVIC_POLICY_REQUEST_SOFT, 0x1000,
	                                  &reason, &error),
	         AVIC_POLICY_SOFT);
	CHECK(error == NULL);
	/* and the entry never holds a truncated ID below the limit */
	uint64_t e = avic_entry_on_load(AVIC_POLICY_ERRATA, 0, AVIC_MAX_HOST_APIC_ID);
	CHECK_EQ(e & 0xfff, AVIC_MAX_HOST_APIC_ID);
}

int main(void)
{
	test_wide_apic_ids();
	test_choose_auto();
	test_choose_explicit();
	test_parse_and_name();
	test_entry_updates();
	test_incomplete_ipi_action();
	return check_summary("test_avic_policy");
}
