/* MMIO instruction emulation: the memory forms of MOV, MOVZX/MOVSX/MOVSXD, MOVS/STOS, the ALU
 * group, TEST and XCHG (SDM vol. 2 for each instruction; flags per SDM vol. 1, 3.4.3). */
#include "svm/emul/emulate.h"
#include "svm/emul/guest_walk.h"

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : BIT(8 * size) - 1;
}

static uint64_t sign_extend(uint64_t val, unsigned size)
{
	uint64_t sign = BIT(8 * size - 1);

	val &= size_mask(size);
	return (val ^ sign) - sign;
}

/* Register operand of the given size. Without REX, byte registers 4-7 are AH, CH, DH, BH:
 * bits 15:8 of registers 0-3 (SDM vol. 1, 3.4.1.1). */
static uint64_t reg_read(const struct insn *insn, const struct guest_regs *regs, unsigned reg,
                         unsigned size)
{
	if (size == 1 && insn->byte_regs_legacy && reg >= 4 && reg < 8)
		return (regs->gpr[reg - 4] >> 8) & 0xff;
	return regs->gpr[reg] & size_mask(size);
}

/* Writes of 8 or 16 bits keep the rest of the register; 32-bit writes zero-extend to 64 bits
 * (SDM vol. 1, 3.4.1.1). */
static void reg_write(const struct insn *insn, struct guest_regs *regs, unsigned reg, unsigned size,
                      uint64_t val)
{
	if (size == 1 && insn->byte_regs_legacy && reg >= 4 && reg < 8) {
		uint64_t *r = &regs->gpr[reg - 4];
		*r = (*r & ~0xff00ull) | ((val & 0xff) << 8);
	} else if (size == 4) {
		regs->gpr[reg] = val & 0xffffffffull;
	} else {
		regs->gpr[reg] = (regs->gpr[reg] & ~size_mask(size)) | (val & size_mask(size));
	}
}

/* PF: set when the low byte of the result has an even number of 1 bits. */
static bool parity_even(uint64_t val)
{
	unsigned v = (unsigned)(val & 0xff);

	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/* Computes a op b on size bytes and sets CF PF AF ZF SF OF in *rflags as the ALU instruction
 * does (SDM vol. 2, ADD/ADC/SUB/SBB/CMP/AND/OR/XOR). Carry and overflow come from the sign bit
 * of the operands and result, which avoids needing a wider type for 64-bit operands. */
static uint64_t alu_compute(enum insn_alu alu, uint64_t a, uint64_t b, unsigned size,
                            uint64_t *rflags)
{
	uint64_t mask = size_mask(size), sign = BIT(8 * size - 1);
	uint64_t carry_in = (*rflags & RFLAGS_CF) ? 1 : 0;
	uint64_t res, cf = 0, of = 0, af = 0;

	a &= mask;
	b &= mask;
	switch (alu) {
	case INSN_ALU_ADD:
	case INSN_ALU_ADC:
		res = (a + b + (alu == INSN_ALU_ADC ? carry_in : 0)) & mask;
		cf = ((a & b) | ((a | b) & ~res)) & sign;
		of = (a ^ res) & (b ^ res) & sign;
		af = (a ^ b ^ res) & 0x10;
		break;
	case INSN_ALU_SUB:
	case INSN_ALU_SBB:
	case INSN_ALU_CMP:
		res = (a - b - (alu == INSN_ALU_SBB ? carry_in : 0)) & mask;
		cf = ((~a & b) | (~(a ^ b) & res)) & sign;
		of = (a ^ b) & (a ^ res) & sign;
		af = (a ^ b ^ res) & 0x10;
		break;
	case INSN_ALU_AND:
		res = a & b;
		break;
	case INSN_ALU_OR:
		res = a | b;
		break;
	case INSN_ALU_XOR:
	default:
		res = a ^ b;
		break;
	}
	*rflags &= ~(RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF);
	if (cf)
		*rflags |= RFLAGS_CF;
	if (parity_even(res))
		*rflags |= RFLAGS_PF;
	if (af)
		*rflags |= RFLAGS_AF;
	if (res == 0)
		*rflags |= RFLAGS_ZF;
	if (res & sign)
		*rflags |= RFLAGS_SF;
	if (of)
		*rflags |= RFLAGS_OF;
	return res;
}

struct emulation {
	const struct insn *insn;
	struct guest_regs *regs;
	uint64_t *rflags;
	gpa_t gpa;
	const struct emulate_ops *ops;
	void *ctx;
};

static int mem_read(const struct emulation *e, gpa_t gpa, unsigned size, uint64_t *val)
{
	if (!e->ops->mmio_read(e->ctx, gpa, size, val))
		return -EMULATE_EACCESS;
	*val &= size_mask(size);
	return 0;
}

static int mem_write(const struct emulation *e, gpa_t gpa, unsigned size, uint64_t val)
{
	if (!e->ops->mmio_write(e->ctx, gpa, size, val & size_mask(size)))
		return -EMULATE_EACCESS;
	return 0;
}

/* ALU forms: the memory operand is the destination for ALU_STORE(_IMM), the source for
 * ALU_LOAD. CMP and TEST only set flags. */
static int emulate_alu(const struct emulation *e)
{
	const struct insn *in = e->insn;
	unsigned size = in->opsize;
	uint64_t mem, res;
	int err = mem_read(e, e->gpa, size, &mem);

	if (err)
		return err;
	switch (in->op) {
	case INSN_OP_ALU_LOAD:
		res = alu_compute(in->alu, reg_read(in, e->regs, in->reg, size), mem, size,
		                  e->rflags);
		if (in->alu != INSN_ALU_CMP)
			reg_write(in, e->regs, in->reg, size, res);
		return 0;
	case INSN_OP_ALU_STORE:
	case INSN_OP_ALU_STORE_IMM: {
		uint64_t src = in->op == INSN_OP_ALU_STORE ? reg_read(in, e->regs, in->reg, size)
		                                           : (uint64_t)in->imm;
		res = alu_compute(in->alu, mem, src, size, e->rflags);
		return in->alu == INSN_ALU_CMP ? 0 : mem_write(e, e->gpa, size, res);
	}
	case INSN_OP_TEST:
		alu_compute(INSN_ALU_AND, mem, reg_read(in, e->regs, in->reg, size), size,
		            e->rflags);
		return 0;
	default: /* INSN_OP_TEST_IMM */
		alu_compute(INSN_ALU_AND, mem, (uint64_t)in->imm, size, e->rflags);
		return 0;
	}
}

/* Loads into a register: MOV, MOVZX, MOVSX/MOVSXD. */
static int emulate_load(const struct emulation *e)
{
	const struct insn *in = e->insn;
	uint64_t val;
	int err = mem_read(e, e->gpa, in->mem_size, &val);

	if (err)
		return err;
	if (in->op == INSN_OP_MOVSX)
		val = sign_extend(val, in->mem_size);
	reg_write(in, e->regs, in->reg, in->opsize, val);
	return 0;
}

static int emulate_xchg(const struct emulation *e)
{
	const struct insn *in = e->insn;
	uint64_t mem;
	int err = mem_read(e, e->gpa, in->opsize, &mem);

	if (!err)
		err = mem_write(e, e->gpa, in->opsize, reg_read(in, e->regs, in->reg, in->opsize));
	if (!err)
		reg_write(in, e->regs, in->reg, in->opsize, mem);
	return err;
}

/* Adds delta to the address-size part of a string register, as the CPU does: SI/DI/CX keep the
 * upper bits, ESI/EDI/ECX zero-extend. */
static void string_reg_add(const struct emulation *e, unsigned reg, int64_t delta)
{
	reg_write(e->insn, e->regs, reg, e->insn->addrsize, e->regs->gpr[reg] + (uint64_t)delta);
}

static uint64_t string_reg(const struct emulation *e, unsigned reg)
{
	return e->regs->gpr[reg] & size_mask(e->insn->addrsize);
}

/* One iteration of MOVS or STOS, with or without REP (SDM vol. 2, MOVS, STOS, REP). */
static int emulate_string(const struct emulation *e)
{
	const struct insn *in = e->insn;
	bool rep = in->prefixes & (INSN_PFX_REP | INSN_PFX_REPNE);
	unsigned size = in->opsize;
	int64_t step = (*e->rflags & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
	uint64_t val;
	int err;

	if (rep && string_reg(e, GPR_RCX) == 0)
		return EMULATE_DONE;
	if (in->op == INSN_OP_STOS) {
		err = mem_write(e, e->gpa, size, reg_read(in, e->regs, GPR_RAX, size));
	} else {
		gpa_t src, dst;

		if (!e->ops->translate)
			return -EMULATE_EUNSUPPORTED;
		if (!e->ops->translate(e->ctx, (enum insn_seg)in->mem.seg, string_reg(e, GPR_RSI),
		                       WALK_READ, &src) ||
		    !e->ops->translate(e->ctx, INSN_SEG_ES, string_reg(e, GPR_RDI), WALK_WRITE,
		                       &dst))
			return -EMULATE_EACCESS;
		err = mem_read(e, src, size, &val);
		if (!err)
			err = mem_write(e, dst, size, val);
		if (!err)
			string_reg_add(e, GPR_RSI, step);
	}
	if (err)
		return err;
	string_reg_add(e, GPR_RDI, step);
	if (!rep)
		return EMULATE_DONE;
	string_reg_add(e, GPR_RCX, -1);
	return string_reg(e, GPR_RCX) == 0 ? EMULATE_DONE : EMULATE_REPEAT;
}

int emulate_mmio(const struct insn *insn, struct guest_regs *regs, uint64_t *rflags, gpa_t gpa,
                 const struct emulate_ops *ops, void *ctx)
{
	const struct emulation e = {
	    .insn = insn, .regs = regs, .rflags = rflags, .gpa = gpa, .ops = ops, .ctx = ctx};

	switch (insn->op) {
	case INSN_OP_MOV_LOAD:
	case INSN_OP_MOVZX:
	case INSN_OP_MOVSX:
		return emulate_load(&e);
	case INSN_OP_MOV_STORE:
		return mem_write(&e, gpa, insn->opsize,
		                 reg_read(insn, regs, insn->reg, insn->opsize));
	case INSN_OP_MOV_STORE_IMM:
		return mem_write(&e, gpa, insn->opsize, (uint64_t)insn->imm);
	case INSN_OP_MOVS:
	case INSN_OP_STOS:
		return emulate_string(&e);
	case INSN_OP_ALU_LOAD:
	case INSN_OP_ALU_STORE:
	case INSN_OP_ALU_STORE_IMM:
	case INSN_OP_TEST:
	case INSN_OP_TEST_IMM:
		return emulate_alu(&e);
	case INSN_OP_XCHG:
		return emulate_xchg(&e);
	default:
		return -EMULATE_EUNSUPPORTED;
	}
}
