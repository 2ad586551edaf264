/* The speculation decisions of svm/cpu/spec.h: pure functions on CPUID words (host unit test:
 * tests/unit/test_spec.c). Bits: APM vol. 3, appendix E (Fn8000_0008_EBX, Fn8000_000A_EDX,
 * Fn8000_0021_EAX). */
#include "svm/cpu/spec.h"

struct spec_caps spec_caps_decode(const struct spec_cpuid *c)
{
	struct spec_caps s = {0};
	s.ibpb = c->ebx_88 & SPEC_88_IBPB;
	s.ibpb_ret = s.ibpb && (c->ebx_88 & SPEC_88_IBPB_RET);
	if (c->ebx_88 & SPEC_88_IBRS)
		s.ctrl_bits |= SPEC_CTRL_IBRS;
	if (c->ebx_88 & SPEC_88_STIBP)
		s.ctrl_bits |= SPEC_CTRL_STIBP;
	if (c->ebx_88 & SPEC_88_SSBD)
		s.ctrl_bits |= SPEC_CTRL_SSBD;
	if (s.ctrl_bits)
		s.mode = (c->edx_8a & SPEC_8A_V_SPEC_CTRL) ? SPEC_CTRL_VMCB : SPEC_CTRL_SWAP;
	/* Retbleed: Zen1 and Zen2 (family 17h) unless BTC_NO; SRSO: Zen1 to Zen4 (17h, 19h) unless
	 * SRSO_NO */
	s.retbleed = c->family == 0x17 && !(c->ebx_88 & SPEC_88_BTC_NO);
	s.srso = (c->family == 0x17 || c->family == 0x19) && !(c->eax_821 & SPEC_821_SRSO_NO);
	return s;
}

bool spec_ibpb_due(const struct spec_caps *c, uint32_t last_vm_tag, uint32_t next_vm_tag)
{
	return c->ibpb && last_vm_tag != 0 && last_vm_tag != next_vm_tag;
}

bool spec_ctrl_write_ok(const struct spec_caps *c, uint64_t value)
{
	return c->mode != SPEC_CTRL_NONE && !(value & ~c->ctrl_bits);
}
