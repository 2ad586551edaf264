/* Floor 6, svm/emul/ (docs/architecture.md "Floors").
 * Owns: the instruction decoder, the MMIO emulator, the guest page walk.
 * May use: svm/ (the VMCB's guest state), svm/cpu/ and below. */
/* Emulation of one decoded instruction whose memory operand is MMIO.
 *
 * On a nested page fault for an address that no RAM backs, the exit handler fetches the faulting
 * instruction (svm/emul/guest_walk.h), decodes it (svm/emul/decode.h) and calls emulate_mmio(),
 * which performs the device access through the caller's callbacks and updates the guest registers and
 * arithmetic flags as the instruction would (SDM vol. 2 for each instruction).
 *
 * Contract:
 *  - The caller advances RIP by insn->len when the result is EMULATE_DONE, and leaves RIP alone
 *    for EMULATE_REPEAT and for errors.
 *  - REP MOVS/STOS: one iteration per call. rSI/rDI move by the element size in the direction of
 *    RFLAGS.DF and rCX (CX/ECX/RCX by address size) is decremented. EMULATE_REPEAT means the count
 *    is not yet zero: the caller re-enters the guest without advancing RIP, so the guest executes
 *    the instruction again (faulting again on the next MMIO element). A REP with rCX = 0 on entry
 *    accesses nothing and returns EMULATE_DONE.
 *  - MOVS has two memory operands; the emulator asks ops->translate for the guest-physical
 *    address of both DS:rSI (source, segment overridable) and ES:rDI (destination) and then calls
 *    mmio_read on the source and mmio_write on the destination, so for MOVS those two callbacks
 *    must accept any gpa, RAM included. Every other form accesses exactly 'gpa'.
 *  - Accesses are assumed not to cross a page boundary (the #NPF gpa names one page).
 *  - Only the forms of enum insn_op with a memory operand are emulated; anything else returns
 *    -EMULATE_EUNSUPPORTED and changes nothing. On -EMULATE_EACCESS (a callback failed) a read
 *    callback failure changes nothing; a write failure may leave a read of the same instruction
 *    already done (XCHG, ALU read-modify-write, MOVS), as on hardware with a faulting store. */
#ifndef SVM_EMULATE_H
#define SVM_EMULATE_H

#include "kernel/types.h"
#include "svm/emul/decode.h"
#include "svm/cpu/regs.h"

/* emulate_mmio() results. */
#define EMULATE_DONE         0 /* finished: advance RIP by insn->len */
#define EMULATE_REPEAT       1 /* one REP iteration done, count not zero: keep RIP */
#define EMULATE_EUNSUPPORTED 2 /* negated: not an emulatable memory form */
#define EMULATE_EACCESS      3 /* negated: an ops callback returned false */

/* RFLAGS bits written or read by the emulator (APM vol. 2, 3.1.6). */
#define RFLAGS_CF BIT(0)
#define RFLAGS_PF BIT(2)
#define RFLAGS_AF BIT(4)
#define RFLAGS_ZF BIT(6)
#define RFLAGS_SF BIT(7)
#define RFLAGS_DF BIT(10)
#define RFLAGS_OF BIT(11)

struct emulate_ops {
	/* Device access of size 1, 2, 4 or 8 bytes at gpa; false if it cannot be done. */
	bool (*mmio_read)(void *ctx, gpa_t gpa, unsigned size, uint64_t *val);
	bool (*mmio_write)(void *ctx, gpa_t gpa, unsigned size, uint64_t val);
	/* MOVS only (may be NULL otherwise): the guest-physical address of seg:offset for an
	 * access (WALK_READ or WALK_WRITE of svm/emul/guest_walk.h), applying segmentation and guest
	 * paging. On false the callee has dealt with the fault (e.g. queued #PF or #GP) and the
	 * instruction is not completed. */
	bool (*translate)(void *ctx, enum insn_seg seg, uint64_t offset, unsigned access,
	                  gpa_t *gpa);
};

/* gpa is the faulting guest-physical address (from the #NPF exit). Updates regs and *rflags
 * (for ALU/TEST/CMP: CF PF AF ZF SF OF as the SDM says; AF is cleared by the logical
 * operations, where the SDM leaves it undefined). Returns EMULATE_DONE or EMULATE_REPEAT, or
 * -EMULATE_EUNSUPPORTED / -EMULATE_EACCESS. RIP advance is the caller's job (insn->len). */
int emulate_mmio(const struct insn *insn, struct guest_regs *regs, uint64_t *rflags, gpa_t gpa,
                 const struct emulate_ops *ops, void *ctx);

#endif
