// sources: svm/emul/emulate.c svm/emul/decode.c
/* Host tests of the MMIO instruction emulator (svm/emul/emulate.c). Instructions are decoded from
 * hand-assembled bytes; expected register, memory and flag values are worked out by hand from the
 * SDM vol. 2 descriptions (flags: SDM vol. 1, appendix A "EFLAGS cross-reference"). */
#include <string.h>

#include "tests/unit/check.h"
#include "svm/emul/decode.h"
#include "svm/emul/emulate.h"
#include "svm/emul/guest_walk.h"

/* Architectural RFLAGS bits, spelled out here independently of svm/emul/emulate.h. */
#define CF          0x001ull
#define PF          0x004ull
#define AF          0x010ull
#define ZF          0x040ull
#define SF          0x080ull
#define DF          0x400ull
#define OF          0x800ull
#define ARITH       (CF | PF | AF | ZF | SF | OF)
#define RFLAGS_BASE 0x202ull /* reserved bit 1 and IF, which the emulator must keep */

#define MMIO_BASE 0xfee00000ull
#define MMIO_SIZE 0x1000u
#define RAM_SIZE  0x10000u

/* A fake machine: a device window at MMIO_BASE and guest RAM at 0. */
struct machine {
	uint8_t mmio[MMIO_SIZE];
	uint8_t ram[RAM_SIZE];
	unsigned reads, writes;
	gpa_t last_gpa;
	unsigned last_size;
	uint64_t last_val;
	bool fail_read, fail_write, fail_translate;
	uint8_t translate_seg[2];
	unsigned translations;
};

static struct machine m;

static uint8_t *machine_at(gpa_t gpa, unsigned size)
{
	if (gpa >= MMIO_BASE && gpa + size <= MMIO_BASE + MMIO_SIZE)
		return m.mmio + (gpa - MMIO_BASE);
	if (gpa + size <= RAM_SIZE)
		return m.ram + gpa;
	return NULL;
}

static bool fake_mmio_read(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
	uint8_t *p = machine_at(gpa, size);

	CHECK(ctx == &m);
	if (!p || m.fail_read)
		return false;
	*val = 0;
	memcpy(val, p, size);
	/* garbage above size must be ignored by the emulator */
	if (size < 8)
		*val |= 0xa5a5a5a5a5a5a5a5ull << (8 * size);
	m.reads++;
	return true;
}

static bool fake_mmio_write(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
	uint8_t *p = machine_at(gpa, size);

	CHECK(ctx == &m);
	if (!p || m.fail_write)
		return false;
	memcpy(p, &val, size);
	m.writes++;
	m.last_gpa = gpa;
	m.last_size = size;
	m.last_val = val;
	return true;
}

/* Flat segments: DS-relative source offsets live in the device window, ES-relative
 * destinations in RAM, so MOVS copies device -> RAM; any other segment maps like DS. */
static bool fake_translate(void *ctx, enum insn_seg seg, uint64_t offset, unsigned access,
                           gpa_t *gpa)
{
	CHECK(ctx == &m);
	if (m.fail_translate)
		return false;
	if (m.translations < 2)
		m.translate_seg[m.translations] = (uint8_t)seg;
	m.translations++;
	if (seg == INSN_SEG_ES) {
		CHECK_EQ(access, WALK_WRITE);
		*gpa = offset;
	} else {
		CHECK_EQ(access, WALK_READ);
		*gpa = MMIO_BASE + offset;
	}
	return true;
}

static const struct emulate_ops ops = {
    .mmio_read = fake_mmio_read,
    .mmio_write = fake_mmio_write,
    .translate = fake_translate,
};

static struct guest_regs regs;
static uint64_t rflags;

static void reset(void)
{
	memset(&m, 0, sizeof(m));
	memset(&regs, 0, sizeof(regs));
	rflags = RFLAGS_BASE;
}

static void put_mmio(unsigned offset, uint64_t val, unsigned size)
{
	memcpy(m.mmio + offset, &val, size);
}

static uint64_t get_mmio(unsigned offset, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, m.mmio + offset, size);
	return v;
}

static int emulate_bytes(enum cpu_mode mode, const uint8_t *bytes, size_t n, unsigned offset,
                         const struct emulate_ops *o)
{
	struct insn insn;
	int rc = decode_insn(bytes, n, mode, &insn);

	CHECK_EQ(rc, 0);
	CHECK_EQ(insn.len, n);
	if (rc)
		return rc;
	return emulate_mmio(&insn, &regs, &rflags, MMIO_BASE + offset, o, &m);
}

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
/* Emulates the instruction with the fault at MMIO_BASE + 0x300. */
#define EMULATE(mode, ...) emulate_bytes(mode, BYTES(__VA_ARGS__), 0x300, &ops)

static void test_mov_store(void)
{
	reset();
	regs.gpr[GPR_RAX] = 0x1122334455667788ull;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x89, 0x07), EMULATE_DONE); /* mov [rdi], eax */
	CHECK_EQ(m.last_gpa, MMIO_BASE + 0x300);
	CHECK_EQ(m.last_size, 4);
	CHECK_EQ(get_mmio(0x300, 8), 0x55667788);
	CHECK_EQ(rflags, RFLAGS_BASE);

	regs.gpr[GPR_RAX] = 0x1234;
	regs.gpr[GPR_RSP] = 0xabcd;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x88, 0x27), EMULATE_DONE); /* mov [rdi], ah */
	CHECK_EQ(m.last_size, 1);
	CHECK_EQ(m.last_val, 0x12);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x40, 0x88, 0x27), EMULATE_DONE); /* mov [rdi], spl */
	CHECK_EQ(m.last_val, 0xcd);

	regs.gpr[GPR_R9] = 0x8877665544332211ull;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x4c, 0x89, 0x0f), EMULATE_DONE); /* mov [rdi], r9 */
	CHECK_EQ(m.last_size, 8);
	CHECK_EQ(get_mmio(0x300, 8), 0x8877665544332211ull);

	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), EMULATE_DONE);
	CHECK_EQ(m.last_size, 4);
	CHECK_EQ(m.last_val, 0x12345678);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff), EMULATE_DONE);
	CHECK_EQ(m.last_size, 8);
	CHECK_EQ(m.last_val, 0xffffffffffffffffull);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xc6, 0x07, 0x80), EMULATE_DONE);
	CHECK_EQ(m.last_size, 1);
	CHECK_EQ(m.last_val, 0x80);
	CHECK_EQ(EMULATE(CPU_MODE_REAL16, 0xc7, 0x07, 0x34, 0x12), EMULATE_DONE);
	CHECK_EQ(m.last_size, 2);
	CHECK_EQ(m.last_val, 0x1234);

	/* mov moffs8, al */
	regs.gpr[GPR_RAX] = 0x99;
	CHECK_EQ(EMULATE(CPU_MODE_PROT32, 0xa2, 0x00, 0x03, 0xe0, 0xfe), EMULATE_DONE);
	CHECK_EQ(m.last_size, 1);
	CHECK_EQ(m.last_val, 0x99);
	CHECK_EQ(m.writes, 9);
}

static void test_loads(void)
{
	reset();
	put_mmio(0x300, 0xdeadbeefull, 4);
	regs.gpr[GPR_RAX] = ~0ull;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x8b, 0x07), EMULATE_DONE); /* mov eax, [rdi] */
	CHECK_EQ(regs.gpr[GPR_RAX], 0xdeadbeefull);                   /* zero-extended */
	regs.gpr[GPR_RAX] = ~0ull;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x66, 0x8b, 0x07), EMULATE_DONE); /* mov ax, [rdi] */
	CHECK_EQ(regs.gpr[GPR_RAX], 0xffffffffffffbeefull);
	regs.gpr[GPR_RAX] = 0x1111;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x8a, 0x27), EMULATE_DONE); /* mov ah, [rdi] */
	CHECK_EQ(regs.gpr[GPR_RAX], 0xef11);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x44, 0x8a, 0x27), EMULATE_DONE); /* mov r12b, [rdi] */
	CHECK_EQ(regs.gpr[GPR_R12], 0xef);
	put_mmio(0x300, 0x0123456789abcdefull, 8);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x48, 0x8b, 0x0f), EMULATE_DONE); /* mov rcx, [rdi] */
	CHECK_EQ(regs.gpr[GPR_RCX], 0x0123456789abcdefull);
	/* mov eax, moffs64 */
	regs.gpr[GPR_RAX] = 0;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xa1, 0x00, 0x03, 0xe0, 0xfe, 0, 0, 0, 0), EMULATE_DONE);
	CHECK_EQ(regs.gpr[GPR_RAX], 0x89abcdefull);

	put_mmio(0x300, 0x80, 1);
	regs.gpr[GPR_RAX] = ~0ull;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x0f, 0xb6, 0x07), EMULATE_DONE); /* movzx eax, byte */
	CHECK_EQ(regs.gpr[GPR_RAX], 0x80);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x0f, 0xbe, 0x07), EMULATE_DONE); /* movsx eax, byte */
	CHECK_EQ(regs.gpr[GPR_RAX], 0xffffff80ull);
	regs.gpr[GPR_RAX] = 0x1234567800000000ull;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x66, 0x0f, 0xbe, 0x07), EMULATE_DONE); /* movsx ax */
	CHECK_EQ(regs.gpr[GPR_RAX], 0x123456780000ff80ull);
	put_mmio(0x300, 0x8000, 2);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x48, 0x0f, 0xbf, 0x07), EMULATE_DONE); /* movsx rax */
	CHECK_EQ(regs.gpr[GPR_RAX], 0xffffffffffff8000ull);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x48, 0x0f, 0xb7, 0x07), EMULATE_DONE); /* movzx rax */
	CHECK_EQ(regs.gpr[GPR_RAX], 0x8000);
	put_mmio(0x300, 0x80000000ull, 4);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x48, 0x63, 0x07), EMULATE_DONE); /* movsxd rax */
	CHECK_EQ(regs.gpr[GPR_RAX], 0xffffffff80000000ull);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x63, 0x07), EMULATE_DONE); /* movsxd eax: plain move */
	CHECK_EQ(regs.gpr[GPR_RAX], 0x80000000ull);
	CHECK_EQ(m.writes, 0);
}

/* Runs one ALU instruction on a 32-bit memory value and returns the arithmetic flags. */
static uint64_t alu_flags(uint64_t in_flags, const uint8_t *bytes, size_t n, uint64_t mem,
                          uint64_t rax)
{
	rflags = RFLAGS_BASE | in_flags;
	regs.gpr[GPR_RAX] = rax;
	put_mmio(0x300, mem, 8);
	CHECK_EQ(emulate_bytes(CPU_MODE_LONG64, bytes, n, 0x300, &ops), EMULATE_DONE);
	CHECK_EQ(rflags & ~ARITH, RFLAGS_BASE | (in_flags & DF));
	return rflags & ARITH;
}

static void test_alu(void)
{
	reset();
	/* add [rdi], eax: 0xffffffff + 1 = 0, carry out of bit 31 and bit 3 */
	CHECK_EQ(alu_flags(0, BYTES(0x01, 0x07), 0xffffffff, 1), CF | PF | AF | ZF);
	CHECK_EQ(get_mmio(0x300, 8), 0);
	/* 0x7fffffff + 1: signed overflow */
	CHECK_EQ(alu_flags(0, BYTES(0x01, 0x07), 0x7fffffff, 1), OF | SF | AF | PF);
	CHECK_EQ(get_mmio(0x300, 4), 0x80000000u);
	/* sub [rdi], eax: 0 - 1 borrows; result 0xffffffff has an even low byte */
	CHECK_EQ(alu_flags(0, BYTES(0x29, 0x07), 0, 1), CF | SF | AF | PF);
	CHECK_EQ(get_mmio(0x300, 4), 0xffffffffu);
	/* 0x80000000 - 1 overflows */
	CHECK_EQ(alu_flags(0, BYTES(0x29, 0x07), 0x80000000u, 1), OF | AF | PF);
	/* cmp [rdi], eax sets flags only */
	unsigned writes = m.writes;
	CHECK_EQ(alu_flags(ARITH, BYTES(0x39, 0x07), 5, 5), ZF | PF);
	CHECK_EQ(m.writes, writes);
	CHECK_EQ(get_mmio(0x300, 4), 5);
	/* cmp eax, [rdi]: 3 - 5 = 0xfffffffe (low byte has seven 1 bits: PF clear) */
	CHECK_EQ(alu_flags(0, BYTES(0x3b, 0x07), 5, 3), CF | SF | AF);
	CHECK_EQ(regs.gpr[GPR_RAX], 3);
	/* adc [rdi], eax with CF set: 1 + 1 + 1 */
	CHECK_EQ(alu_flags(CF, BYTES(0x11, 0x07), 1, 1), PF);
	CHECK_EQ(get_mmio(0x300, 4), 3);
	/* adc where only the carry-in overflows: 0xffffffff + 0 + 1 */
	CHECK_EQ(alu_flags(CF, BYTES(0x11, 0x07), 0xffffffff, 0), CF | ZF | PF | AF);
	/* sbb [rdi], eax with CF set: 0 - 0 - 1 */
	CHECK_EQ(alu_flags(CF, BYTES(0x19, 0x07), 0, 0), CF | SF | AF | PF);
	CHECK_EQ(get_mmio(0x300, 4), 0xffffffffu);
	/* or eax, [rdi]: logic ops clear CF and OF; eax write zero-extends */
	CHECK_EQ(alu_flags(CF | OF, BYTES(0x0b, 0x07), 0x0f, 0xffffffff000000f0ull), PF);
	CHECK_EQ(regs.gpr[GPR_RAX], 0xff);
	/* xor byte [rdi], 0xff */
	CHECK_EQ(alu_flags(DF, BYTES(0x80, 0x37, 0xff), 0x0f, 0), SF | PF);
	CHECK_EQ(get_mmio(0x300, 4), 0xf0);
	/* and dword [rdi], -16 (83 sign-extends) */
	CHECK_EQ(alu_flags(0, BYTES(0x83, 0x27, 0xf0), 0x12345678, 0), 0);
	CHECK_EQ(get_mmio(0x300, 4), 0x12345670);
	/* add qword [rdi], 1 */
	CHECK_EQ(alu_flags(0, BYTES(0x48, 0x83, 0x07, 0x01), 0xffffffffffffffffull, 0),
	         CF | ZF | PF | AF);
	CHECK_EQ(get_mmio(0x300, 8), 0);
	/* sub qword [rdi], imm32 sign-extended: 0 - (-0x80000000) = 0x80000000 */
	CHECK_EQ(alu_flags(0, BYTES(0x48, 0x81, 0x2f, 0x00, 0x00, 0x00, 0x80), 0, 0), CF | PF);
	CHECK_EQ(get_mmio(0x300, 8), 0x80000000ull);
	/* add word [rdi], ax: 16-bit wrap; the bytes above are not written */
	put_mmio(0x300, 0x5555555555555555ull, 8);
	rflags = RFLAGS_BASE;
	regs.gpr[GPR_RAX] = 0xabab;
	put_mmio(0x300, 0x5555, 2);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x66, 0x01, 0x07), EMULATE_DONE);
	CHECK_EQ(get_mmio(0x300, 8), 0x5555555555550100ull);
	CHECK_EQ(rflags & ARITH, CF | PF | AF); /* 0x5555 + 0xabab = 0x1_0100 */
	/* add [rdi], ah: 0x80 + 0x80 */
	CHECK_EQ(alu_flags(0, BYTES(0x00, 0x27), 0x80, 0x8000), CF | OF | ZF | PF);
	/* or [rdi], ecx: a register other than rAX */
	rflags = RFLAGS_BASE;
	regs.gpr[GPR_RCX] = 0x100;
	put_mmio(0x300, 0x1, 4);
	CHECK_EQ(EMULATE(CPU_MODE_PROT32, 0x09, 0x0f), EMULATE_DONE);
	CHECK_EQ(get_mmio(0x300, 4), 0x101);
	CHECK_EQ(rflags & ARITH, 0);
}

static void test_test_xchg(void)
{
	reset();
	/* test [rdi], eax: no common bits */
	CHECK_EQ(alu_flags(CF | OF, BYTES(0x85, 0x07), 0xf0, 0x0f), ZF | PF);
	CHECK_EQ(m.writes, 0);
	/* test byte [rdi], 0x80 */
	CHECK_EQ(alu_flags(0, BYTES(0xf6, 0x07, 0x80), 0x80, 0), SF);
	/* test dword [rdi], 0x00000101 */
	CHECK_EQ(alu_flags(ZF, BYTES(0xf7, 0x07, 0x01, 0x01, 0x00, 0x00), 0x103, 0), 0);
	CHECK_EQ(m.writes, 0);

	/* xchg [rdi], eax */
	put_mmio(0x300, 0x11111111, 4);
	regs.gpr[GPR_RAX] = 0xffffffff22222222ull;
	rflags = RFLAGS_BASE | ARITH;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x87, 0x07), EMULATE_DONE);
	CHECK_EQ(get_mmio(0x300, 4), 0x22222222);
	CHECK_EQ(regs.gpr[GPR_RAX], 0x11111111);
	CHECK_EQ(rflags, RFLAGS_BASE | ARITH);
	/* xchg [rdi], bh */
	put_mmio(0x300, 0x77, 1);
	regs.gpr[GPR_RBX] = 0x1234;
	CHECK_EQ(EMULATE(CPU_MODE_PROT32, 0x86, 0x3f), EMULATE_DONE);
	CHECK_EQ(get_mmio(0x300, 1), 0x12);
	CHECK_EQ(regs.gpr[GPR_RBX], 0x7734);
}

static void test_stos(void)
{
	reset();
	regs.gpr[GPR_RAX] = 0x5a;
	regs.gpr[GPR_RDI] = 0x1000;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xaa), EMULATE_DONE); /* stosb */
	CHECK_EQ(m.last_gpa, MMIO_BASE + 0x300);
	CHECK_EQ(m.last_size, 1);
	CHECK_EQ(m.last_val, 0x5a);
	CHECK_EQ(regs.gpr[GPR_RDI], 0x1001);
	rflags |= DF;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xaa), EMULATE_DONE);
	CHECK_EQ(regs.gpr[GPR_RDI], 0x1000);

	/* rep stosd, three elements: two REPEATs then DONE */
	rflags = RFLAGS_BASE;
	regs.gpr[GPR_RAX] = 0xcafef00d;
	regs.gpr[GPR_RCX] = 3;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xf3, 0xab), EMULATE_REPEAT);
	CHECK_EQ(regs.gpr[GPR_RCX], 2);
	CHECK_EQ(regs.gpr[GPR_RDI], 0x1004);
	CHECK_EQ(m.last_size, 4);
	CHECK_EQ(m.last_val, 0xcafef00d);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xf3, 0xab), EMULATE_REPEAT);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xf3, 0xab), EMULATE_DONE);
	CHECK_EQ(regs.gpr[GPR_RCX], 0);
	CHECK_EQ(regs.gpr[GPR_RDI], 0x100c);
	/* count zero: nothing written */
	unsigned writes = m.writes;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xf3, 0xab), EMULATE_DONE);
	CHECK_EQ(m.writes, writes);
	CHECK_EQ(regs.gpr[GPR_RDI], 0x100c);

	/* 32-bit addressing in 64-bit mode: ECX/EDI, written back zero-extended */
	regs.gpr[GPR_RCX] = 0xffffffff00000001ull;
	regs.gpr[GPR_RDI] = 0xfffffffffffffffcull;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x67, 0xf3, 0xab), EMULATE_DONE);
	CHECK_EQ(regs.gpr[GPR_RCX], 0);
	CHECK_EQ(regs.gpr[GPR_RDI], 0);

	/* 16-bit: CX = 0 although RCX is not; DI wraps within 16 bits */
	regs.gpr[GPR_RCX] = 0x10000;
	writes = m.writes;
	CHECK_EQ(EMULATE(CPU_MODE_REAL16, 0xf3, 0xaa), EMULATE_DONE);
	CHECK_EQ(m.writes, writes);
	regs.gpr[GPR_RCX] = 0x10002;
	regs.gpr[GPR_RDI] = 0x5ffff;
	CHECK_EQ(EMULATE(CPU_MODE_REAL16, 0xf3, 0xab), EMULATE_REPEAT);
	CHECK_EQ(m.last_size, 2);
	CHECK_EQ(regs.gpr[GPR_RCX], 0x10001);
	CHECK_EQ(regs.gpr[GPR_RDI], 0x50001);
}

static void test_movs(void)
{
	struct emulate_ops no_translate = ops;

	reset();
	m.mmio[0x100] = 0x42;
	regs.gpr[GPR_RSI] = 0x100;
	regs.gpr[GPR_RDI] = 0x200;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xa4), EMULATE_DONE); /* movsb: device -> RAM */
	CHECK_EQ(m.ram[0x200], 0x42);
	CHECK_EQ(regs.gpr[GPR_RSI], 0x101);
	CHECK_EQ(regs.gpr[GPR_RDI], 0x201);
	CHECK_EQ(m.translate_seg[0], INSN_SEG_DS);
	CHECK_EQ(m.translate_seg[1], INSN_SEG_ES);

	/* the source segment follows the override */
	m.translations = 0;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x64, 0xa4), EMULATE_DONE);
	CHECK_EQ(m.translate_seg[0], INSN_SEG_FS);
	CHECK_EQ(m.translate_seg[1], INSN_SEG_ES);

	/* rep movsq backwards */
	put_mmio(0x108, 0x1122334455667788ull, 8);
	regs.gpr[GPR_RSI] = 0x108;
	regs.gpr[GPR_RDI] = 0x400;
	regs.gpr[GPR_RCX] = 2;
	rflags |= DF;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xf3, 0x48, 0xa5), EMULATE_REPEAT);
	CHECK_EQ(m.last_gpa, 0x400);
	CHECK_EQ(m.last_size, 8);
	CHECK_EQ(m.last_val, 0x1122334455667788ull);
	CHECK_EQ(regs.gpr[GPR_RSI], 0x100);
	CHECK_EQ(regs.gpr[GPR_RDI], 0x3f8);
	CHECK_EQ(regs.gpr[GPR_RCX], 1);

	/* MOVS needs translate; a failed translation changes nothing */
	no_translate.translate = NULL;
	struct guest_regs before = regs;
	CHECK_EQ(emulate_bytes(CPU_MODE_LONG64, BYTES(0xa4), 0x300, &no_translate),
	         -EMULATE_EUNSUPPORTED);
	m.fail_translate = true;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xa4), -EMULATE_EACCESS);
	CHECK(memcmp(&before, &regs, sizeof(regs)) == 0);
}

static void test_errors(void)
{
	struct guest_regs before;

	reset();
	regs.gpr[GPR_RAX] = 0x1234;
	before = regs;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x0f, 0xa2), -EMULATE_EUNSUPPORTED); /* cpuid */
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x89, 0xc0), -EMULATE_EUNSUPPORTED); /* reg-reg mov */
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0xff, 0x07), -EMULATE_EUNSUPPORTED); /* inc [rdi] */
	m.fail_read = true;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x8b, 0x07), -EMULATE_EACCESS);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x01, 0x07), -EMULATE_EACCESS);
	m.fail_read = false;
	m.fail_write = true;
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x89, 0x07), -EMULATE_EACCESS);
	CHECK_EQ(EMULATE(CPU_MODE_LONG64, 0x87, 0x07), -EMULATE_EACCESS);
	CHECK(memcmp(&before, &regs, sizeof(regs)) == 0);
	CHECK_EQ(rflags, RFLAGS_BASE);
}

int main(void)
{
	test_mov_store();
	test_loads();
	test_alu();
	test_test_xchg();
	test_stos();
	test_movs();
	test_errors();
	return check_summary("test_emulate");
}
