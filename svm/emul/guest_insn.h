/* Fetching and decoding the guest instruction at RIP, for RIP advance without NRIP save and for
 * MMIO emulation without decode assists (QEMU TCG has neither). vCPU-agnostic: the guest state is
 * the VMCB's, its memory is read through rd; svm/vm/vcpu_insn.c does it for a vCPU. */
#ifndef SVM_GUEST_INSN_H
#define SVM_GUEST_INSN_H

#include "svm/emul/decode.h"
#include "svm/emul/guest_walk.h"

struct vmcb;

/* The instruction at the VMCB's CS:RIP, from the bytes the CPU saved on #NPF (decode assists,
 * when decode_assists) or through a guest page walk of CR0/CR3/CR4/EFER reading guest-physical
 * memory with rd(ctx). 0 on success; -1 with why saying what failed (a VM's stop reason). */
int guest_insn_read(const struct vmcb *vmcb, bool decode_assists, guest_read_fn rd, void *ctx,
		    struct insn *insn, char *why, size_t why_size);

#endif
