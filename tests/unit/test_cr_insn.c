// sources: svm/emul/cr_insn.c svm/emul/decode.c svm/emul/guest_walk.c
/* The value an intercepted control-register write loads (svm/emul/cr_insn.c), from real encodings
 * (APM vol. 3, MOV CRn, CLTS, LMSW): MOV to CR8 as REX.R 0F 22 in 64-bit mode and as LOCK 0F 22
 * (AltMovCr8) in 32-bit mode, LMSW from memory and the #PF of its operand on a not-present page. */
#include <string.h>

#include "tests/unit/check.h"
#include "svm/emul/cr_insn.h"
#include "svm/vmcb.h"

#define MEM_SIZE (1u << 20)
#define CR0_PE   1ull
#define CR0_TS   (1ull << 3)
#define CR0_PG   (1ull << 31)
#define CR4_PSE  (1ull << 4)

static uint8_t guest_mem[MEM_SIZE];
static struct vmcb vmcb;
static uint64_t gpr[16];

static bool fake_read(void *ctx, gpa_t gpa, void *buf, size_t len)
{
	(void)ctx;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return false;
	memcpy(buf, guest_mem + gpa, len);
	return true;
}

static enum cr_insn_result value_of(const uint8_t *bytes, size_t n, enum cpu_mode mode,
				    unsigned cr, uint64_t *value, struct cr_insn_fault *fault)
{
	struct insn insn;
	if (decode_insn(bytes, n, mode, &insn) != 0)
		return CR_INSN_NOT_CR_WRITE;
	CHECK_EQ(insn.len, n);
	struct cr_insn_vcpu v = {&vmcb, gpr, fake_read, NULL};
	return cr_insn_value(&v, &insn, cr, value, fault);
}

static void test_cr8(void)
{
	uint64_t value = 0;
	struct cr_insn_fault fault;
	/* 44 0F 22 C1: MOV CR8, RCX in 64-bit mode (REX.R selects CR8) */
	static const uint8_t mov_cr8_rcx[] = {0x44, 0x0f, 0x22, 0xc1};
	gpr[1] = 0x0000000500000007ull;
	CHECK_EQ(value_of(mov_cr8_rcx, sizeof(mov_cr8_rcx), CPU_MODE_LONG64, 8, &value, &fault),
		 CR_INSN_OK);
	CHECK_EQ(value, 0x0000000500000007ull); /* all 64 bits: bits 63:4 are the #GP check's */
	/* F0 0F 22 C0: LOCK MOV CR0, EAX is MOV CR8, EAX in 32-bit mode */
	static const uint8_t lock_mov_cr0_eax[] = {0xf0, 0x0f, 0x22, 0xc0};
	gpr[0] = 0xffffffff00000003ull;
	CHECK_EQ(value_of(lock_mov_cr0_eax, sizeof(lock_mov_cr0_eax), CPU_MODE_PROT32, 8, &value,
			  &fault),
		 CR_INSN_OK);
	CHECK_EQ(value, 3);
	/* 0F 22 C0 without LOCK writes CR0, not CR8 */
	static const uint8_t mov_cr0_eax[] = {0x0f, 0x22, 0xc0};
	CHECK_EQ(value_of(mov_cr0_eax, sizeof(mov_cr0_eax), CPU_MODE_PROT32, 8, &value, &fault),
		 CR_INSN_NOT_CR_WRITE);
	/* MOV CR4 is not a CR8 write either */
	static const uint8_t mov_cr4_eax[] = {0x0f, 0x22, 0xe0};
	CHECK_EQ(value_of(mov_cr4_eax, sizeof(mov_cr4_eax), CPU_MODE_PROT32, 8, &value, &fault),
		 CR_INSN_NOT_CR_WRITE);
}

static void test_lmsw(void)
{
	uint64_t value = 0;
	struct cr_insn_fault fault = {0, 0};
	memset(&vmcb, 0, sizeof(vmcb));
	vmcb.save.cr0 = CR0_PE | CR0_TS;
	vmcb.save.cs.attrib = 1u << 10; /* D: 32-bit code */
	/* 0F 01 35 disp32: LMSW [0x2000] without paging: the word there, PE kept */
	static const uint8_t lmsw_mem[] = {0x0f, 0x01, 0x35, 0x00, 0x20, 0x00, 0x00};
	guest_mem[0x2000] = 0x2; /* MP */
	CHECK_EQ(value_of(lmsw_mem, sizeof(lmsw_mem), CPU_MODE_PROT32, 0, &value, &fault),
		 CR_INSN_OK);
	CHECK_EQ(value, CR0_PE | 0x2);
	/* with paging, 0x2000 in a not-present 4 MiB page: #PF, CR2 the operand, error 0 */
	uint32_t *pd = (uint32_t *)(guest_mem + 0x10000);
	memset(pd, 0, 4096);
	vmcb.save.cr0 = CR0_PE | CR0_PG;
	vmcb.save.cr3 = 0x10000;
	vmcb.save.cr4 = CR4_PSE;
	CHECK_EQ(value_of(lmsw_mem, sizeof(lmsw_mem), CPU_MODE_PROT32, 0, &value, &fault),
		 CR_INSN_PAGE_FAULT);
	CHECK_EQ(fault.linear, 0x2000);
	CHECK_EQ(fault.error, 0);
	/* present again (4 MiB, writable): the read goes through */
	pd[0] = 0x83;
	CHECK_EQ(value_of(lmsw_mem, sizeof(lmsw_mem), CPU_MODE_PROT32, 0, &value, &fault),
		 CR_INSN_OK);
	CHECK_EQ(value, CR0_PE | CR0_PG | 0x2);
}

int main(void)
{
	test_cr8();
	test_lmsw();
	return check_summary("cr_insn");
}
