// sources: svm/emul/decode.c
/* Fuzz target for the instruction decoder (svm/emul/decode.c); drivers: tests/fuzz/fuzz.h.
 *
 * Every input is decoded in every CPU mode from a heap buffer of exactly its size, so ASan reports
 * any read past avail. Invariants checked:
 *  - the result is 0 or one of the DECODE_E* codes;
 *  - on success 1 <= len <= 15 and len <= avail, and the fields are in their ranges;
 *  - decoding is deterministic, gives the same result with avail cut to len and with extra bytes
 *    after the instruction, and every shorter prefix of it is reported truncated;
 *  - truncation is only reported when fewer than 15 bytes were available. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svm/emul/decode.h"
#include "tests/fuzz/fuzz.h"

static const enum cpu_mode fuzz_modes[] = {CPU_MODE_REAL16, CPU_MODE_PROT16, CPU_MODE_PROT32,
                                           CPU_MODE_LONG64};

static bool mem_equal(const struct insn_mem *a, const struct insn_mem *b)
{
	return a->is_reg == b->is_reg && a->rip_relative == b->rip_relative && a->base == b->base &&
	       a->index == b->index && a->scale == b->scale && a->seg == b->seg &&
	       a->disp == b->disp;
}

/* Field by field: padding bytes of struct insn carry no meaning. */
static bool insn_equal(const struct insn *a, const struct insn *b)
{
	return a->len == b->len && a->mode == b->mode && a->prefixes == b->prefixes &&
	       a->seg_override == b->seg_override && a->rex == b->rex && a->map == b->map &&
	       a->opcode == b->opcode && a->opsize == b->opsize && a->addrsize == b->addrsize &&
	       a->has_modrm == b->has_modrm && a->modrm == b->modrm &&
	       a->modrm_mod == b->modrm_mod && a->modrm_reg == b->modrm_reg &&
	       a->modrm_rm == b->modrm_rm && a->has_sib == b->has_sib && a->sib == b->sib &&
	       a->disp_len == b->disp_len && mem_equal(&a->mem, &b->mem) &&
	       a->vex_vvvv == b->vex_vvvv && a->vex_l == b->vex_l && a->imm_len == b->imm_len &&
	       a->imm2_len == b->imm2_len && a->imm == b->imm && a->imm2 == b->imm2 &&
	       a->op == b->op && a->alu == b->alu && a->mem_size == b->mem_size &&
	       a->reg == b->reg && a->byte_regs_legacy == b->byte_regs_legacy;
}

static bool is_size(unsigned v, unsigned allowed_mask)
{
	return v < 16 && (allowed_mask & (1u << v));
}

static bool reg_or_none(uint8_t r)
{
	return r < 16 || r == INSN_REG_NONE;
}

/* Ranges and relations of the fields of a successful decode; NULL when all hold. */
static const char *fields_broken(const struct insn *in, size_t avail)
{
	if (in->len < 1 || in->len > DECODE_MAX_INSN_LEN || in->len > avail)
		return "length out of range";
	if (!is_size(in->opsize, 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8))
		return "operand size";
	if (!is_size(in->addrsize, 1u << 2 | 1u << 4 | 1u << 8))
		return "address size";
	if (!is_size(in->imm_len, 1u << 0 | 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8) ||
	    in->imm2_len > 2)
		return "immediate size";
	if (in->disp_len + in->imm_len + in->imm2_len + in->has_modrm + in->has_sib >= in->len)
		return "field bytes exceed the length";
	if (in->op >= INSN_OP_COUNT || decode_op_name((enum insn_op)in->op) == NULL)
		return "op";
	if (in->op != INSN_OP_OTHER &&
	    (!is_size(in->mem_size, 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8) || in->reg > 15 ||
	     in->mem.is_reg))
		return "memory form";
	if (!reg_or_none(in->mem.base) || !reg_or_none(in->mem.index) ||
	    !is_size(in->mem.scale, 1u << 1 | 1u << 2 | 1u << 4 | 1u << 8))
		return "memory operand registers";
	if (in->mem.index == 4)
		return "rSP as index";
	if (in->has_sib && (!in->has_modrm || in->addrsize == 2))
		return "SIB without 32/64-bit ModRM";
	if (in->mem.rip_relative && in->mode != CPU_MODE_LONG64)
		return "RIP-relative outside 64-bit mode";
	return NULL;
}

/* Checks every invariant for bytes[0..avail) in one mode; NULL when all hold. */
static const char *check_one(const uint8_t *bytes, size_t avail, enum cpu_mode mode)
{
	struct insn a, b;
	int rc = decode_insn(bytes, avail, mode, &a);
	int rc2 = decode_insn(bytes, avail, mode, &b);
	const char *why;

	if (rc != rc2 || (rc == 0 && !insn_equal(&a, &b)))
		return "not deterministic";
	if (rc == -DECODE_ETRUNC)
		return avail >= DECODE_MAX_INSN_LEN ? "truncated with 15 bytes available" : NULL;
	if (rc == -DECODE_EINVALID || rc == -DECODE_ETOOLONG)
		return NULL;
	if (rc != 0)
		return "unknown result";
	why = fields_broken(&a, avail);
	if (why)
		return why;
	if (decode_insn(bytes, a.len, mode, &b) != 0 || !insn_equal(&a, &b))
		return "different result with avail = len";
	for (size_t k = 0; k < a.len; k++)
		if (decode_insn(bytes, k, mode, &b) != -DECODE_ETRUNC)
			return "shorter prefix not truncated";
	return NULL;
}

/* Same instruction when followed by other bytes: only bytes[0..len) may matter. */
static const char *check_padding(const uint8_t *bytes, size_t avail, enum cpu_mode mode)
{
	uint8_t padded[DECODE_MAX_INSN_LEN + 1];
	struct insn a, b;

	if (decode_insn(bytes, avail, mode, &a) != 0)
		return NULL;
	memcpy(padded, bytes, a.len);
	for (size_t i = a.len; i < sizeof(padded); i++)
		padded[i] = (uint8_t)(0xff - i);
	if (decode_insn(padded, sizeof(padded), mode, &b) != 0 || !insn_equal(&a, &b))
		return "result depends on bytes after the instruction";
	return NULL;
}

/* Runs all checks on a heap copy of exactly size bytes; returns the first failure. */
static const char *fuzz_decode_input(const uint8_t *data, size_t size, enum cpu_mode *bad_mode)
{
	uint8_t *copy = malloc(size ? size : 1);
	const char *why = NULL;

	if (!copy)
		return "out of memory";
	memcpy(copy, data, size);
	for (size_t i = 0; i < sizeof(fuzz_modes) / sizeof(fuzz_modes[0]) && !why; i++) {
		why = check_one(copy, size, fuzz_modes[i]);
		if (!why)
			why = check_padding(copy, size, fuzz_modes[i]);
		*bad_mode = fuzz_modes[i];
	}
	free(copy);
	return why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum cpu_mode mode = CPU_MODE_LONG64;
	const char *why = fuzz_decode_input(data, size, &mode);

	FUZZ_CHECK(!why, "mode %d: %s", (int)mode, why);
	return 0;
}

/* Random bytes biased towards what makes decoding interesting: prefixes, REX, escapes and
 * VEX/EVEX bytes at the start, then anything. */
static size_t fuzz_generate(uint8_t *buf, size_t cap, uint64_t (*rnd)(void))
{
	static const uint8_t starters[] = {0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x26, 0x64,
	                                   0x65, 0x40, 0x48, 0x4f, 0x0f, 0x38, 0x3a, 0xc4,
	                                   0xc5, 0x62, 0x8f, 0xa1, 0xc7, 0xf7, 0xea, 0xc8};
	size_t len = (size_t)(rnd() % (cap + 1));

	for (size_t i = 0; i < len; i++) {
		uint64_t r = rnd();

		buf[i] = (r & 3) == 0 ? starters[(r >> 8) % sizeof(starters)] : (uint8_t)(r >> 16);
	}
	return len;
}

const struct fuzz_target fuzz_target = {
	.name = "decode",
	.iterations = 200000,
	.max_len = 24,
	.generate = fuzz_generate,
};
