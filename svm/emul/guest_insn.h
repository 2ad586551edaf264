/* Fetching and decoding the guest instruction at RIP, for RIP advance without NRIP save and for
 * MMIO emulation without decode assists (QEMU TCG has neither). */
#ifndef SVM_GUEST_INSN_H
#define SVM_GUEST_INSN_H

#include "svm/emul/decode.h"

struct vcpu;

/* 0 on success; otherwise the VM has been stopped with the reason. */
int guest_insn_fetch(struct vcpu *v, struct insn *insn);
/* The same without stopping the VM: -1 when the bytes cannot be read or decoded. */
int guest_insn_peek(struct vcpu *v, struct insn *insn);

#endif
