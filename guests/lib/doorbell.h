/* Detecting doorbell and calling it (the ABI in svm/cpu/hypercall.h). VMMCALL is only ever executed
 * after doorbell_present() said yes: on bare QEMU, KVM or hardware without SVM it raises #UD. */
#ifndef GUESTS_LIB_DOORBELL_H
#define GUESTS_LIB_DOORBELL_H

#include "kernel/types.h"
#include "svm/cpu/hypercall.h"

/* CPUID.1:ECX[31] (the hypervisor-present bit, reserved for hypervisor use: APM vol. 3, CPUID
 * Fn0000_0001_ECX) and then the vendor signature of leaf 0x40000000. Cached after the first call.
 */
bool doorbell_present(void);

/* VMMCALL with RAX = nr and RBX, RCX, RDX = a, b, c; returns RAX. Only under doorbell. */
long doorbell_hypercall(enum hypercall nr, uint32_t a, uint32_t b, uint32_t c);

#endif
