#include "svm/emul/cr_insn.h"
#include "kernel/x86.h"
#include "svm/emul/guest_walk.h"
#include "svm/vmcb.h"

#define OPC_MOV_TO_CR 0x22
#define OPC_CLTS 0x06
#define OPC_GROUP7 0x01
#define GROUP7_LMSW 6
#define LMSW_BITS (CR0_PE | CR0_MP | CR0_EM | CR0_TS)

static const struct vmcb_seg *segment(const struct vmcb_save *s, unsigned seg)
{
	const struct vmcb_seg *segs[] = {&s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs};
	return seg < 6 ? segs[seg] : &s->ds;
}

/* LMSW's 16-bit source: a register, or memory at the operand's linear address. The intercept comes
 * before the memory access (APM vol. 2, 15.7.1: before exceptions related to memory accesses), so
 * its #PF is raised here: a supervisor read (LMSW at CPL > 0 is #GP before the intercept). */
static enum cr_insn_result lmsw_source(const struct cr_insn_vcpu *v, const struct insn *insn,
				       uint16_t *src, struct cr_insn_fault *fault)
{
	const struct insn_mem *m = &insn->mem;
	const struct vmcb_save *s = &v->vmcb->save;
	if (m->is_reg) {
		*src = (uint16_t)v->gpr[m->base];
		return CR_INSN_OK;
	}
	uint64_t ea = (uint64_t)m->disp;
	if (m->rip_relative)
		ea += s->rip + insn->len;
	else if (m->base != INSN_REG_NONE)
		ea += v->gpr[m->base];
	if (m->index != INSN_REG_NONE)
		ea += v->gpr[m->index] * m->scale;
	if (insn->addrsize == 4)
		ea &= 0xffffffffu;
	else if (insn->addrsize == 2)
		ea &= 0xffffu;
	uint64_t linear = ea;
	if (insn->mode != CPU_MODE_LONG64)
		linear = (linear + segment(s, m->seg)->base) & 0xffffffffu;
	else if (m->seg == INSN_SEG_FS || m->seg == INSN_SEG_GS)
		linear += segment(s, m->seg)->base;
	struct guest_paging p = {s->cr0, s->cr3, s->cr4, s->efer};
	uint32_t pf_error = GUEST_WALK_NO_PF;
	size_t got = guest_read_virt(&p, linear, src, sizeof(*src), 0, v->read, v->ctx, &pf_error);
	if (got == sizeof(*src))
		return CR_INSN_OK;
	if (pf_error == GUEST_WALK_NO_PF)
		return CR_INSN_FAULT;
	fault->linear = (linear + got) & (insn->mode == CPU_MODE_LONG64 ? ~0ull : 0xffffffffull);
	fault->error = pf_error;
	return CR_INSN_PAGE_FAULT;
}

enum cr_insn_result cr_insn_value(const struct cr_insn_vcpu *v, const struct insn *insn,
				  unsigned cr, uint64_t *value, struct cr_insn_fault *fault)
{
	uint64_t cr0 = v->vmcb->save.cr0;
	if (insn->map != INSN_MAP_0F)
		return CR_INSN_NOT_CR_WRITE;
	/* CR8 is also LOCK MOV CR0 where CPUID offers AltMovCr8 (APM vol. 3, MOV CRn) */
	unsigned reg = insn->modrm_reg;
	if (cr == 8 && reg == 0 && (insn->prefixes & INSN_PFX_LOCK))
		reg = 8;
	if (insn->opcode == OPC_MOV_TO_CR && reg == cr) {
		/* the operand is always a register (ModRM.mod is ignored); 64 bits in 64-bit mode */
		uint64_t src = v->gpr[insn->modrm_rm];
		*value = insn->mode == CPU_MODE_LONG64 ? src : (uint32_t)src;
		return CR_INSN_OK;
	}
	if (cr != 0)
		return CR_INSN_NOT_CR_WRITE;
	if (insn->opcode == OPC_CLTS) {
		*value = cr0 & ~CR0_TS;
		return CR_INSN_OK;
	}
	if (insn->opcode == OPC_GROUP7 && insn->has_modrm && (insn->modrm_reg & 7) == GROUP7_LMSW) {
		uint16_t src;
		enum cr_insn_result r = lmsw_source(v, insn, &src, fault);
		if (r != CR_INSN_OK)
			return r;
		/* LMSW loads PE, MP, EM and TS; it can set PE but not clear it */
		*value = (cr0 & ~(uint64_t)(CR0_MP | CR0_EM | CR0_TS)) | (src & LMSW_BITS);
		return CR_INSN_OK;
	}
	return CR_INSN_NOT_CR_WRITE;
}
