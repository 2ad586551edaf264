/* INS and OUTS, with and without REP, on an intercepted port (APM vol. 3 INS/OUTS, REP; APM vol. 2,
 * 15.10.2 for the IOIO exit information). Each element goes through the same port handlers as
 * IN/OUT (svm/platform/platform.h) and guest memory through the guest's paging. */
#ifndef SVM_STRING_IO_H
#define SVM_STRING_IO_H

#include "kernel/types.h"

struct vcpu;

/* Elements done per exit at most; a longer REP re-executes the instruction (RIP unchanged, the
 * count decremented), so a long transfer does not hold the exit path. */
#define STRING_IO_BATCH 64

/* Handles the IOIO exit of a string instruction (info = EXITINFO1). Moves RIP past it when done;
 * a fault of the memory operand is given to the guest (#PF), memory that is not guest RAM stops
 * the VM with the reason. */
void string_io(struct vcpu *v, uint64_t info);

#endif
