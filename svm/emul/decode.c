/* x86 instruction decoder: prefixes, opcode maps, ModRM/SIB, displacement and immediates.
 * Encoding rules from SDM vol. 2, chapter 2 and appendix A (opcode maps); AMD-specific behaviour
 * (operand-size prefix on near branches in 64-bit mode) from APM vol. 1, 3.7.9. */
#include "svm/emul/decode.h"
#include "svm/cpu/regs.h"

/* Attributes of an opcode-table entry: flags in bits 3:0, immediate kind in bits 7:4. */
#define ATTR_MODRM          0x01 /* a ModRM byte follows the opcode */
#define ATTR_INV64          0x02 /* #UD in 64-bit mode (SDM vol. 2, table A-1, "i64") */
#define ATTR_INVALID        0x04 /* undefined opcode */
#define ATTR_MODRM_REG      0x08 /* ModRM.mod is ignored and treated as 3 (MOV CR/DR, SDM MOV-2) */
#define ATTR_IMM(kind)      ((kind) << 4)
#define ATTR_IMM_KIND(attr) ((attr) >> 4)

enum imm_kind {
	IMM_NONE,
	IMM_B,     /* 1 byte */
	IMM_W,     /* 2 bytes */
	IMM_Z,     /* 2 bytes with 16-bit operand size, else 4 (also rel16/rel32) */
	IMM_V,     /* operand size: 2, 4 or 8 bytes (MOV r, imm) */
	IMM_MOFFS, /* address size: moffs of A0-A3 */
	IMM_FAR,   /* ptr16:16 or ptr16:32 of far CALL/JMP */
	IMM_ENTER, /* iw then ib */
	IMM_GRP3,  /* F6/F7: an immediate only for /0 and /1 (TEST) */
	IMM_SSE4A, /* 0F 78 with 66 or F2: EXTRQ/INSERTQ ib, ib (APM vol. 4) */
};

#define M   ATTR_MODRM
#define I64 ATTR_INV64
#define BAD ATTR_INVALID
#define IB  ATTR_IMM(IMM_B)
#define IW  ATTR_IMM(IMM_W)
#define IZ  ATTR_IMM(IMM_Z)

/* One-byte opcode map (SDM vol. 2, table A-2). Prefix bytes are consumed before the lookup. */
static const uint8_t one_byte_attr[256] = {
    [0x00 ... 0x03] = M,
    [0x04] = IB,
    [0x05] = IZ,
    [0x06 ... 0x07] = I64,
    [0x08 ... 0x0b] = M,
    [0x0c] = IB,
    [0x0d] = IZ,
    [0x0e] = I64,
    [0x10 ... 0x13] = M,
    [0x14] = IB,
    [0x15] = IZ,
    [0x16 ... 0x17] = I64,
    [0x18 ... 0x1b] = M,
    [0x1c] = IB,
    [0x1d] = IZ,
    [0x1e ... 0x1f] = I64,
    [0x20 ... 0x23] = M,
    [0x24] = IB,
    [0x25] = IZ,
    [0x27] = I64,
    [0x28 ... 0x2b] = M,
    [0x2c] = IB,
    [0x2d] = IZ,
    [0x2f] = I64,
    [0x30 ... 0x33] = M,
    [0x34] = IB,
    [0x35] = IZ,
    [0x37] = I64,
    [0x38 ... 0x3b] = M,
    [0x3c] = IB,
    [0x3d] = IZ,
    [0x3f] = I64,
    [0x60 ... 0x61] = I64,
    [0x62] = M | I64,
    [0x63] = M,
    [0x68] = IZ,
    [0x69] = M | IZ,
    [0x6a] = IB,
    [0x6b] = M | IB,
    [0x70 ... 0x7f] = IB,
    [0x80] = M | IB,
    [0x81] = M | IZ,
    [0x82] = M | IB | I64,
    [0x83] = M | IB,
    [0x84 ... 0x8f] = M,
    [0x9a] = ATTR_IMM(IMM_FAR) | I64,
    [0xa0 ... 0xa3] = ATTR_IMM(IMM_MOFFS),
    [0xa8] = IB,
    [0xa9] = IZ,
    [0xb0 ... 0xb7] = IB,
    [0xb8 ... 0xbf] = ATTR_IMM(IMM_V),
    [0xc0 ... 0xc1] = M | IB,
    [0xc2] = IW,
    [0xc4 ... 0xc5] = M | I64,
    [0xc6] = M | IB,
    [0xc7] = M | IZ,
    [0xc8] = ATTR_IMM(IMM_ENTER),
    [0xca] = IW,
    [0xcd] = IB,
    [0xce] = I64,
    [0xd0 ... 0xd3] = M,
    [0xd4 ... 0xd5] = IB | I64,
    [0xd6] = BAD,
    [0xd8 ... 0xdf] = M,
    [0xe0 ... 0xe7] = IB,
    [0xe8 ... 0xe9] = IZ,
    [0xea] = ATTR_IMM(IMM_FAR) | I64,
    [0xeb] = IB,
    [0xf6 ... 0xf7] = M | ATTR_IMM(IMM_GRP3),
    [0xfe ... 0xff] = M,
};

/* Two-byte opcode map 0F xx (SDM vol. 2, table A-3; 0F 0D/0E/0F and 0F 78/79 from APM vol. 3
 * and 4). 0F 38 and 0F 3A are escapes handled before the lookup. */
static const uint8_t two_byte_attr[256] = {
    [0x00 ... 0x03] = M,
    [0x04] = BAD,
    [0x0a] = BAD,
    [0x0c] = BAD,
    [0x0d] = M,
    [0x0f] = M | IB, /* 3DNow!: the opcode is an ib suffix after ModRM */
    [0x10 ... 0x1f] = M,
    [0x20 ... 0x23] = M | ATTR_MODRM_REG,
    [0x24 ... 0x27] = BAD,
    [0x28 ... 0x2f] = M,
    [0x36] = BAD,
    [0x39] = BAD,
    [0x3b ... 0x3f] = BAD,
    [0x40 ... 0x6f] = M,
    [0x70 ... 0x73] = M | IB,
    [0x74 ... 0x76] = M,
    [0x78] = M | ATTR_IMM(IMM_SSE4A),
    [0x79] = M,
    [0x7a ... 0x7b] = BAD,
    [0x7c ... 0x7f] = M,
    [0x80 ... 0x8f] = IZ,
    [0x90 ... 0x9f] = M,
    [0xa3] = M,
    [0xa4] = M | IB,
    [0xa5] = M,
    [0xa6 ... 0xa7] = BAD,
    [0xab] = M,
    [0xac] = M | IB,
    [0xad ... 0xaf] = M,
    [0xb0 ... 0xb9] = M,
    [0xba] = M | IB,
    [0xbb ... 0xbf] = M,
    [0xc0 ... 0xc1] = M,
    [0xc2] = M | IB,
    [0xc3] = M,
    [0xc4 ... 0xc6] = M | IB,
    [0xc7] = M,
    [0xd0 ... 0xff] = M,
};

#undef M
#undef I64
#undef BAD
#undef IB
#undef IW
#undef IZ

/* Bytes still to be consumed. Every read goes through cursor_next() so that nothing past avail
 * or past the 15-byte limit is ever touched. */
struct cursor {
	const uint8_t *bytes;
	size_t avail;
	size_t pos;
};

static int cursor_peek(const struct cursor *c, uint8_t *b)
{
	if (c->pos >= DECODE_MAX_INSN_LEN)
		return -DECODE_ETOOLONG;
	if (c->pos >= c->avail)
		return -DECODE_ETRUNC;
	*b = c->bytes[c->pos];
	return 0;
}

static int cursor_next(struct cursor *c, uint8_t *b)
{
	int err = cursor_peek(c, b);

	if (err == 0)
		c->pos++;
	return err;
}

/* Reads an n-byte little-endian value, sign-extended to 64 bits. */
static int cursor_signed(struct cursor *c, unsigned n, int64_t *val)
{
	uint64_t v = 0;

	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t b;
		int err = cursor_next(c, &b);

		if (err)
			return err;
		v |= (uint64_t)b << (8 * i);
	}
	if (n < 8 && (v & BIT(8 * n - 1)))
		v |= ~0ull << (8 * n);
	*val = (int64_t)v;
	return 0;
}

/* Operand-size attribute (SDM vol. 1, 3.6 and table 3-4): REX.W wins over 66. */
static uint8_t operand_size(enum cpu_mode mode, uint8_t prefixes, uint8_t rex)
{
	bool opsz = prefixes & INSN_PFX_OPSZ;

	if (mode == CPU_MODE_LONG64)
		return (rex & INSN_REX_W) ? 8 : opsz ? 2 : 4;
	if (mode == CPU_MODE_PROT32)
		return opsz ? 2 : 4;
	return opsz ? 4 : 2;
}

static uint8_t address_size(enum cpu_mode mode, uint8_t prefixes)
{
	bool adsz = prefixes & INSN_PFX_ADSZ;

	if (mode == CPU_MODE_LONG64)
		return adsz ? 4 : 8;
	if (mode == CPU_MODE_PROT32)
		return adsz ? 2 : 4;
	return adsz ? 4 : 2;
}

static uint8_t segment_prefix(uint8_t b)
{
	switch (b) {
	case 0x26:
		return INSN_SEG_ES;
	case 0x2e:
		return INSN_SEG_CS;
	case 0x36:
		return INSN_SEG_SS;
	case 0x3e:
		return INSN_SEG_DS;
	case 0x64:
		return INSN_SEG_FS;
	case 0x65:
		return INSN_SEG_GS;
	default:
		return INSN_SEG_NONE;
	}
}

/* Consumes legacy and REX prefixes (SDM vol. 2, 2.1.1 and 2.2.1). A REX not immediately before
 * the opcode is ignored, so any later legacy prefix discards it. */
static int decode_prefixes(struct cursor *c, struct insn *in)
{
	for (;;) {
		uint8_t b;
		int err = cursor_peek(c, &b);

		if (err)
			return err;
		if (in->mode == CPU_MODE_LONG64 && (b & 0xf0) == 0x40) {
			in->prefixes |= INSN_PFX_REX;
			in->rex = b & 0x0f;
			c->pos++;
			continue;
		}
		uint8_t seg = segment_prefix(b);
		if (seg != INSN_SEG_NONE) {
			in->seg_override = seg;
			in->prefixes |= INSN_PFX_SEG;
		} else if (b == 0xf0) {
			in->prefixes |= INSN_PFX_LOCK;
		} else if (b == 0xf2) {
			in->prefixes = (in->prefixes & ~INSN_PFX_REP) | INSN_PFX_REPNE;
		} else if (b == 0xf3) {
			in->prefixes = (in->prefixes & ~INSN_PFX_REPNE) | INSN_PFX_REP;
		} else if (b == 0x66) {
			in->prefixes |= INSN_PFX_OPSZ;
		} else if (b == 0x67) {
			in->prefixes |= INSN_PFX_ADSZ;
		} else {
			return 0;
		}
		in->prefixes &= ~INSN_PFX_REX;
		in->rex = 0;
		c->pos++;
	}
}

/* C4/C5 (and 62) are VEX (EVEX) in 64-bit mode, and in protected mode when the next byte would
 * be a register ModRM, which LES/LDS (BOUND) cannot take (SDM vol. 2, 2.3.5). */
static bool is_vex_escape(const struct cursor *c, enum cpu_mode mode)
{
	uint8_t next;

	if (mode == CPU_MODE_LONG64)
		return true;
	if (mode == CPU_MODE_REAL16 || cursor_peek(c, &next))
		return false;
	return (next >> 6) == 3;
}

/* VEX prefix (SDM vol. 2, 2.3.5): fills REX-equivalent bits, the map and the implied prefix. */
static int decode_vex(struct cursor *c, struct insn *in, uint8_t escape)
{
	uint8_t b1, b2;
	int err;

	/* 66, F2, F3, LOCK or REX before VEX is #UD (SDM vol. 2, 2.3.2). */
	if (in->prefixes &
	    (INSN_PFX_LOCK | INSN_PFX_REP | INSN_PFX_REPNE | INSN_PFX_OPSZ | INSN_PFX_REX))
		return -DECODE_EINVALID;
	err = cursor_next(c, &b1);
	if (err)
		return err;
	in->prefixes |= INSN_PFX_VEX;
	if (escape == 0xc5) {
		b2 = b1;
		in->map = INSN_MAP_0F;
		in->rex = (b1 & 0x80) ? 0 : INSN_REX_R;
	} else {
		err = cursor_next(c, &b2);
		if (err)
			return err;
		switch (b1 & 0x1f) {
		case 1:
			in->map = INSN_MAP_0F;
			break;
		case 2:
			in->map = INSN_MAP_0F38;
			break;
		case 3:
			in->map = INSN_MAP_0F3A;
			break;
		default:
			return -DECODE_EINVALID;
		}
		in->rex = (uint8_t)((~b1 >> 5) & 7);
		if (b2 & 0x80)
			in->rex |= INSN_REX_W;
	}
	if (in->mode != CPU_MODE_LONG64)
		in->rex &= INSN_REX_W; /* R, X, B are ignored outside 64-bit mode */
	in->vex_vvvv = (uint8_t)((~b2 >> 3) & 0x0f);
	in->vex_l = (b2 >> 2) & 1;
	static const uint8_t implied[4] = {0, INSN_PFX_OPSZ, INSN_PFX_REP, INSN_PFX_REPNE};
	in->prefixes |= implied[b2 & 3];
	return 0;
}

/* Opcode bytes: the escape sequence, or a VEX prefix, then the opcode; returns its attributes. */
static int decode_opcode(struct cursor *c, struct insn *in, uint8_t *attr)
{
	uint8_t b;
	int err = cursor_next(c, &b);

	if (err)
		return err;
	if ((b == 0xc4 || b == 0xc5) && is_vex_escape(c, in->mode)) {
		err = decode_vex(c, in, b);
		if (err)
			return err;
		err = cursor_next(c, &in->opcode);
		if (err)
			return err;
		/* Every VEX instruction has ModRM except VZEROUPPER/VZEROALL (VEX.0F 77); the
		 * 0F3A map always has an ib, and the 0F map has one where the legacy form has. */
		*attr = ATTR_MODRM;
		if (in->map == INSN_MAP_0F && in->opcode == 0x77)
			*attr = 0;
		else if (in->map == INSN_MAP_0F3A ||
		         (in->map == INSN_MAP_0F &&
		          ATTR_IMM_KIND(two_byte_attr[in->opcode]) == IMM_B))
			*attr |= ATTR_IMM(IMM_B);
		return 0;
	}
	if (b == 0x62 && is_vex_escape(c, in->mode))
		return -DECODE_EINVALID; /* EVEX: not supported */
	if (b != 0x0f) {
		in->map = INSN_MAP_ONE;
		in->opcode = b;
		*attr = one_byte_attr[b];
		return 0;
	}
	err = cursor_next(c, &b);
	if (err)
		return err;
	if (b == 0x38 || b == 0x3a) {
		in->map = b == 0x38 ? INSN_MAP_0F38 : INSN_MAP_0F3A;
		err = cursor_next(c, &in->opcode);
		/* Every 0F 38 opcode takes ModRM; every 0F 3A opcode takes ModRM and ib. */
		*attr = b == 0x38 ? ATTR_MODRM : ATTR_MODRM | ATTR_IMM(IMM_B);
		return err;
	}
	in->map = INSN_MAP_0F;
	in->opcode = b;
	*attr = two_byte_attr[b];
	return 0;
}

static uint8_t default_segment(const struct insn *in, uint8_t base)
{
	if (in->seg_override != INSN_SEG_NONE)
		return in->seg_override;
	return (base == GPR_RSP || base == GPR_RBP) ? INSN_SEG_SS : INSN_SEG_DS;
}

/* 16-bit addressing (SDM vol. 2, table 2-1). */
static int decode_modrm16(struct cursor *c, struct insn *in)
{
	static const uint8_t base[8] = {GPR_RBX, GPR_RBX, GPR_RBP, GPR_RBP,
	                                GPR_RSI, GPR_RDI, GPR_RBP, GPR_RBX};
	static const uint8_t index[8] = {GPR_RSI,       GPR_RDI,       GPR_RSI,
	                                 GPR_RDI,       INSN_REG_NONE, INSN_REG_NONE,
	                                 INSN_REG_NONE, INSN_REG_NONE};
	uint8_t rm = in->modrm & 7;

	in->mem.base = base[rm];
	in->mem.index = index[rm];
	if (in->modrm_mod == 0 && rm == 6) {
		in->mem.base = INSN_REG_NONE;
		in->disp_len = 2;
	} else if (in->modrm_mod == 1) {
		in->disp_len = 1;
	} else if (in->modrm_mod == 2) {
		in->disp_len = 2;
	}
	in->mem.seg = default_segment(in, in->mem.base);
	return cursor_signed(c, in->disp_len, &in->mem.disp);
}

/* 32/64-bit addressing with SIB (SDM vol. 2, tables 2-2 and 2-3, 2.2.1.6 for RIP-relative). */
static int decode_modrm32(struct cursor *c, struct insn *in)
{
	uint8_t rm = in->modrm & 7;
	bool rex_b = in->rex & INSN_REX_B;

	in->mem.base = in->modrm_rm;
	if (rm == 4) {
		int err = cursor_next(c, &in->sib);

		if (err)
			return err;
		in->has_sib = true;
		uint8_t index = (uint8_t)(((in->sib >> 3) & 7) | ((in->rex & INSN_REX_X) ? 8 : 0));
		in->mem.index = index == GPR_RSP ? INSN_REG_NONE : index;
		in->mem.scale = (uint8_t)(1u << (in->sib >> 6));
		in->mem.base = (uint8_t)((in->sib & 7) | (rex_b ? 8 : 0));
		if ((in->sib & 7) == 5 && in->modrm_mod == 0) {
			in->mem.base = INSN_REG_NONE;
			in->disp_len = 4;
		}
	} else if (rm == 5 && in->modrm_mod == 0) {
		in->mem.base = INSN_REG_NONE;
		in->mem.rip_relative = in->mode == CPU_MODE_LONG64;
		in->disp_len = 4;
	}
	if (in->modrm_mod == 1)
		in->disp_len = 1;
	else if (in->modrm_mod == 2)
		in->disp_len = 4;
	in->mem.seg = default_segment(in, in->mem.base);
	return cursor_signed(c, in->disp_len, &in->mem.disp);
}

static int decode_modrm(struct cursor *c, struct insn *in, uint8_t attr)
{
	int err = cursor_next(c, &in->modrm);

	if (err)
		return err;
	in->has_modrm = true;
	in->modrm_mod = (attr & ATTR_MODRM_REG) ? 3 : in->modrm >> 6;
	in->modrm_reg = (uint8_t)(((in->modrm >> 3) & 7) | ((in->rex & INSN_REX_R) ? 8 : 0));
	in->modrm_rm = (uint8_t)((in->modrm & 7) | ((in->rex & INSN_REX_B) ? 8 : 0));
	in->mem.base = INSN_REG_NONE;
	in->mem.index = INSN_REG_NONE;
	in->mem.scale = 1;
	in->mem.seg = INSN_SEG_NONE;
	if (in->modrm_mod == 3) {
		in->mem.is_reg = true;
		in->mem.base = in->modrm_rm;
		return 0;
	}
	return in->addrsize == 2 ? decode_modrm16(c, in) : decode_modrm32(c, in);
}

/* Group encodings whose ModRM.reg values are undefined (SDM vol. 2, table A-6). XOP (AMD 8F with
 * reg != 0) is not supported and reported invalid. */
static bool group_reg_invalid(const struct insn *in)
{
	uint8_t reg = (in->modrm >> 3) & 7;

	if (in->map != INSN_MAP_ONE)
		return false;
	switch (in->opcode) {
	case 0x8f:
		return reg != 0;
	case 0xc6:
	case 0xc7:
		/* /7 only as XABORT (C6 F8 ib) / XBEGIN (C7 F8 rel) */
		return reg != 0 && in->modrm != 0xf8;
	case 0xfe:
		return reg > 1;
	case 0xff:
		return reg == 7;
	default:
		return false;
	}
}

/* Also the size of rel16/rel32 of near branches: AMD CPUs (and QEMU) honour 66 on them in 64-bit
 * mode, where Intel CPUs ignore it (APM vol. 1, 3.7.9, table 3-9). */
static unsigned imm_size_z(const struct insn *in)
{
	return in->opsize == 2 ? 2 : 4;
}

static int decode_immediates(struct cursor *c, struct insn *in, enum imm_kind kind)
{
	int err;

	switch (kind) {
	case IMM_NONE:
		return 0;
	case IMM_B:
		in->imm_len = 1;
		break;
	case IMM_W:
		in->imm_len = 2;
		break;
	case IMM_Z:
		in->imm_len = (uint8_t)imm_size_z(in);
		break;
	case IMM_V:
		in->imm_len = in->opsize;
		break;
	case IMM_MOFFS:
		/* The moffs is an address, not an immediate: zero-extended into mem.disp. */
		err = cursor_signed(c, in->addrsize, &in->mem.disp);
		if (in->addrsize < 8)
			in->mem.disp &= (int64_t)(BIT(8 * in->addrsize) - 1);
		in->mem.base = INSN_REG_NONE;
		in->mem.index = INSN_REG_NONE;
		in->mem.scale = 1;
		in->mem.seg = default_segment(in, INSN_REG_NONE);
		in->disp_len = in->addrsize;
		return err;
	case IMM_FAR:
		in->imm_len = (uint8_t)imm_size_z(in);
		in->imm2_len = 2;
		break;
	case IMM_ENTER:
		in->imm_len = 2;
		in->imm2_len = 1;
		break;
	case IMM_GRP3:
		if (((in->modrm >> 3) & 7) > 1)
			return 0;
		in->imm_len = (in->opcode & 1) ? (uint8_t)imm_size_z(in) : 1;
		break;
	case IMM_SSE4A:
		if (in->prefixes & (INSN_PFX_OPSZ | INSN_PFX_REPNE)) {
			in->imm_len = 1;
			in->imm2_len = 1;
		}
		break;
	}
	err = cursor_signed(c, in->imm_len, &in->imm);
	if (err)
		return err;
	return cursor_signed(c, in->imm2_len, &in->imm2);
}

/* Marks an r/m form as a semantic operation; byte forms have an even opcode (w bit clear). */
static void classify_rm(struct insn *in, enum insn_op op, bool wide)
{
	in->op = op;
	if (!wide)
		in->opsize = 1;
	in->mem_size = in->opsize;
	in->reg = in->modrm_reg;
}

static void classify_string(struct insn *in, enum insn_op op)
{
	in->op = op;
	if (!(in->opcode & 1))
		in->opsize = 1;
	in->mem_size = in->opsize;
	in->reg = GPR_RAX;
	in->mem.is_reg = false;
	in->mem.index = INSN_REG_NONE;
	in->mem.scale = 1;
	if (op == INSN_OP_MOVS) {
		/* Source DS:rSI honours a segment override; ES:rDI never does (SDM MOVS). */
		in->mem.base = GPR_RSI;
		in->mem.seg = default_segment(in, GPR_RSI);
	} else {
		in->mem.base = GPR_RDI;
		in->mem.seg = INSN_SEG_ES;
	}
}

static void classify_one_byte(struct insn *in, bool mem)
{
	uint8_t o = in->opcode;
	uint8_t reg = (in->modrm >> 3) & 7;

	if (o < 0x40 && (o & 7) < 4) {
		if (mem) {
			in->alu = o >> 3;
			classify_rm(in, (o & 2) ? INSN_OP_ALU_LOAD : INSN_OP_ALU_STORE, o & 1);
		}
		return;
	}
	switch (o) {
	case 0x63:
		/* MOVSXD in 64-bit mode (ARPL elsewhere); without REX.W it is a plain move */
		if (mem && in->mode == CPU_MODE_LONG64) {
			classify_rm(in, INSN_OP_MOVSX, true);
			in->mem_size = MIN(in->opsize, 4);
		}
		return;
	case 0x80 ... 0x83:
		if (mem) {
			in->alu = reg;
			classify_rm(in, INSN_OP_ALU_STORE_IMM, o == 0x81 || o == 0x83);
		}
		return;
	case 0x84 ... 0x85:
		if (mem)
			classify_rm(in, INSN_OP_TEST, o & 1);
		return;
	case 0x86 ... 0x87:
		if (mem)
			classify_rm(in, INSN_OP_XCHG, o & 1);
		return;
	case 0x88 ... 0x8b:
		if (mem)
			classify_rm(in, (o & 2) ? INSN_OP_MOV_LOAD : INSN_OP_MOV_STORE, o & 1);
		return;
	case 0xa0 ... 0xa3:
		in->op = (o & 2) ? INSN_OP_MOV_STORE : INSN_OP_MOV_LOAD;
		if (!(o & 1))
			in->opsize = 1;
		in->mem_size = in->opsize;
		in->reg = GPR_RAX;
		return;
	case 0xa4 ... 0xa5:
		classify_string(in, INSN_OP_MOVS);
		return;
	case 0xaa ... 0xab:
		classify_string(in, INSN_OP_STOS);
		return;
	case 0xc6 ... 0xc7:
		if (mem && reg == 0)
			classify_rm(in, INSN_OP_MOV_STORE_IMM, o & 1);
		return;
	case 0xf6 ... 0xf7:
		if (mem && reg <= 1)
			classify_rm(in, INSN_OP_TEST_IMM, o & 1);
		return;
	default:
		return;
	}
}

static void classify(struct insn *in)
{
	bool mem = in->has_modrm && in->modrm_mod != 3;

	in->byte_regs_legacy = !(in->prefixes & (INSN_PFX_REX | INSN_PFX_VEX));
	if (in->prefixes & INSN_PFX_VEX)
		return;
	if (in->map == INSN_MAP_ONE) {
		classify_one_byte(in, mem);
	} else if (in->map == INSN_MAP_0F && mem &&
	           (in->opcode == 0xb6 || in->opcode == 0xb7 || in->opcode == 0xbe ||
	            in->opcode == 0xbf)) {
		classify_rm(in, (in->opcode & 8) ? INSN_OP_MOVSX : INSN_OP_MOVZX, true);
		in->mem_size = (in->opcode & 1) ? 2 : 1;
	}
}

int decode_insn(const uint8_t *bytes, size_t avail, enum cpu_mode mode, struct insn *out)
{
	struct cursor c = {.bytes = bytes, .avail = avail, .pos = 0};
	uint8_t attr;
	int err;

	*out = (struct insn){.mode = (uint8_t)mode, .seg_override = INSN_SEG_NONE};
	out->mem.base = INSN_REG_NONE;
	out->mem.index = INSN_REG_NONE;
	out->mem.scale = 1;
	out->mem.seg = INSN_SEG_NONE;

	err = decode_prefixes(&c, out);
	if (!err)
		err = decode_opcode(&c, out, &attr);
	if (err)
		return err;
	if ((attr & ATTR_INVALID) || (mode == CPU_MODE_LONG64 && (attr & ATTR_INV64)))
		return -DECODE_EINVALID;
	out->opsize = operand_size(mode, out->prefixes, out->rex);
	out->addrsize = address_size(mode, out->prefixes);
	if (attr & ATTR_MODRM) {
		err = decode_modrm(&c, out, attr);
		if (err)
			return err;
		if (group_reg_invalid(out))
			return -DECODE_EINVALID;
	}
	err = decode_immediates(&c, out, (enum imm_kind)ATTR_IMM_KIND(attr));
	if (err)
		return err;
	out->len = (uint8_t)c.pos;
	classify(out);
	return 0;
}

const char *decode_op_name(enum insn_op op)
{
	static const char *const names[INSN_OP_COUNT] = {
	    [INSN_OP_OTHER] = "other",
	    [INSN_OP_MOV_LOAD] = "mov-load",
	    [INSN_OP_MOV_STORE] = "mov-store",
	    [INSN_OP_MOV_STORE_IMM] = "mov-store-imm",
	    [INSN_OP_MOVZX] = "movzx",
	    [INSN_OP_MOVSX] = "movsx",
	    [INSN_OP_MOVS] = "movs",
	    [INSN_OP_STOS] = "stos",
	    [INSN_OP_ALU_LOAD] = "alu-load",
	    [INSN_OP_ALU_STORE] = "alu-store",
	    [INSN_OP_ALU_STORE_IMM] = "alu-store-imm",
	    [INSN_OP_TEST] = "test",
	    [INSN_OP_TEST_IMM] = "test-imm",
	    [INSN_OP_XCHG] = "xchg",
	};

	if ((unsigned)op >= INSN_OP_COUNT)
		return "invalid-op";
	return names[op];
}
