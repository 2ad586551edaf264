// sources: svm/emul/emulate.c svm/emul/decode.c
/* Fuzz target for the MMIO instruction emulator (svm/emul/emulate.c) behind the decoder
 * (svm/emul/decode.c), on a fake guest: 64 KiB of RAM at 0 and a 4 KiB device page at 0xFEE00000.
 * This is what a guest reaches by pointing any instruction at an MMIO address.
 *
 * Input: a control byte (bits 1:0 CPU mode, 2 RFLAGS.DF, 3-5 make the read, write or translate
 * callback fail, 6 no translate callback), the faulting address's page offset (2 bytes), the
 * instruction's length (1 byte, at most 15) and bytes, then RAX..R15 (8 bytes each; 0 past the
 * input). Invariants: the result is DONE, REPEAT or -EUNSUPPORTED/-EACCESS; REPEAT only for
 * REP MOVS/STOS with rCX left non-zero; -EUNSUPPORTED changes nothing and makes no access; every
 * access has the operand's size (1, 2, 4 or 8) and, but for MOVS, is at the faulting address;
 * only the registers the instruction names change (its register operand; rSI, rDI, rCX for
 * string forms); RFLAGS changes only in its arithmetic flags and only for ALU forms, TEST and
 * CMP; a read that failed leaves registers and flags as they were. */
#include <stdint.h>
#include <string.h>

#include "svm/emul/decode.h"
#include "svm/emul/emulate.h"
#include "svm/emul/guest_walk.h"
#include "tests/fuzz/fuzz.h"

#define RAM_SIZE  0x10000u
#define MMIO_BASE 0xfee00000ull
#define MMIO_SIZE 0x1000u
#define ARITH     (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

struct machine {
	uint8_t ram[RAM_SIZE];
	uint8_t mmio[MMIO_SIZE];
	bool fail_read, fail_write, fail_translate, string_op;
	gpa_t gpa;
	unsigned reads, writes, failed_reads, size;
};

static struct machine m;

static uint8_t *at(gpa_t gpa, unsigned size)
{
	if (gpa < RAM_SIZE && size <= RAM_SIZE - gpa)
		return m.ram + gpa;
	if (gpa >= MMIO_BASE && gpa - MMIO_BASE < MMIO_SIZE && size <= MMIO_SIZE - (gpa - MMIO_BASE))
		return m.mmio + (gpa - MMIO_BASE);
	return NULL;
}

static void check_access(gpa_t gpa, unsigned size)
{
	FUZZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8, "access of %u bytes", size);
	FUZZ_CHECK(size == m.size, "access of %u bytes, the operand has %u", size, m.size);
	FUZZ_CHECK(m.string_op || gpa == m.gpa, "access at %#llx, the fault was at %#llx",
	           (unsigned long long)gpa, (unsigned long long)m.gpa);
}

static bool fake_read(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
	(void)ctx;
	check_access(gpa, size);
	uint8_t *p = at(gpa, size);
	if (m.fail_read || !p) {
		m.failed_reads++;
		return false;
	}
	m.reads++;
	*val = 0;
	memcpy(val, p, size);
	return true;
}

static bool fake_write(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
	(void)ctx;
	check_access(gpa, size);
	FUZZ_CHECK(size == 8 || (val >> (8 * size)) == 0, "write of %#llx in %u bytes",
	           (unsigned long long)val, size);
	uint8_t *p = at(gpa, size);
	if (m.fail_write || !p)
		return false;
	m.writes++;
	memcpy(p, &val, size);
	return true;
}

static bool fake_translate(void *ctx, enum insn_seg seg, uint64_t offset, unsigned access,
                           gpa_t *gpa)
{
	(void)ctx;
	(void)seg;
	FUZZ_CHECK(access == WALK_READ || access == WALK_WRITE, "translate for access %u", access);
	if (m.fail_translate)
		return false;
	*gpa = offset < RAM_SIZE ? offset : MMIO_BASE + (offset & (MMIO_SIZE - 1));
	return true;
}

static uint64_t allowed_regs(const struct insn *in)
{
	switch (in->op) {
	case INSN_OP_MOV_LOAD:
	case INSN_OP_MOVZX:
	case INSN_OP_MOVSX:
	case INSN_OP_ALU_LOAD:
	case INSN_OP_XCHG:
		/* byte registers 4-7 without REX are AH..BH, bits 15:8 of RAX..RBX */
		return 1ull << (in->opsize == 1 && in->byte_regs_legacy && in->reg >= 4 && in->reg < 8
		                    ? in->reg - 4
		                    : in->reg);
	case INSN_OP_MOVS:
		return 1ull << GPR_RSI | 1ull << GPR_RDI | 1ull << GPR_RCX;
	case INSN_OP_STOS:
		return 1ull << GPR_RDI | 1ull << GPR_RCX;
	default:
		return 0;
	}
}

static bool sets_flags(const struct insn *in)
{
	return in->op == INSN_OP_ALU_LOAD || in->op == INSN_OP_ALU_STORE ||
	       in->op == INSN_OP_ALU_STORE_IMM || in->op == INSN_OP_TEST ||
	       in->op == INSN_OP_TEST_IMM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cpu_mode modes[] = {CPU_MODE_REAL16, CPU_MODE_PROT16, CPU_MODE_PROT32,
	                                      CPU_MODE_LONG64};
	static const struct emulate_ops ops = {fake_read, fake_write, fake_translate};
	static const struct emulate_ops ops_no_translate = {fake_read, fake_write, NULL};
	struct fuzz_stream s = {data, size};
	uint8_t ctl = (uint8_t)fuzz_take(&s, 1);
	unsigned offset = (unsigned)fuzz_take(&s, 2) & (MMIO_SIZE - 1);
	size_t len = (size_t)fuzz_take(&s, 1);
	if (len > DECODE_MAX_INSN_LEN || len > s.left)
		len = s.left < DECODE_MAX_INSN_LEN ? s.left : DECODE_MAX_INSN_LEN;
	uint8_t bytes[DECODE_MAX_INSN_LEN];
	memcpy(bytes, s.p, len);
	s.p += len;
	s.left -= len;
	struct guest_regs regs, before;
	for (unsigned i = 0; i < GPR_COUNT; i++)
		regs.gpr[i] = fuzz_take(&s, 8);

	struct insn in;
	if (decode_insn(bytes, len, modes[ctl & 3], &in) != 0)
		return 0;
	m.fail_read = ctl & 8;
	m.fail_write = ctl & 16;
	m.fail_translate = ctl & 32;
	m.string_op = in.op == INSN_OP_MOVS;
	m.gpa = MMIO_BASE + offset;
	m.reads = m.writes = m.failed_reads = 0;
	m.size = in.op == INSN_OP_MOV_LOAD || in.op == INSN_OP_MOVZX || in.op == INSN_OP_MOVSX
	             ? in.mem_size
	             : in.opsize;
	for (unsigned i = 0; i < MMIO_SIZE; i++)
		m.mmio[i] = (uint8_t)(i * 7 + ctl);
	before = regs;
	uint64_t rflags = 0x202 | ((ctl & 4) ? RFLAGS_DF : 0) | (regs.gpr[GPR_RAX] & ARITH);
	uint64_t flags_before = rflags;

	int rc = emulate_mmio(&in, &regs, &rflags, m.gpa, (ctl & 64) ? &ops_no_translate : &ops,
	                      NULL);
	FUZZ_CHECK(rc == EMULATE_DONE || rc == EMULATE_REPEAT || rc == -EMULATE_EUNSUPPORTED ||
	               rc == -EMULATE_EACCESS,
	           "result %d", rc);
	bool string = in.op == INSN_OP_MOVS || in.op == INSN_OP_STOS;
	bool rep = in.prefixes & (INSN_PFX_REP | INSN_PFX_REPNE);
	uint64_t cx_mask = in.addrsize >= 8 ? ~0ull : (1ull << (8 * in.addrsize)) - 1;
	if (rc == EMULATE_REPEAT)
		FUZZ_CHECK(string && rep && (regs.gpr[GPR_RCX] & cx_mask) != 0,
		           "REPEAT for op %d (rep %d, rCX %#llx)", in.op, rep,
		           (unsigned long long)regs.gpr[GPR_RCX]);
	if (rc == -EMULATE_EUNSUPPORTED || m.failed_reads) {
		FUZZ_CHECK(!memcmp(&regs, &before, sizeof(regs)) && rflags == flags_before,
		           "op %d: registers or flags changed by a %s", in.op,
		           m.failed_reads ? "failed read" : "refused instruction");
		if (rc == -EMULATE_EUNSUPPORTED)
			FUZZ_CHECK(m.reads + m.writes + m.failed_reads == 0,
			           "refused instruction accessed memory");
	}
	uint64_t allowed = allowed_regs(&in);
	for (unsigned i = 0; i < GPR_COUNT; i++)
		FUZZ_CHECK(regs.gpr[i] == before.gpr[i] || (allowed & (1ull << i)),
		           "op %d changed register %u", in.op, i);
	FUZZ_CHECK((rflags & ~ARITH) == (flags_before & ~ARITH), "op %d changed RFLAGS %#llx->%#llx",
	           in.op, (unsigned long long)flags_before, (unsigned long long)rflags);
	FUZZ_CHECK(sets_flags(&in) || rflags == flags_before, "op %d changed arithmetic flags", in.op);
	if (rc == EMULATE_DONE && !string && in.op != INSN_OP_OTHER)
		FUZZ_CHECK(m.reads + m.writes >= 1, "op %d done without an access", in.op);
	return 0;
}

/* An emulatable form with random prefixes, ModRM (mostly a memory operand), displacement and
 * immediate bytes, rCX small (REP counts), rSI/rDI inside RAM, the other registers random. */
static size_t generate(uint8_t *buf, size_t cap, uint64_t (*rnd)(void))
{
	static const uint8_t prefixes[] = {0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x26, 0x64, 0x65,
	                                   0x40, 0x41, 0x44, 0x48, 0x4c, 0xf0};
	static const uint8_t ops[] = {0x8a, 0x8b, 0x88, 0x89, 0xa0, 0xa1, 0xa2, 0xa3, 0xc6, 0xc7,
	                              0xa4, 0xa5, 0xaa, 0xab, 0x02, 0x03, 0x0a, 0x13, 0x1a, 0x23,
	                              0x2b, 0x32, 0x3b, 0x00, 0x01, 0x09, 0x10, 0x19, 0x20, 0x29,
	                              0x30, 0x39, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xf6, 0xf7,
	                              0x86, 0x87, 0x63, 0x0f};
	static const uint8_t ops_0f[] = {0xb6, 0xb7, 0xbe, 0xbf};
	size_t len = 4 + DECODE_MAX_INSN_LEN + 8 * GPR_COUNT;
	if (cap < len)
		return SIZE_MAX;
	memset(buf, 0, len);
	buf[0] = (uint8_t)rnd();
	buf[1] = (uint8_t)rnd();
	buf[2] = (uint8_t)rnd();
	buf[3] = DECODE_MAX_INSN_LEN;
	uint8_t *insn = buf + 4;
	size_t n = 0;
	for (unsigned k = (unsigned)(rnd() % 4); k; k--)
		insn[n++] = prefixes[rnd() % sizeof(prefixes)];
	uint8_t op = ops[rnd() % sizeof(ops)];
	insn[n++] = op;
	if (op == 0x0f)
		insn[n++] = ops_0f[rnd() % sizeof(ops_0f)];
	uint8_t modrm = (uint8_t)rnd();
	if ((modrm >> 6) == 3 && rnd() % 8)
		modrm &= 0x3f;
	insn[n++] = modrm;
	while (n < DECODE_MAX_INSN_LEN)
		insn[n++] = (uint8_t)rnd();
	uint8_t *regs = buf + 4 + DECODE_MAX_INSN_LEN;
	for (unsigned i = 0; i < GPR_COUNT; i++) {
		uint64_t v = rnd();
		if (i == GPR_RCX)
			v %= 4;
		else if (i == GPR_RSI || i == GPR_RDI)
			v %= RAM_SIZE;
		memcpy(regs + 8 * i, &v, 8);
	}
	return len;
}

const struct fuzz_target fuzz_target = {
	.name = "emulate",
	.iterations = 60000,
	.max_len = 4 + DECODE_MAX_INSN_LEN + 8 * GPR_COUNT,
	.generate = generate,
};
