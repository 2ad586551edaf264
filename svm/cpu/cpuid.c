/* The guest's CPUID: the policy table (docs/cpuid.md) and the state-dependent bits. */
#include "svm/cpu/cpuid.h"
#include "svm/cpu/hypercall.h"
#include "svm/cpu/xcr0.h"

#define CPUID_ANY_SUB 0xffffffffu
#define CPUID_BASIC_CAP 0x1fu       /* highest basic leaf offered */
#define CPUID_EXT_CAP 0x80000021u   /* highest extended leaf offered */
#define CPUID_POLICY_MAX 224        /* entries: every leaf and subleaf in range */
#define CPUID_SUBLEAF_MAX 64        /* XSAVE components 0..63 */
#define CPUID_DEFAULT_MAXPHYADDR 36 /* without Fn8000_0008 (APM vol. 2, 7.7.2) */

#define B(n) (1u << (n))
#define ALL 0xffffffffu

/* What passes from the host to the guest, per leaf (and subleaf): keep = bits passed (per
 * register), set = bits synthesized. A leaf without a rule reads as zeros. Each mask names the
 * reason in docs/cpuid.md; the state-dependent bits (APIC ID, OSXSAVE, OSPKE, APIC) are applied
 * by cpuid_guest(). */
struct cpuid_rule {
	uint32_t leaf, subleaf;
	uint32_t keep[4], set[4];
};

/* Fn0000_0001_ECX hidden: MONITOR (no MWAIT), DS-CPL, VMX, SMX, EST, TM2, SDBG, PDCM (no
 * PERF_CAPABILITIES), DCA, TSC-deadline (not in the virtual APIC), OSXSAVE (follows CR4) */
#define HIDE_1_ECX (B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(11) | B(15) | B(18) | B(24) | B(27))
/* Fn0000_0001_EDX hidden: DS, ACPI (thermal MSRs), TM, PBE: Intel monitoring without MSRs here */
#define HIDE_1_EDX (B(21) | B(22) | B(29) | B(31))
/* Fn0000_0007_0 hidden: SGX, PQM, MPX (no BNDCFGS), PQE, Intel PT; WAITPKG, OSPKE (follows
 * CR4), ENQCMD, SGX-LC; the speculation-control MSRs (IA32_SPEC_CTRL, PRED_CMD, ARCH_CAPABILITIES,
 * FLUSH_CMD, CORE_CAPABILITIES), which doorbell does not emulate */
#define HIDE_7_EBX (B(2) | B(12) | B(14) | B(15) | B(25))
#define HIDE_7_ECX (B(4) | B(5) | B(29) | B(30))
#define HIDE_7_EDX (B(26) | B(27) | B(28) | B(29) | B(30) | B(31))
/* Fn8000_0001_ECX hidden: SVM (no nested SVM), IBS, SKINIT, WDT, LWP, NodeId, PerfCtrExtNB,
 * DataBkptExt, PerfTsc, PerfCtrExtLLC, MONITORX: MSRs or instructions doorbell does not offer */
#define HIDE_81_ECX                                                                                \
	(B(2) | B(10) | B(12) | B(13) | B(15) | B(19) | B(24) | B(26) | B(27) | B(28) | B(29))
/* Fn8000_0008_EBX hidden: IRPERF, RDPRU, the modes of IBRS and STIBP (always-on, preferred,
 * same-mode), VIRT_SSBD and PPIN: their MSRs are not emulated. IBPB, IBRS, STIBP and SSBD pass:
 * PRED_CMD and SPEC_CTRL are emulated (svm/cpu/msr.c, svm/cpu/spec.h). */
#define HIDE_88_EBX (B(1) | B(4) | B(16) | B(17) | B(18) | B(19) | B(23) | B(25))

static const struct cpuid_rule rules[] = {
	{0, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{1, CPUID_ANY_SUB, {ALL, 0x0000ffffu, ~HIDE_1_ECX, ~HIDE_1_EDX},
	 {0, 0, B(21) /* x2APIC */ | B(31) /* hypervisor */, 0}},
	{2, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{4, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{6, CPUID_ANY_SUB, {0}, {B(2) /* ARAT: the virtual APIC timer never stops */, 0, 0, 0}},
	{7, 0, {ALL, ~HIDE_7_EBX, ~HIDE_7_ECX, ~HIDE_7_EDX}, {0}},
	{7, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0xb, CPUID_ANY_SUB, {0}, {0}}, /* topology: synthesized per VM */
	{0xd, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x1f, CPUID_ANY_SUB, {0}, {0}},
	{0x80000000, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x80000001, CPUID_ANY_SUB, {ALL, ALL, ~HIDE_81_ECX, ALL},
	 {0, 0, B(23) /* PerfCtrExtCore: emulated (svm/cpu/msr_pmu.c) */, 0}},
	{0x80000002, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x80000003, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x80000004, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x80000005, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x80000006, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x80000007, CPUID_ANY_SUB, {0, 0, 0, B(8) /* invariant TSC */}, {0}},
	{0x80000008, CPUID_ANY_SUB, {ALL, ~HIDE_88_EBX, 0, 0},
	 {0, B(20) /* EferLmsleUnsupported */, 0, 0}},
	{0x80000019, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x8000001a, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x8000001d, CPUID_ANY_SUB, {ALL, ALL, ALL, ALL}, {0}},
	{0x8000001e, CPUID_ANY_SUB, {0}, {0}}, /* extended APIC ID and topology: per VM */
	/* NoNestedDataBp, LfenceAlwaysSerializing, NullSelectClearsBase: facts about the CPU */
	{0x80000021, CPUID_ANY_SUB, {B(0) | B(2) | B(6), 0, 0, 0}, {0}},
};

struct cpuid_entry {
	uint32_t leaf, subleaf;
	struct cpuid_regs r;
};

static struct cpuid_policy {
	unsigned count;
	uint32_t max_basic, max_ext;
	unsigned maxphyaddr;
	struct cpuid_entry e[CPUID_POLICY_MAX];
} policy;

/* Leaves whose answer depends on ECX (APM vol. 3, appendix E; SDM vol. 2, CPUID). */
static bool leaf_indexed(uint32_t leaf)
{
	switch (leaf) {
	case 4: case 7: case 0xb: case 0xd: case 0xf: case 0x10: case 0x12: case 0x14: case 0x17:
	case 0x18: case 0x1d: case 0x1e: case 0x1f: case 0x8000001d: case 0x80000020:
		return true;
	}
	return false;
}

static const struct cpuid_rule *rule_for(uint32_t leaf, uint32_t subleaf)
{
	for (unsigned i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].leaf == leaf &&
		    (rules[i].subleaf == CPUID_ANY_SUB || rules[i].subleaf == subleaf))
			return &rules[i];
	return NULL;
}

static cpuid_host_fn host_cpuid;

static void policy_add(uint32_t leaf, uint32_t subleaf)
{
	const struct cpuid_rule *rule = rule_for(leaf, subleaf);
	if (!rule || policy.count == CPUID_POLICY_MAX)
		return; /* no rule: zeros */
	struct cpuid_regs h = host_cpuid(leaf, subleaf);
	uint32_t *hr[4] = {&h.eax, &h.ebx, &h.ecx, &h.edx};
	for (unsigned i = 0; i < 4; i++)
		*hr[i] = (*hr[i] & rule->keep[i]) | rule->set[i];
	policy.e[policy.count++] = (struct cpuid_entry){leaf, leaf_indexed(leaf) ? subleaf : 0, h};
}

/* How many subleaves of an indexed leaf the host reports. */
static uint32_t subleaf_count(uint32_t leaf)
{
	uint32_t n = 0;
	switch (leaf) {
	case 7:
		return host_cpuid(7, 0).eax + 1 > 8 ? 8 : host_cpuid(7, 0).eax + 1;
	case 0xd:
		return CPUID_SUBLEAF_MAX;
	case 4:
	case 0x8000001d: /* cache descriptors until type 0 */
		while (n < 16 && (host_cpuid(leaf, n).eax & 0x1f))
			n++;
		return n;
	default:
		return 1;
	}
}

void cpuid_policy_build(cpuid_host_fn host)
{
	host_cpuid = host;
	policy.count = 0;
	uint32_t host_basic = host(0, 0).eax, host_ext = host(0x80000000, 0).eax;
	policy.max_basic = host_basic < CPUID_BASIC_CAP ? host_basic : CPUID_BASIC_CAP;
	policy.max_ext = host_ext < CPUID_EXT_CAP ? host_ext : CPUID_EXT_CAP;
	for (uint32_t leaf = 0; leaf <= policy.max_basic; leaf++)
		for (uint32_t sub = 0, n = subleaf_count(leaf); sub < n; sub++)
			policy_add(leaf, sub);
	for (uint32_t leaf = 0x80000000; leaf <= policy.max_ext; leaf++)
		for (uint32_t sub = 0, n = subleaf_count(leaf); sub < n; sub++)
			policy_add(leaf, sub);
	/* the highest leaves themselves, capped */
	policy.e[0].r.eax = policy.max_basic;
	for (unsigned i = 0; i < policy.count; i++)
		if (policy.e[i].leaf == 0x80000000)
			policy.e[i].r.eax = policy.max_ext;
	policy.maxphyaddr = CPUID_DEFAULT_MAXPHYADDR;
	if (policy.max_ext >= 0x80000008)
		policy.maxphyaddr = host(0x80000008, 0).eax & 0xff;
}

static struct cpuid_regs this_cpu_cpuid(uint32_t leaf, uint32_t subleaf)
{
	return cpuid(leaf, subleaf);
}

void cpuid_policy_init(void)
{
	cpuid_policy_build(this_cpu_cpuid);
}

static const struct cpuid_regs *policy_lookup(uint32_t leaf, uint32_t subleaf)
{
	if (!leaf_indexed(leaf))
		subleaf = 0;
	for (unsigned i = 0; i < policy.count; i++)
		if (policy.e[i].leaf == leaf && policy.e[i].subleaf == subleaf)
			return &policy.e[i].r;
	return NULL;
}

bool cpuid_has(uint64_t feature)
{
	const struct cpuid_regs *r =
	    policy_lookup((uint32_t)feature, (uint32_t)(feature >> 32) & 0xff);
	if (!r)
		return false;
	const uint32_t regs[4] = {r->eax, r->ebx, r->ecx, r->edx};
	return regs[(feature >> 40) & 3] & (1u << ((feature >> 48) & 31));
}

unsigned cpuid_maxphyaddr(void)
{
	return policy.maxphyaddr;
}

/* Bits to hold 0..n-1 (the APIC ID shift of a level with n logical processors). */
static uint32_t id_bits(uint32_t n)
{
	uint32_t bits = 0;
	while ((1u << bits) < n)
		bits++;
	return bits;
}

/* One thread per core, every vCPU a core of one package: x2APIC ID = APIC ID = vCPU index. */
static void topology(const struct cpuid_vcpu *v, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
	uint32_t n = v->vcpu_count;
	switch (leaf) {
	case 0xb:
	case 0x1f:
		if (subleaf == 0)
			*r = (struct cpuid_regs){0, 1, 0x100, 0}; /* SMT level: 1 thread */
		else if (subleaf == 1)
			*r = (struct cpuid_regs){id_bits(n), n, 0x200 | 1, 0}; /* core level */
		else
			*r = (struct cpuid_regs){0, 0, subleaf & 0xff, 0};
		r->edx = v->index;
		break;
	case 0x80000008:
		r->ecx = ((n - 1) & 0xff) | (id_bits(n) << 12);
		break;
	case 0x8000001e:
		*r = (struct cpuid_regs){v->index, v->index & 0xff, 0, 0};
		break;
	}
}

/* Leaf 0xD (SDM vol. 1 §13.2): the XCR0 components doorbell switches (svm/cpu/lazy_regs.c), EBX
 * sized for the guest's own XCR0 (brought up to date by the CPUID exit), ECX for all
 * it may enable; other components absent. */
static void xsave_leaf(const struct cpuid_vcpu *v, uint32_t subleaf, struct cpuid_regs *r)
{
	uint64_t guest = xsave_layout.guest;
	if (!xsave_layout.present) {
		*r = (struct cpuid_regs){0, 0, 0, 0};
	} else if (subleaf == 0) {
		r->eax = (uint32_t)guest;
		r->edx = (uint32_t)(guest >> 32);
		r->ebx = xcr0_xsave_size(&xsave_layout, v->xcr0);
		r->ecx = xcr0_xsave_size(&xsave_layout, guest);
	} else if (subleaf >= 2 && subleaf < 64 && !(guest & (1ull << subleaf))) {
		*r = (struct cpuid_regs){0, 0, 0, 0};
	}
}

struct cpuid_regs cpuid_guest(const struct cpuid_vcpu *v, uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r = {0, 0, 0, 0};
	if (leaf == DOORBELL_CPUID_BASE) {
		r.eax = DOORBELL_CPUID_INFO;
		r.ebx = DOORBELL_CPUID_SIG_EBX;
		r.ecx = DOORBELL_CPUID_SIG_ECX;
		r.edx = DOORBELL_CPUID_SIG_EDX;
		return r;
	}
	if (leaf == DOORBELL_CPUID_INFO) {
		r.eax = DOORBELL_ABI_VERSION;
		r.ebx = v->index;
		r.ecx = v->vcpu_count;
		return r;
	}
	bool per_level = leaf == 0xb || leaf == 0x1f; /* every subleaf synthesized */
	const struct cpuid_regs *p = policy_lookup(leaf, per_level ? 0 : subleaf);
	if (!p)
		return r; /* beyond the highest leaf, or hidden: zeros, as AMD CPUs answer */
	r = *p;
	uint64_t cr4 = v->cr4;
	switch (leaf) {
	case 1:
		/* APIC ID = vCPU index (EBX[31:24]); logical processor count (EBX[23:16]) */
		r.ebx |= (v->index << 24) | ((v->vcpu_count & 0xff) << 16);
		if ((r.ecx & B(26)) && (cr4 & CR4_OSXSAVE))
			r.ecx |= B(27); /* OSXSAVE mirrors CR4.OSXSAVE */
		if (!v->apic_enabled)
			r.edx &= ~B(9); /* APIC globally disabled in IA32_APIC_BASE */
		break;
	case 7:
		if (subleaf == 0 && (r.ecx & B(3)) && (cr4 & CR4_PKE))
			r.ecx |= B(4); /* OSPKE mirrors CR4.PKE */
		break;
	case 0xd:
		xsave_leaf(v, subleaf, &r);
		break;
	case 0xb:
	case 0x1f:
	case 0x80000008:
	case 0x8000001e:
		topology(v, leaf, subleaf, &r);
		break;
	}
	return r;
}
