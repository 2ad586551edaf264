/* The effective address (offset within its segment) of a decoded instruction's memory operand,
 * from the guest registers (SDM vol. 1, 3.7.5; APM vol. 1, 2.5). Used where an exit names the
 * page but not the byte: AVIC's unaccelerated-access exit gives the APIC register, not the
 * address (avic/avic.c). */
#ifndef SVM_EFFECTIVE_ADDR_H
#define SVM_EFFECTIVE_ADDR_H

#include "kernel/types.h"
#include "svm/cpu/regs.h"
#include "svm/emul/decode.h"

/* The operand the instruction writes: for MOVS ES:rDI, otherwise its one memory operand (string
 * forms: rDI for STOS). *seg receives its enum insn_seg. The result is truncated to the address
 * size; next_rip is RIP after the instruction (for RIP-relative operands). Only for instructions
 * with a memory operand (insn->op != INSN_OP_OTHER). */
uint64_t insn_write_address(const struct insn *insn, const struct guest_regs *regs,
                            uint64_t next_rip, enum insn_seg *seg);

/* Whether the instruction's INSN_OP_* form writes its memory operand. */
bool insn_writes_memory(const struct insn *insn);

#endif
