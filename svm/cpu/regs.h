/* The guest general-purpose registers saved by the world switch (svm/world_switch.S).
 * Indexed by the x86 register number used in ModRM/SIB/REX encodings, so that the instruction
 * decoder and emulator can address them directly. RAX and RSP live in the VMCB save area while the
 * guest runs; the exit path copies them here before a handler runs and back before VMRUN. */
#ifndef SVM_REGS_H
#define SVM_REGS_H

#include "kernel/types.h"

enum gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT
};

struct guest_regs {
	uint64_t gpr[GPR_COUNT]; /* 0x00..0x78, in enum gpr order */
};

_Static_assert(sizeof(struct guest_regs) == 0x80, "guest_regs layout is used by world_switch.S");

#endif
