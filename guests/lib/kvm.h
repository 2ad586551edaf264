/* Marking points of a guest's run in Linux KVM's trace (docs/kvm.md, "Exits between marks"), so
 * that `make compare` can count KVM's exits of one vCPU between two points of the guest, as the
 * guest counts doorbell's with HC_EXIT_COUNT. A mark is a VMMCALL with a hypercall number KVM does
 * not implement: KVM traces it (kvm:kvm_hypercall, with the registers) and returns -KVM_ENOSYS
 * (-1000) in EAX, nothing else. VMMCALL is only ever executed after kvm_present() said yes. */
#ifndef GUESTS_LIB_KVM_H
#define GUESTS_LIB_KVM_H

#include "kernel/types.h"

/* The hypercall number of a mark: not one of KVM's (KVM_HC_*), so KVM only traces it. */
#define KVM_MARK_NR 0x64620001u

/* CPUID.1:ECX[31] and the signature "KVMKVMKVM\0\0\0" of leaf 0x40000000 (KVM's CPUID leaves).
 * Cached after the first call. */
bool kvm_present(void);

/* A mark: KVM_MARK_NR with the first 12 bytes of label (NUL-padded) in EBX, ECX, EDX and value in
 * ESI, which the L1 reads from the trace (tools/kvm/init.sh). Nothing when KVM is not present. */
void kvm_mark(const char *label, uint32_t value);

#endif
