/* The value an intercepted control-register write would load, from its decoded instruction: MOV to
 * CRn (0F 22 /r), CLTS (0F 06) and LMSW (0F 01 /6, register or memory operand) (APM vol. 3).
 * Without decode assists (QEMU TCG) the CR-write intercepts give no operand, so the instruction is
 * fetched and decoded (svm/emul/guest_insn.h). */
#ifndef SVM_EMUL_CR_INSN_H
#define SVM_EMUL_CR_INSN_H

#include "kernel/types.h"
#include "svm/emul/decode.h"

struct vcpu;

enum cr_insn_result {
	CR_INSN_OK,
	CR_INSN_NOT_CR_WRITE, /* the instruction at RIP writes no control register cr */
	CR_INSN_FAULT,        /* reading LMSW's memory operand failed */
};

/* The new value of CR cr (0, 4 or 8) that insn writes. */
enum cr_insn_result cr_insn_value(struct vcpu *v, const struct insn *insn, unsigned cr,
				  uint64_t *value);

#endif
