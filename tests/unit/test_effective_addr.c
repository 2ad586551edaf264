// sources: svm/emul/effective_addr.c svm/emul/decode.c
/* Host tests of the write operand's effective address (svm/emul/effective_addr.c) on instructions
 * hand-assembled from SDM vol. 2 (ModRM/SIB tables), as avic/avic.c meets them on the APIC page. */
#include "tests/unit/check.h"
#include "svm/emul/decode.h"
#include "svm/emul/effective_addr.h"

static struct insn decode(enum cpu_mode mode, const uint8_t *bytes, unsigned len)
{
	struct insn in;
	CHECK_EQ(decode_insn(bytes, len, mode, &in), 0);
	return in;
}

int main(void)
{
	struct guest_regs r = {0};
	enum insn_seg seg;
	struct insn in;

	/* movb $0, 0xfee000b0 (C6 05 disp32 imm8): absolute, DS, one byte */
	static const uint8_t movb[] = {0xc6, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0x00};
	in = decode(CPU_MODE_PROT32, movb, sizeof(movb));
	CHECK(insn_writes_memory(&in));
	CHECK_EQ(in.mem_size, 1);
	CHECK_EQ(insn_write_address(&in, &r, 0, &seg), 0xfee000b0);
	CHECK_EQ(seg, INSN_SEG_DS);

	/* movl %eax, 1(%ebx) with EBX = 0xfee00320 (89 43 01): misaligned dword */
	static const uint8_t movl[] = {0x89, 0x43, 0x01};
	in = decode(CPU_MODE_PROT32, movl, sizeof(movl));
	r.gpr[GPR_RBX] = 0xfee00320;
	CHECK_EQ(insn_write_address(&in, &r, 0, &seg), 0xfee00321);
	CHECK_EQ(in.mem_size, 4);

	/* movw %ax, (%ebx,%esi,4) (66 89 04 B3) */
	static const uint8_t movw[] = {0x66, 0x89, 0x04, 0xb3};
	in = decode(CPU_MODE_PROT32, movw, sizeof(movw));
	r.gpr[GPR_RSI] = 0x10;
	CHECK_EQ(insn_write_address(&in, &r, 0, &seg), 0xfee00360);
	CHECK_EQ(in.mem_size, 2);

	/* 32-bit addressing wraps at 4 GiB */
	r.gpr[GPR_RBX] = 0xffffffff;
	in = decode(CPU_MODE_PROT32, movl, sizeof(movl));
	CHECK_EQ(insn_write_address(&in, &r, 0, &seg), 0);

	/* rep stosl: ES:EDI; rep movsl: the destination ES:EDI, not the source */
	static const uint8_t stos[] = {0xf3, 0xab}, movs[] = {0xf3, 0xa5};
	r.gpr[GPR_RDI] = 0xfee000c4;
	r.gpr[GPR_RSI] = 0x1000;
	in = decode(CPU_MODE_PROT32, stos, sizeof(stos));
	CHECK(insn_writes_memory(&in));
	CHECK_EQ(insn_write_address(&in, &r, 0, &seg), 0xfee000c4);
	CHECK_EQ(seg, INSN_SEG_ES);
	in = decode(CPU_MODE_PROT32, movs, sizeof(movs));
	CHECK_EQ(insn_write_address(&in, &r, 0, &seg), 0xfee000c4);
	CHECK_EQ(seg, INSN_SEG_ES);

	/* 64-bit RIP-relative: movl %eax, 0x100(%rip) (89 05 00 01 00 00) */
	static const uint8_t riprel[] = {0x89, 0x05, 0x00, 0x01, 0x00, 0x00};
	in = decode(CPU_MODE_LONG64, riprel, sizeof(riprel));
	CHECK_EQ(insn_write_address(&in, &r, 0xfee00000, &seg), 0xfee00100);

	/* loads and CMP write nothing */
	static const uint8_t load[] = {0x8b, 0x03}, cmp[] = {0x39, 0x03};
	in = decode(CPU_MODE_PROT32, load, sizeof(load));
	CHECK(!insn_writes_memory(&in));
	in = decode(CPU_MODE_PROT32, cmp, sizeof(cmp));
	CHECK(!insn_writes_memory(&in));
	return check_summary("test_effective_addr");
}
