#include "svm/emul/effective_addr.h"

static uint64_t address_mask(unsigned addrsize)
{
	return addrsize >= 8 ? ~0ull : (1ull << (8 * addrsize)) - 1;
}

uint64_t insn_write_address(const struct insn *in, const struct guest_regs *regs,
                            uint64_t next_rip, enum insn_seg *seg)
{
	const struct insn_mem *m = &in->mem;
	uint64_t ea;

	if (in->op == INSN_OP_MOVS) {
		/* the destination ES:rDI takes no segment override (SDM vol. 2, MOVS) */
		*seg = INSN_SEG_ES;
		return regs->gpr[GPR_RDI] & address_mask(in->addrsize);
	}
	*seg = (enum insn_seg)m->seg;
	ea = (uint64_t)m->disp;
	if (m->rip_relative)
		ea += next_rip;
	else if (m->base != INSN_REG_NONE)
		ea += regs->gpr[m->base];
	if (m->index != INSN_REG_NONE)
		ea += regs->gpr[m->index] * m->scale;
	return ea & address_mask(in->addrsize);
}

bool insn_writes_memory(const struct insn *in)
{
	switch (in->op) {
	case INSN_OP_MOV_STORE:
	case INSN_OP_MOV_STORE_IMM:
	case INSN_OP_MOVS:
	case INSN_OP_STOS:
	case INSN_OP_XCHG:
		return true;
	case INSN_OP_ALU_STORE:
	case INSN_OP_ALU_STORE_IMM:
		return in->alu != INSN_ALU_CMP; /* CMP only reads */
	default:
		return false;
	}
}
