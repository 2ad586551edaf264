// sources: svm/cpu/spec_policy.c svm/cpu/rsb_fill.S
/* The speculation decisions of svm/cpu/spec.h on synthetic CPUID words: which bits turn IBPB,
 * the SPEC_CTRL bits and V_SPEC_CTRL on, when an IBPB is issued between VMs, which guest
 * SPEC_CTRL writes are taken, when the MSR is switched around VMRUN, and which families are
 * exposed to Retbleed and SRSO; and that rsb_fill() (svm/cpu/rsb_fill.S) returns with the stack
 * and the callee-saved registers as they were. */
#include "svm/cpu/spec.h"
#include "tests/unit/check.h"

/* EPYC 7002 (Zen2, family 17h) with current microcode: IBPB, IBRS, STIBP, SSBD, no V_SPEC_CTRL */
static const struct spec_cpuid rome = {.family = 0x17,
				       .ebx_88 = SPEC_88_IBPB | SPEC_88_IBRS | SPEC_88_STIBP |
						 SPEC_88_SSBD};
/* EPYC 9004 (Zen4, family 19h): V_SPEC_CTRL, IBPB_RET, BTC_NO, SRSO not fixed */
static const struct spec_cpuid genoa = {.family = 0x19,
					.ebx_88 = SPEC_88_IBPB | SPEC_88_IBRS | SPEC_88_STIBP |
						  SPEC_88_SSBD | SPEC_88_BTC_NO | SPEC_88_IBPB_RET,
					.edx_8a = SPEC_8A_V_SPEC_CTRL};
/* Zen5 (family 1Ah): SRSO_NO */
static const struct spec_cpuid turin = {.family = 0x1a,
					.ebx_88 = SPEC_88_IBPB | SPEC_88_IBRS | SPEC_88_BTC_NO,
					.edx_8a = SPEC_8A_V_SPEC_CTRL,
					.eax_821 = SPEC_821_SRSO_NO};
/* QEMU 7.2 TCG, EPYC-Rome: Fn8000_0008_EBX filtered to 0 */
static const struct spec_cpuid tcg = {.family = 0x17};

static void test_decode(void)
{
	struct spec_caps c = spec_caps_decode(&rome);
	CHECK(c.ibpb && !c.ibpb_ret);
	CHECK_EQ(c.ctrl_bits, SPEC_CTRL_IBRS | SPEC_CTRL_STIBP | SPEC_CTRL_SSBD);
	CHECK_EQ(c.mode, SPEC_CTRL_SWAP);
	CHECK(c.retbleed && c.srso);

	c = spec_caps_decode(&genoa);
	CHECK(c.ibpb && c.ibpb_ret);
	CHECK_EQ(c.mode, SPEC_CTRL_VMCB);
	CHECK(!c.retbleed && c.srso);

	c = spec_caps_decode(&turin);
	CHECK_EQ(c.ctrl_bits, SPEC_CTRL_IBRS);
	CHECK_EQ(c.mode, SPEC_CTRL_VMCB);
	CHECK(!c.retbleed && !c.srso);

	c = spec_caps_decode(&tcg);
	CHECK(!c.ibpb && !c.ibpb_ret);
	CHECK_EQ(c.ctrl_bits, 0);
	CHECK_EQ(c.mode, SPEC_CTRL_NONE);
	CHECK(c.retbleed && c.srso); /* family 17h without BTC_NO and SRSO_NO */

	/* each SPEC_CTRL bit alone turns the MSR on; V_SPEC_CTRL alone does not */
	struct spec_cpuid one = {.family = 0x19, .ebx_88 = SPEC_88_SSBD};
	c = spec_caps_decode(&one);
	CHECK_EQ(c.ctrl_bits, SPEC_CTRL_SSBD);
	CHECK_EQ(c.mode, SPEC_CTRL_SWAP);
	CHECK(!c.ibpb);
	one = (struct spec_cpuid){.family = 0x19, .edx_8a = SPEC_8A_V_SPEC_CTRL};
	CHECK_EQ(spec_caps_decode(&one).mode, SPEC_CTRL_NONE);
	/* IBPB_RET without IBPB means nothing */
	one = (struct spec_cpuid){.family = 0x19, .ebx_88 = SPEC_88_IBPB_RET};
	CHECK(!spec_caps_decode(&one).ibpb_ret);
}

static void test_ibpb_due(void)
{
	struct spec_caps c = spec_caps_decode(&rome);
	CHECK(!spec_ibpb_due(&c, 0, 1)); /* first VM on this CPU: only the host ran before */
	CHECK(!spec_ibpb_due(&c, 1, 1)); /* another vCPU of the same VM */
	CHECK(spec_ibpb_due(&c, 1, 2));  /* VM 0's vCPU, then VM 1's */
	CHECK(spec_ibpb_due(&c, 2, 1));
	/* a sequence A A B B A on one CPU: IBPB at the two VM changes */
	uint32_t seq[] = {1, 1, 2, 2, 1}, last = 0;
	unsigned issued = 0;
	for (unsigned i = 0; i < 5; i++) {
		issued += spec_ibpb_due(&c, last, seq[i]);
		last = seq[i];
	}
	CHECK_EQ(issued, 2);
	/* never without the CPU's IBPB */
	c = spec_caps_decode(&tcg);
	CHECK(!spec_ibpb_due(&c, 1, 2));
}

static void test_spec_ctrl(void)
{
	struct spec_caps c = spec_caps_decode(&rome);
	CHECK(spec_ctrl_write_ok(&c, 0));
	CHECK(spec_ctrl_write_ok(&c, SPEC_CTRL_IBRS | SPEC_CTRL_STIBP | SPEC_CTRL_SSBD));
	CHECK(!spec_ctrl_write_ok(&c, BIT(3)));  /* reserved */
	CHECK(!spec_ctrl_write_ok(&c, BIT(63)));
	c = spec_caps_decode(&turin);
	CHECK(spec_ctrl_write_ok(&c, SPEC_CTRL_IBRS));
	CHECK(!spec_ctrl_write_ok(&c, SPEC_CTRL_STIBP)); /* not offered */
	c = spec_caps_decode(&tcg);
	CHECK(!spec_ctrl_write_ok(&c, 0)); /* no SPEC_CTRL at all: #GP */

	/* switched around VMRUN only without V_SPEC_CTRL and only when the values differ */
	c = spec_caps_decode(&rome);
	CHECK(!spec_ctrl_swap_due(&c, 0, 0));
	CHECK(spec_ctrl_swap_due(&c, SPEC_CTRL_IBRS, 0));
	CHECK(spec_ctrl_swap_due(&c, 0, SPEC_CTRL_SSBD));
	CHECK(!spec_ctrl_swap_due(&c, SPEC_CTRL_SSBD, SPEC_CTRL_SSBD));
	c = spec_caps_decode(&genoa);
	CHECK(!spec_ctrl_swap_due(&c, SPEC_CTRL_IBRS, 0)); /* VMRUN loads it from the VMCB */
	c = spec_caps_decode(&tcg);
	CHECK(!spec_ctrl_swap_due(&c, 1, 0));
}

/* rsb_fill() pushes and drops 32 return addresses: RSP and the callee-saved registers must be
 * unchanged when it returns, however often it runs. */
static void test_rsb_fill(void)
{
	uint64_t rsp_before, rsp_after, rbx = 0x1111, r12 = 0x2222, r15 = 0x3333;
	__asm__ volatile("movq %%rsp, %0" : "=r"(rsp_before));
	for (unsigned i = 0; i < 1000; i++) {
		__asm__ volatile("call rsb_fill"
				 : "+b"(rbx), "+r"(r12), "+r"(r15)
				 :
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
				   "memory", "cc");
	}
	__asm__ volatile("movq %%rsp, %0" : "=r"(rsp_after));
	CHECK_EQ(rsp_after, rsp_before);
	CHECK_EQ(rbx, 0x1111);
	CHECK_EQ(r12, 0x2222);
	CHECK_EQ(r15, 0x3333);
	rsb_fill(); /* and as a C call */
}

int main(void)
{
	test_decode();
	test_ibpb_due();
	test_spec_ctrl();
	test_rsb_fill();
	return check_summary("spec");
}
