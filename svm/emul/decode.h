/* x86 instruction decoder for the exit paths.
 *
 * QEMU TCG offers neither NRIP save nor decode assists (APM vol. 2, 15.7.1 and 15.8.4), so the
 * hypervisor finds the length of every intercepted instruction itself, and on an MMIO nested page
 * fault it decodes the faulting instruction to emulate it (svm/emul/emulate.h). The decoder computes
 * the length of any instruction of the one-byte, 0F, 0F38 and 0F3A opcode maps (and of VEX-encoded
 * ones), and classifies the memory-access forms guests use on MMIO into a semantic insn_op.
 * Everything else is INSN_OP_OTHER with a correct length. */
#ifndef SVM_DECODE_H
#define SVM_DECODE_H

#include "kernel/types.h"

/* Architectural limit on instruction length (SDM vol. 2, 2.3.11): longer raises #GP. */
#define DECODE_MAX_INSN_LEN 15

/* decode_insn() results (negated). */
#define DECODE_ETRUNC   1 /* the instruction needs more than the avail bytes given */
#define DECODE_EINVALID 2 /* undefined or unsupported encoding (#UD on hardware, or EVEX/XOP) */
#define DECODE_ETOOLONG 3 /* longer than DECODE_MAX_INSN_LEN */

enum cpu_mode {
	CPU_MODE_REAL16, /* real or virtual-8086 mode: 16-bit defaults, no VEX */
	CPU_MODE_PROT16, /* protected mode, CS.D = 0 */
	CPU_MODE_PROT32, /* protected mode, CS.D = 1 (also compatibility mode with CS.D = 1) */
	CPU_MODE_LONG64, /* 64-bit mode, CS.L = 1 */
};

/* Segment registers in the encoding of the sreg field (SDM vol. 2, appendix B). */
enum insn_seg {
	INSN_SEG_ES = 0,
	INSN_SEG_CS = 1,
	INSN_SEG_SS = 2,
	INSN_SEG_DS = 3,
	INSN_SEG_FS = 4,
	INSN_SEG_GS = 5,
	INSN_SEG_NONE = 7, /* no segment override prefix */
};

/* Legacy prefixes seen (bit set in insn.prefixes). The last of F2/F3 wins for string ops. */
#define INSN_PFX_LOCK  BIT(0) /* F0 */
#define INSN_PFX_REPNE BIT(1) /* F2 */
#define INSN_PFX_REP   BIT(2) /* F3 */
#define INSN_PFX_OPSZ  BIT(3) /* 66 */
#define INSN_PFX_ADSZ  BIT(4) /* 67 */
#define INSN_PFX_SEG   BIT(5) /* a segment override (insn.seg_override names it) */
#define INSN_PFX_REX   BIT(6) /* REX in 64-bit mode, immediately before the opcode */
#define INSN_PFX_VEX   BIT(7) /* C4/C5 VEX prefix */

/* REX bits (SDM vol. 2, 2.2.1); also filled from the inverted VEX.R/X/B and VEX.W. */
#define INSN_REX_B BIT(0)
#define INSN_REX_X BIT(1)
#define INSN_REX_R BIT(2)
#define INSN_REX_W BIT(3)

enum insn_map {
	INSN_MAP_ONE,  /* one-byte opcodes */
	INSN_MAP_0F,   /* 0F xx */
	INSN_MAP_0F38, /* 0F 38 xx */
	INSN_MAP_0F3A, /* 0F 3A xx */
};

/* Semantic operation of the memory-operand forms the MMIO emulator handles. Set only when the
 * instruction really accesses memory (ModRM.mod != 3, or moffs/string forms); register-only
 * encodings of the same opcodes are INSN_OP_OTHER. */
enum insn_op {
	INSN_OP_OTHER,
	INSN_OP_MOV_LOAD,      /* reg <- mem: 8A, 8B, A0, A1 (moffs, reg = rAX) */
	INSN_OP_MOV_STORE,     /* mem <- reg: 88, 89, A2, A3 (moffs, reg = rAX) */
	INSN_OP_MOV_STORE_IMM, /* mem <- imm: C6 /0, C7 /0 */
	INSN_OP_MOVZX,         /* reg <- zero-extended mem: 0F B6, 0F B7 */
	INSN_OP_MOVSX,         /* reg <- sign-extended mem: 0F BE, 0F BF, 63 (MOVSXD) */
	INSN_OP_MOVS,          /* ES:[rDI] <- [rSI]: A4, A5 (REP with F2 or F3) */
	INSN_OP_STOS,          /* ES:[rDI] <- rAX: AA, AB (REP with F2 or F3) */
	INSN_OP_ALU_LOAD,      /* reg <- reg alu mem: 02, 03, 0A, 0B, ... 3A, 3B */
	INSN_OP_ALU_STORE,     /* mem <- mem alu reg: 00, 01, 08, 09, ... 38, 39 */
	INSN_OP_ALU_STORE_IMM, /* mem <- mem alu imm: 80, 81, 82 (not 64-bit), 83 */
	INSN_OP_TEST,          /* flags <- mem AND reg: 84, 85 */
	INSN_OP_TEST_IMM,      /* flags <- mem AND imm: F6 /0 /1, F7 /0 /1 */
	INSN_OP_XCHG,          /* mem <-> reg: 86, 87 */
	INSN_OP_COUNT,
};

/* The ALU operation in the opcode bits 5:3 of 00-3B and the ModRM.reg of group 1 (80-83). */
enum insn_alu {
	INSN_ALU_ADD,
	INSN_ALU_OR,
	INSN_ALU_ADC,
	INSN_ALU_SBB,
	INSN_ALU_AND,
	INSN_ALU_SUB,
	INSN_ALU_XOR,
	INSN_ALU_CMP,
};

#define INSN_REG_NONE 0xff /* no base / no index register */

/* The r/m operand. Register numbers are x86 register numbers (enum gpr in svm/cpu/regs.h), already
 * extended with REX.B / REX.X. */
struct insn_mem {
	bool is_reg;       /* ModRM.mod == 3: the operand is register 'base' */
	bool rip_relative; /* 64-bit mode mod=00 rm=101: base is the next instruction's rIP */
	uint8_t base;      /* base register, or INSN_REG_NONE */
	uint8_t index;     /* index register, or INSN_REG_NONE */
	uint8_t scale;     /* 1, 2, 4 or 8 */
	uint8_t seg;       /* enum insn_seg used: the override, else DS or SS (rBP/rSP base) */
	int64_t disp;      /* sign-extended displacement, or the moffs address (zero-extended) */
};

struct insn {
	uint8_t len;          /* total length in bytes, 1..15 */
	uint8_t mode;         /* enum cpu_mode decoded for */
	uint8_t prefixes;     /* INSN_PFX_* */
	uint8_t seg_override; /* enum insn_seg of the last segment prefix, or INSN_SEG_NONE */
	uint8_t rex;          /* INSN_REX_* bits (from REX or VEX) */
	uint8_t map;          /* enum insn_map */
	uint8_t opcode;       /* the opcode byte within its map */
	uint8_t opsize;       /* operand size in bytes: 1 for byte forms, else 2, 4 or 8 */
	uint8_t addrsize;     /* address size in bytes: 2, 4 or 8 */

	bool has_modrm;
	uint8_t modrm;     /* the raw ModRM byte */
	uint8_t modrm_mod; /* ModRM.mod */
	uint8_t modrm_reg; /* ModRM.reg extended with REX.R */
	uint8_t modrm_rm;  /* ModRM.rm extended with REX.B */
	bool has_sib;
	uint8_t sib; /* the raw SIB byte */
	uint8_t disp_len;
	struct insn_mem mem; /* valid when has_modrm, or for moffs and string forms */

	uint8_t vex_vvvv; /* VEX.vvvv, un-inverted */
	uint8_t vex_l;    /* VEX.L */

	uint8_t imm_len;  /* bytes of the first immediate (or relative offset) */
	uint8_t imm2_len; /* bytes of the second immediate (ENTER, far pointer selector, EXTRQ) */
	int64_t imm;      /* first immediate, sign-extended from imm_len bytes */
	int64_t imm2;     /* second immediate, sign-extended from imm2_len bytes */

	uint8_t op;            /* enum insn_op */
	uint8_t alu;           /* enum insn_alu for INSN_OP_ALU_* */
	uint8_t mem_size;      /* bytes accessed at the memory operand by an INSN_OP_* form */
	uint8_t reg;           /* register operand of an INSN_OP_* form (rAX for moffs and STOS) */
	bool byte_regs_legacy; /* byte register numbers 4-7 mean AH, CH, DH, BH (no REX) */
};

/* Decodes the instruction at bytes[0..avail) for a CPU in the given mode. Never reads beyond
 * avail. Returns 0 and fills *out, or -DECODE_ETRUNC, -DECODE_EINVALID or -DECODE_ETOOLONG. */
int decode_insn(const uint8_t *bytes, size_t avail, enum cpu_mode mode, struct insn *out);

/* A short mnemonic for messages, e.g. "mov-store". */
const char *decode_op_name(enum insn_op op);

#endif
