// sources: svm/emul/guest_walk.c
/* Host tests of the guest page-table walker (svm/emul/guest_walk.c). Page tables are built in a fake
 * guest memory array; expected translations and #PF error codes follow SDM vol. 3, 4.3-4.7. */
#include <string.h>

#include "tests/unit/check.h"
#include "svm/emul/guest_walk.h"

#define MEM_SIZE (16u << 20)

static uint8_t guest_mem[MEM_SIZE];

/* Architectural bits, spelled out here rather than shared with the walker so that a wrong value
 * there cannot make its own test pass. */
#define P        0x1ull
#define RW       0x2ull
#define US       0x4ull
#define PS       0x80ull
#define NX       (1ull << 63)
#define CR0_PE   (1ull << 0)
#define CR0_WP   (1ull << 16)
#define CR0_PG   (1ull << 31)
#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

static unsigned reads;

static bool fake_read(void *ctx, gpa_t gpa, void *buf, size_t len)
{
	(void)ctx;
	reads++;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return false;
	memcpy(buf, guest_mem + gpa, len);
	return true;
}

static void put32(gpa_t at, uint32_t v)
{
	memcpy(guest_mem + at, &v, sizeof(v));
}

static void put64(gpa_t at, uint64_t v)
{
	memcpy(guest_mem + at, &v, sizeof(v));
}

struct result {
	int rc;
	gpa_t gpa;
	uint32_t err;
};

static struct result walk(const struct guest_paging *p, gva_t va, unsigned access)
{
	struct result r = {.gpa = ~0ull};

	r.rc = guest_walk(p, va, access, fake_read, NULL, &r.gpa, &r.err);
	return r;
}

static void expect_ok(const struct guest_paging *p, gva_t va, unsigned access, gpa_t gpa)
{
	struct result r = walk(p, va, access);

	CHECK_EQ(r.rc, 0);
	CHECK_EQ(r.gpa, gpa);
}

static void expect_pf(const struct guest_paging *p, gva_t va, unsigned access, uint32_t err)
{
	struct result r = walk(p, va, access);

	CHECK_EQ(r.rc, -GUEST_WALK_EFAULT);
	CHECK_EQ(r.err, err);
}

static void test_paging_disabled(void)
{
	struct guest_paging real = {.cr0 = 0};
	struct guest_paging prot = {.cr0 = CR0_PE};

	reads = 0;
	expect_ok(&real, 0xffff0, WALK_FETCH, 0xffff0);
	expect_ok(&real, 0x10ffef, WALK_WRITE, 0x10ffef);
	expect_ok(&prot, 0xfee00300, WALK_WRITE, 0xfee00300);
	expect_ok(&prot, 0x100001234ull, WALK_READ, 0x1234);
	CHECK_EQ(reads, 0);
}

/* 32-bit paging: PD at 0x1000, PT at 0x2000. */
static void test_32bit(void)
{
	struct guest_paging p = {.cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000};

	memset(guest_mem, 0, 0x10000);
	put32(0x1000 + 1 * 4, 0x2000 | P | RW | US);     /* 0x00400000: PT */
	put32(0x2000 + 0 * 4, 0x5000 | P | RW | US);     /* 0x00400000: user RW */
	put32(0x2000 + 1 * 4, 0x6000 | P | US);          /* 0x00401000: user RO */
	put32(0x2000 + 2 * 4, 0x7000 | P | RW);          /* 0x00402000: supervisor RW */
	put32(0x1000 + 2 * 4, 0x00c00000 | PS | P | RW); /* 4 MiB page */
	put32(0x1000 + 4 * 4, 0x00c00000 | (1u << 13) | PS | P | RW); /* PSE-36 */
	put32(0x1000 + 5 * 4, 0x00c00000 | (1u << 21) | PS | P | RW); /* reserved bit 21 */

	expect_ok(&p, 0x00400123, WALK_READ, 0x5123);
	expect_ok(&p, 0x00400123, WALK_WRITE | WALK_USER, 0x5123);
	expect_ok(&p, 0x00402fff, WALK_WRITE, 0x7fff);
	expect_pf(&p, 0x00403000, WALK_READ, 0); /* PTE not present */
	expect_pf(&p, 0x00c00000, WALK_WRITE | WALK_USER, PF_ERROR_W | PF_ERROR_U); /* PDE */
	/* read-only: supervisor writes pass unless CR0.WP; user writes never */
	expect_ok(&p, 0x00401010, WALK_WRITE, 0x6010);
	expect_pf(&p, 0x00401010, WALK_WRITE | WALK_USER, PF_ERROR_P | PF_ERROR_W | PF_ERROR_U);
	p.cr0 |= CR0_WP;
	expect_pf(&p, 0x00401010, WALK_WRITE, PF_ERROR_P | PF_ERROR_W);
	/* supervisor page */
	expect_pf(&p, 0x00402000, WALK_USER, PF_ERROR_P | PF_ERROR_U);
	/* no NX in 32-bit paging, and I/D is not reported without SMEP */
	expect_ok(&p, 0x00400000, WALK_FETCH, 0x5000);
	expect_pf(&p, 0x00403000, WALK_FETCH, 0);

	/* PS is ignored without CR4.PSE: the PDE points to a page table at 0xc00000 (zeroes) */
	expect_pf(&p, 0x00812345, WALK_READ, 0);
	p.cr4 = CR4_PSE;
	expect_ok(&p, 0x00812345, WALK_READ, 0x00c12345);
	expect_ok(&p, 0x01012345, WALK_READ, 0x100c12345ull);
	expect_pf(&p, 0x01412345, WALK_READ, PF_ERROR_P | PF_ERROR_RSVD);
	/* 4 MiB page without U/S */
	expect_pf(&p, 0x00812345, WALK_USER, PF_ERROR_P | PF_ERROR_U);

	/* SMEP: supervisor fetch from a user page faults, with I/D */
	p.cr4 |= CR4_SMEP;
	expect_pf(&p, 0x00400000, WALK_FETCH, PF_ERROR_P | PF_ERROR_I);
	expect_ok(&p, 0x00400000, WALK_FETCH | WALK_USER, 0x5000);
	expect_ok(&p, 0x00402000, WALK_FETCH, 0x7000);

	/* a page table outside guest RAM */
	put32(0x1000 + 6 * 4, 0x0ff00000 | P | RW);
	struct result r = walk(&p, 0x01800000, WALK_READ);
	CHECK_EQ(r.rc, -GUEST_WALK_ETABLE);
	CHECK_EQ(r.err, GUEST_WALK_NO_PF);
}

/* PAE paging: PDPT at 0x3020 (32-byte aligned, not page aligned), PD at 0x4000, PT at 0x6000. */
static void test_pae(void)
{
	struct guest_paging p = {
	    .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x3020, .cr4 = CR4_PAE, .efer = EFER_NXE};

	memset(guest_mem, 0, 0x10000);
	put64(0x3020 + 0 * 8, 0x4000 | P);
	put64(0x3020 + 1 * 8, 0x4000 | P | RW); /* R/W is reserved in a PAE PDPTE */
	put64(0x4000 + 0 * 8, 0x6000 | P | RW | US);
	put64(0x4000 + 1 * 8, 0x00200000 | PS | P | RW);
	put64(0x4000 + 2 * 8, 0x00400000 | (1ull << 13) | PS | P | RW); /* misaligned 2 MiB */
	put64(0x4000 + 3 * 8, 0x00600000 | PS | P | RW | US | NX);
	put64(0x6000 + 0 * 8, 0x7000 | P | RW | US);
	put64(0x6000 + 1 * 8, 0x8000 | P | RW | US | NX);
	put64(0x6000 + 2 * 8, 0x9000 | (1ull << 52) | P); /* bits 62:52 are reserved in PAE */
	put64(0x6000 + 3 * 8, 0x1234567000ull | P);       /* above 4 GiB */

	expect_ok(&p, 0x00000abc, WALK_READ, 0x7abc);
	expect_ok(&p, 0x00001abc, WALK_READ, 0x8abc);
	expect_pf(&p, 0x00001abc, WALK_FETCH, PF_ERROR_P | PF_ERROR_I);
	expect_pf(&p, 0x00001abc, WALK_FETCH | WALK_USER, PF_ERROR_P | PF_ERROR_U | PF_ERROR_I);
	expect_pf(&p, 0x00002000, WALK_READ, PF_ERROR_P | PF_ERROR_RSVD);
	expect_ok(&p, 0x00003008, WALK_READ, 0x1234567008ull);
	expect_pf(&p, 0x00004000, WALK_FETCH, PF_ERROR_I); /* not present, fetch */
	expect_ok(&p, 0x00212345, WALK_WRITE, 0x00212345);
	expect_pf(&p, 0x00212345, WALK_USER, PF_ERROR_P | PF_ERROR_U);
	expect_pf(&p, 0x00412345, WALK_READ, PF_ERROR_P | PF_ERROR_RSVD);
	expect_pf(&p, 0x00612345, WALK_FETCH, PF_ERROR_P | PF_ERROR_I);
	expect_pf(&p, 0x40000000, WALK_READ, PF_ERROR_P | PF_ERROR_RSVD); /* PDPTE[1] */
	expect_pf(&p, 0x80000000, WALK_WRITE, PF_ERROR_W);                /* PDPTE[2] */
	/* addresses are 32 bits wide */
	expect_ok(&p, 0x100000abcull, WALK_READ, 0x7abc);

	/* without EFER.NXE, bit 63 is reserved and fetches report no I/D */
	p.efer = 0;
	expect_pf(&p, 0x00001abc, WALK_READ, PF_ERROR_P | PF_ERROR_RSVD);
	expect_ok(&p, 0x00000abc, WALK_FETCH, 0x7abc);
	expect_pf(&p, 0x00004000, WALK_FETCH, 0);
}

/* 4-level paging: PML4 0x8000, PDPT 0x9000, PD 0xa000, PT 0xb000, data frames from 0xc000. */
static void build_long_tables(void)
{
	memset(guest_mem, 0, 0x20000);
	put64(0x8000 + 0 * 8, 0x9000 | P | RW | US);
	put64(0x8000 + 256 * 8, 0x9000 | P | RW);    /* upper half: supervisor */
	put64(0x8000 + 1 * 8, 0x9000 | PS | P | RW); /* PS is reserved in a PML4E */
	put64(0x8000 + 2 * 8, 0x10000 | P | US);     /* read-only at the PML4 level */
	put64(0x9000 + 0 * 8, 0xa000 | P | RW | US);
	put64(0x9000 + 1 * 8, 0x40000000 | PS | P | RW | US);                /* 1 GiB */
	put64(0x9000 + 2 * 8, 0x80000000 | (1ull << 13) | PS | P | RW | US); /* misaligned */
	put64(0x9000 + 3 * 8, 0xa000 | P | RW | US | NX);                    /* NX above */
	put64(0xa000 + 0 * 8, 0xb000 | P | RW | US);
	put64(0xa000 + 1 * 8, 0x00600000 | PS | P | RW | US); /* 2 MiB */
	put64(0xa000 + 2 * 8, 0x0ff00000 | P | RW | US);      /* PT not in RAM */
	put64(0xb000 + 5 * 8, 0xc000 | P | RW | US);
	put64(0xb000 + 6 * 8, 0xe000 | P | RW | US);
	put64(0xb000 + 8 * 8, 0x0ff00000 | P | RW | US); /* data not in RAM */
	put64(0x10000 + 0 * 8, 0x11000 | P | RW | US);
	put64(0x11000 + 0 * 8, 0x00800000 | PS | P | RW | US);
}

static void test_long(void)
{
	struct guest_paging p = {.cr0 = CR0_PE | CR0_PG | CR0_WP,
	                         .cr3 = 0x8000,
	                         .cr4 = CR4_PAE,
	                         .efer = EFER_LME | EFER_LMA | EFER_NXE};
	struct result r;

	build_long_tables();
	expect_ok(&p, 0x5abc, WALK_READ, 0xcabc);
	expect_ok(&p, 0x5abc, WALK_WRITE | WALK_USER | WALK_FETCH, 0xcabc);
	expect_ok(&p, 0x40123456, WALK_READ, 0x40123456);
	expect_ok(&p, 0x7fffffff, WALK_READ, 0x7fffffff);
	expect_ok(&p, 0x00212345, WALK_READ, 0x00612345);
	expect_pf(&p, 0x80000000, WALK_READ, PF_ERROR_P | PF_ERROR_RSVD);
	expect_pf(&p, 0x7000, WALK_READ, 0);
	expect_pf(&p, 0x7000, WALK_FETCH | WALK_USER, PF_ERROR_U | PF_ERROR_I);
	/* NX in the PDPTE applies to everything below it */
	expect_ok(&p, 0xc0005000ull, WALK_READ, 0xc000);
	expect_pf(&p, 0xc0005000ull, WALK_FETCH, PF_ERROR_P | PF_ERROR_I);
	/* the upper half is mapped by a supervisor-only PML4E */
	expect_ok(&p, 0xffff800000005010ull, WALK_WRITE, 0xc010);
	expect_pf(&p, 0xffff800000005010ull, WALK_USER, PF_ERROR_P | PF_ERROR_U);
	expect_pf(&p, 0x0000008000000000ull, WALK_READ, PF_ERROR_P | PF_ERROR_RSVD);
	/* read-only PML4E: supervisor write faults with CR0.WP, passes without */
	expect_ok(&p, 0x0000010000012345ull, WALK_USER, 0x00812345);
	expect_pf(&p, 0x0000010000012345ull, WALK_WRITE, PF_ERROR_P | PF_ERROR_W);
	p.cr0 &= ~CR0_WP;
	expect_ok(&p, 0x0000010000012345ull, WALK_WRITE, 0x00812345);
	expect_pf(&p, 0x0000010000012345ull, WALK_WRITE | WALK_USER,
	          PF_ERROR_P | PF_ERROR_W | PF_ERROR_U);

	r = walk(&p, 0x0000800000000000ull, WALK_READ);
	CHECK_EQ(r.rc, -GUEST_WALK_ENONCANON);
	CHECK_EQ(r.err, GUEST_WALK_NO_PF);
	r = walk(&p, 0xfff0000000000000ull, WALK_READ);
	CHECK_EQ(r.rc, -GUEST_WALK_ENONCANON);
	r = walk(&p, 0x00400000, WALK_READ);
	CHECK_EQ(r.rc, -GUEST_WALK_ETABLE);
	CHECK_EQ(r.err, GUEST_WALK_NO_PF);

	/* without NXE, bit 63 is reserved at every level */
	p.efer &= ~EFER_NXE;
	expect_pf(&p, 0xc0005000ull, WALK_READ, PF_ERROR_P | PF_ERROR_RSVD);
	expect_pf(&p, 0x7000, WALK_FETCH, 0);
}

static void test_5level(void)
{
	struct guest_paging p = {.cr0 = CR0_PE | CR0_PG,
	                         .cr3 = 0x12000,
	                         .cr4 = CR4_PAE | CR4_LA57,
	                         .efer = EFER_LME | EFER_LMA};
	struct result r;

	build_long_tables();
	put64(0x12000 + 0 * 8, 0x8000 | P | RW | US);
	put64(0x12000 + 511 * 8, 0x8000 | P | RW);
	expect_ok(&p, 0x5abc, WALK_READ, 0xcabc);
	/* canonical with 57 bits: PML5[0], PML4[256] */
	expect_ok(&p, 0x0000800000005010ull, WALK_READ, 0xc010);
	expect_ok(&p, 0xffff000000005010ull, WALK_READ, 0xc010); /* PML5[511] */
	expect_pf(&p, 0x0001000000000000ull, WALK_READ, 0);
	expect_pf(&p, 0xffff000000005010ull, WALK_USER, PF_ERROR_P | PF_ERROR_U);
	r = walk(&p, 0x0100000000000000ull, WALK_READ);
	CHECK_EQ(r.rc, -GUEST_WALK_ENONCANON);
}

static void test_read_virt(void)
{
	struct guest_paging p = {.cr0 = CR0_PE | CR0_PG,
	                         .cr3 = 0x8000,
	                         .cr4 = CR4_PAE,
	                         .efer = EFER_LME | EFER_LMA | EFER_NXE};
	uint8_t buf[16];
	uint32_t err;

	build_long_tables();
	for (unsigned i = 0; i < 8; i++) {
		guest_mem[0xcff8 + i] = (uint8_t)(0xa0 + i);
		guest_mem[0xe000 + i] = (uint8_t)(0xb0 + i);
	}
	/* virtual 0x5ff8..0x6007 is physical 0xcff8..0xcfff then 0xe000..0xe007 */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(guest_read_virt(&p, 0x5ff8, buf, 16, WALK_FETCH, fake_read, NULL, &err), 16);
	CHECK_EQ(buf[0], 0xa0);
	CHECK_EQ(buf[7], 0xa7);
	CHECK_EQ(buf[8], 0xb0);
	CHECK_EQ(buf[15], 0xb7);
	CHECK_EQ(err, GUEST_WALK_NO_PF);

	/* the page after 0x6000 is not present: a fetch stops there with the fetch error code */
	CHECK_EQ(guest_read_virt(&p, 0x6ffc, buf, 15, WALK_FETCH, fake_read, NULL, &err), 4);
	CHECK_EQ(err, PF_ERROR_I);

	/* the first page not present: nothing read */
	CHECK_EQ(guest_read_virt(&p, 0x4ff0, buf, 15, WALK_READ, fake_read, NULL, &err), 0);
	CHECK_EQ(err, 0);

	/* data outside guest RAM: stops without a #PF */
	CHECK_EQ(guest_read_virt(&p, 0x8000, buf, 4, WALK_READ, fake_read, NULL, &err), 0);
	CHECK_EQ(err, GUEST_WALK_NO_PF);

	CHECK_EQ(guest_read_virt(&p, 0x5000, buf, 0, WALK_READ, fake_read, NULL, &err), 0);
	CHECK_EQ(err, GUEST_WALK_NO_PF);
}

int main(void)
{
	test_paging_disabled();
	test_32bit();
	test_pae();
	test_long();
	test_5level();
	test_read_virt();
	return check_summary("test_guest_walk");
}
