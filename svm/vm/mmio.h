/* A vCPU's access to guest-physical memory outside RAM (the #NPF exit): its local APIC's page, or
 * a device of the virtual platform, emulated instruction by instruction. */
#ifndef SVM_VM_MMIO_H
#define SVM_VM_MMIO_H

#include "kernel/types.h"

struct vcpu;

/* The access at gpa: the xAPIC page (svm/vm/apic_emulate.c), a disabled or relocated APIC's page
 * (nothing there: reads all ones), the IOAPIC or an assigned device's BAR
 * (platform_mmio_device()). The instruction is fetched, emulated and RIP advanced; one that
 * cannot be emulated stops the VM naming the device. False if nothing is at gpa (the caller stops
 * the VM). */
bool vcpu_mmio(struct vcpu *v, uint64_t gpa);

#endif
