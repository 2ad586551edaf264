/* The value an intercepted control-register write would load, from its decoded instruction: MOV to
 * CRn (0F 22 /r), CLTS (0F 06) and LMSW (0F 01 /6, register or memory operand) (APM vol. 3).
 * Without decode assists (QEMU TCG) the CR-write intercepts give no operand, so the instruction is
 * fetched and decoded (svm/emul/guest_insn.h). */
#ifndef SVM_EMUL_CR_INSN_H
#define SVM_EMUL_CR_INSN_H

#include "kernel/types.h"
#include "svm/emul/decode.h"
#include "svm/emul/guest_walk.h"

struct vmcb;

/* What of a vCPU the instruction's operands come from: its VMCB (RIP, CR0, segments, paging),
 * its general registers and its guest memory (read through read(ctx)). */
struct cr_insn_vcpu {
	const struct vmcb *vmcb;
	const uint64_t *gpr;
	guest_read_fn read;
	void *ctx;
};

enum cr_insn_result {
	CR_INSN_OK,
	CR_INSN_NOT_CR_WRITE, /* the instruction at RIP writes no control register cr */
	CR_INSN_PAGE_FAULT,   /* LMSW's memory operand takes a #PF (struct cr_insn_fault) */
	CR_INSN_FAULT,        /* LMSW's memory operand is not in guest RAM */
};

/* The #PF of CR_INSN_PAGE_FAULT: the linear address (CR2) and the error code. */
struct cr_insn_fault {
	uint64_t linear;
	uint32_t error;
};

/* The new value of CR cr (0, 4 or 8) that insn writes; fault is filled for CR_INSN_PAGE_FAULT. */
enum cr_insn_result cr_insn_value(const struct cr_insn_vcpu *v, const struct insn *insn,
				  unsigned cr, uint64_t *value, struct cr_insn_fault *fault);

#endif
