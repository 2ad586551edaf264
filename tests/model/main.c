/* tests/model: runs every configuration, prints the table of outcomes with the states explored,
 * the trace of each failure found, and "model: N passed, N failed", N counting configurations
 * whose outcome is the expected one. Exit status 0 only if all are. */
#include "tests/model/model.h"

#include <stdio.h>
#include <time.h>

/* Bounds: the sender writes the ICR `ipis` times (each to every target); each target halts
 * `halts` times and is preempted `preempts` times. */
#define MAIN_HALTS    2
#define MAIN_PREEMPTS 1
#define C(policy, erratum, vcpus, ipis, variant, lost)                                             \
	{                                                                                          \
		AVIC_POLICY_##policy, erratum, vcpus, ipis, MAIN_HALTS, MAIN_PREEMPTS,             \
		    MODEL_##variant, lost, 0, false, MODEL_FINE, false                             \
	}
/* The IOMMU posting MAIN_DEVICE_IRQS device interrupts to vCPU1 (no IPIs): its IRTE read and
 * IRR write in one step (QEMU) or two (split). */
#define MAIN_DEVICE_IRQS 2
#define D(policy, split, variant, lost)                                                            \
	{                                                                                          \
		AVIC_POLICY_##policy, false, 2, 0, MAIN_HALTS, MAIN_PREEMPTS, MODEL_##variant,     \
		    lost, MAIN_DEVICE_IRQS, split, MODEL_FINE, false                               \
	}

/* The same with vcpu_poll_posted()'s tick (what the hypervisor runs). */
#define DT(policy, split, lost)                                                                    \
	{                                                                                          \
		AVIC_POLICY_##policy, false, 2, 0, MAIN_HALTS, MAIN_PREEMPTS, MODEL_AS_BUILT,      \
		    lost, MAIN_DEVICE_IRQS, split, MODEL_FINE, true                                \
	}

/* The re-read variant, 2 vCPUs, 2 ICR writes: must find a vCPU queued twice. */
#define R(policy)                                                                                  \
	{                                                                                          \
		AVIC_POLICY_##policy, false, 2, 2, MAIN_HALTS, MAIN_PREEMPTS, MODEL_REREAD_STATE,  \
		    false, 0, false, MODEL_QUEUED_TWICE, false                                     \
	}

static const struct model_config main_configs[] = {
    C(SOFT, false, 2, 2, AS_BUILT, false),
    C(ERRATA, false, 2, 2, AS_BUILT, false),
    C(ERRATA, true, 2, 2, AS_BUILT, false),
    C(STANDARD, false, 2, 2, AS_BUILT, false),
    C(STANDARD, true, 2, 2, AS_BUILT, true),
    C(SOFT, false, 3, 1, AS_BUILT, false),
    C(ERRATA, false, 3, 1, AS_BUILT, false),
    C(ERRATA, true, 3, 1, AS_BUILT, false),
    C(STANDARD, false, 3, 1, AS_BUILT, false),
    C(STANDARD, true, 3, 1, AS_BUILT, true),
    /* The model must be able to find the bug the protocol prevents. */
    C(ERRATA, false, 2, 2, NO_RECHECK, true),
    C(ERRATA, false, 2, 2, NO_BARRIER, true),
    C(SOFT, false, 2, 2, NO_RECHECK, true),
    C(SOFT, false, 2, 2, NO_BARRIER, true),
    /* Guest-mode IRTEs: the IOMMU as a sender, the IRTE updated by load/put. */
    D(ERRATA, false, AS_BUILT, false),
    D(STANDARD, false, AS_BUILT, false),
    D(ERRATA, false, IRTE_AFTER_CLEAR, true),
    D(ERRATA, false, NO_RECHECK, true),
    /* The window no order closes: an IRTE read before the put's update, the IRR written after
     * the re-check (docs/iommu.md "Known limits"). */
    D(ERRATA, true, AS_BUILT, true),
    /* ... which the home CPU's tick turns into a late interrupt (docs/iommu.md). */
    DT(ERRATA, true, false),
    DT(STANDARD, true, false),
    /* The run loop's tail before commit 4ae3f60: a vCPU woken between blocking and its put is
     * queued by the waker and queued again by itself (the IPI storm's lost IPI). */
    R(SOFT),
    R(ERRATA),
};

static const char *main_variant_name(enum model_variant v)
{
	switch (v) {
	case MODEL_AS_BUILT:
		return "as built";
	case MODEL_NO_RECHECK:
		return "no re-check";
	case MODEL_NO_BARRIER:
		return "no barrier";
	case MODEL_IRTE_AFTER_CLEAR:
		return "IRTE late";
	case MODEL_REREAD_STATE:
		return "re-read";
	}
	return "?";
}

static const char *main_outcome(const struct explore_result *r)
{
	if (r->depth_exceeded)
		return "depth limit hit";
	switch (r->failure) {
	case MODEL_FINE:
		return "no lost wake-up";
	case MODEL_LOST_WAKEUP:
		return "lost wake-up found";
	case MODEL_STRANDED:
		return "stranded IRR found";
	case MODEL_QUEUED_TWICE:
		return "queued twice found";
	case MODEL_UNQUEUED:
		return "unqueued found";
	}
	return "?";
}

static const char *main_expected(const struct model_config *c)
{
	if (c->expect_failure == MODEL_QUEUED_TWICE)
		return "twice";
	if (c->expect_failure == MODEL_UNQUEUED)
		return "unqueued";
	return c->expect_lost ? "lost" : "none";
}

static bool main_expects_failure(const struct model_config *c)
{
	return c->expect_lost || c->expect_failure != MODEL_FINE;
}

/* "" if the configuration ended as expected, else why not. A configuration that finds no lost
 * wake-up must also have exercised both halves of the pairing and the doorbell (and, standard
 * with the erratum, a stale IsRunning read), or it proved nothing. */
static const char *main_verdict(const struct model_config *c, const struct explore_result *r)
{
	const struct model_coverage *k = &r->coverage;
	if (r->depth_exceeded)
		return " MISMATCH (depth limit)";
	if (c->expect_failure != MODEL_FINE)
		return r->failure == c->expect_failure ? "" : " MISMATCH";
	if (c->expect_lost)
		return r->failure == MODEL_LOST_WAKEUP ? "" : " MISMATCH";
	if (r->failure != MODEL_FINE)
		return " MISMATCH";
	if (!k->sender_woke || !k->self_woke || !k->doorbell_taken ||
	    (c->ipis && !k->woke_loaded) ||
	    (c->erratum && c->policy == AVIC_POLICY_STANDARD && !k->stale_reads) ||
	    (c->device_irqs && (!k->ga_log_woke || !k->iommu_doorbell)))
		return " MISMATCH (paths not exercised)";
	return "";
}

int main(void)
{
	unsigned passed = 0, failed = 0;
	printf("| policy   | erratum | vCPUs | IOMMU      | variant     | outcome            | "
	       "expected | states  "
	       "| transitions | depth | sender wakes | self wakes | doorbells taken | stale reads "
	       "| loaded wakes | ms   |\n");
	printf("|----------|---------|-------|------------|-------------|--------------------|---------"
	       "-|--------"
	       "-|-------------|-------|--------------|------------|-----------------|-------------"
	       "|--------------|------|\n");
	for (unsigned i = 0; i < sizeof(main_configs) / sizeof(main_configs[0]); i++) {
		const struct model_config *c = &main_configs[i];
		struct explore_result r;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		explore_run(c, &r, false);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		const char *verdict = main_verdict(c, &r);
		if (verdict[0] == '\0')
			passed++;
		else
			failed++;
		long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		const struct model_coverage *k = &r.coverage;
		printf("| %-8s | %-7s | %5u | %-10s | %-11s | %-18s | %-8s | %7llu | %11llu | %5u | "
		       "%12llu | "
		       "%10llu | %15llu | %11llu | %12llu | %4ld |%s\n",
		       avic_policy_name(c->policy), c->erratum ? "on" : "off", c->vcpus,
		       !c->device_irqs  ? "-"
		       : c->tick        ? (c->iommu_split ? "split+tick" : "atomic+tick")
		       : c->iommu_split ? "split"
		                        : "atomic",
		       main_variant_name(c->variant), main_outcome(&r),
		       main_expected(c), (unsigned long long)r.states,
		       (unsigned long long)r.transitions, r.max_depth,
		       (unsigned long long)k->sender_woke, (unsigned long long)k->self_woke,
		       (unsigned long long)k->doorbell_taken, (unsigned long long)k->stale_reads,
		       (unsigned long long)k->woke_loaded, ms, verdict);
	}
	printf("\nBounds: vCPU0 writes the ICR (fixed, all-but-self) 2 times with 2 vCPUs, once "
	       "with 3;"
	       "\neach target halts at most %d times and is preempted at most %d times; vCPU i is "
	       "pinned to CPU i.\n",
	       MAIN_HALTS, MAIN_PREEMPTS);
	for (unsigned i = 0; i < sizeof(main_configs) / sizeof(main_configs[0]); i++) {
		const struct model_config *c = &main_configs[i];
		if (!main_expects_failure(c))
			continue;
		struct explore_result r;
		printf("\nTrace: %s, erratum %s, %u vCPUs, IOMMU %s, %s:\n",
		       avic_policy_name(c->policy), c->erratum ? "on" : "off", c->vcpus,
		       !c->device_irqs  ? "-"
		       : c->iommu_split ? "split"
		                        : "atomic",
		       main_variant_name(c->variant));
		explore_run(c, &r, true);
	}
	printf("model: %u passed, %u failed\n", passed, failed);
	return failed != 0;
}
