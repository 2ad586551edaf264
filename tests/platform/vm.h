/*
 * A minimal SVM guest for the platform probes: one VMCB whose guest shares
 * the probe's code, GDT, IDT and identity page tables, runs at CPL 0 in
 * long mode under an identity nested page table, and reports back with
 * VMMCALL.  AMD APM vol. 2, chapter 15 and appendix B.
 */
#ifndef TESTS_PLATFORM_VM_H
#define TESTS_PLATFORM_VM_H

#include "tests/platform/hw.h"

/* VMCB control area offsets (APM Table B-1) */
#define VMCB_INTERCEPT_MISC1   0x00c
#define VMCB_INTERCEPT_MISC2   0x010
#define VMCB_ASID              0x058
#define VMCB_INT_CTL           0x060
#define VMCB_INT_STATE         0x068
#define VMCB_EXIT_CODE         0x070
#define VMCB_EXITINFO1         0x078
#define VMCB_EXITINFO2         0x080
#define VMCB_NP_ENABLE         0x090
#define VMCB_AVIC_APIC_BAR     0x098
#define VMCB_N_CR3             0x0b0
#define VMCB_AVIC_BACKING_PAGE 0x0e0
#define VMCB_AVIC_LOGICAL_ID   0x0f0
#define VMCB_AVIC_PHYSICAL_ID  0x0f8
/* VMCB state save area offsets (APM Table B-2) */
#define VMCB_ES     0x400
#define VMCB_CS     0x410
#define VMCB_SS     0x420
#define VMCB_DS     0x430
#define VMCB_GDTR   0x460
#define VMCB_IDTR   0x480
#define VMCB_EFER   0x4d0
#define VMCB_CR4    0x548
#define VMCB_CR3    0x550
#define VMCB_CR0    0x558
#define VMCB_RFLAGS 0x570
#define VMCB_RIP    0x578
#define VMCB_RSP    0x5d8
#define VMCB_RAX    0x5f8
#define VMCB_G_PAT  0x668

#define INTERCEPT_MISC2_VMRUN   (1U << 0)
#define INTERCEPT_MISC2_VMMCALL (1U << 1)
#define INT_CTL_V_TPR_MASK      0xfU
#define INT_CTL_V_INTR_MASKING  (1U << 24)
#define INT_CTL_X2AVIC_ENABLE   (1U << 30)
#define INT_CTL_AVIC_ENABLE     (1U << 31)
#define RFLAGS_IF               (1ULL << 9)

#define VMEXIT_VMMCALL             0x081
#define VMEXIT_NPF                 0x400
#define VMEXIT_AVIC_INCOMPLETE_IPI 0x401
#define VMEXIT_AVIC_NOACCEL        0x402
/* QEMU 7.2 stores VMEXIT_INVALID as 0x00000000ffffffff: compare 32 bits */
#define VMEXIT_INVALID 0xffffffffU

#define VM_STACK_SIZE 8192

/* Guest RBX..R15; RAX and RSP live in the VMCB.  Layout used by vm_run. */
struct vm_gprs {
	uint64_t unused_rax; // 0x00
	uint64_t rbx;        // 0x08
	uint64_t rcx;        // 0x10
	uint64_t rdx;        // 0x18
	uint64_t rsi;        // 0x20
	uint64_t rdi;        // 0x28
	uint64_t rbp;        // 0x30
	uint64_t r8_r15[8];  // 0x38
};
_Static_assert(offsetof(struct vm_gprs, r8_r15) == 0x38, "vm_run layout");

struct vm {
	uint8_t vmcb[HW_PAGE_SIZE] HW_PAGE_ALIGNED;
	uint8_t hsave[HW_PAGE_SIZE] HW_PAGE_ALIGNED;
	uint8_t stack[VM_STACK_SIZE] HW_PAGE_ALIGNED;
	struct vm_gprs gprs;
};

/* Host side: enable SVM on this CPU (EFER.SVME, VM_HSAVE_PA). */
void vm_cpu_init(struct vm *vm);
/* Fill the VMCB for a guest that starts in @entry with interrupts masked. */
void vm_init(struct vm *vm, void (*entry)(void));
/* VMRUN until the next #VMEXIT; returns the exit code (low 32 bits). */
uint32_t vm_enter(struct vm *vm);
uint64_t vm_read(struct vm *vm, unsigned off);
void vm_write(struct vm *vm, unsigned off, uint64_t v);
/* Resume after VMMCALL (3 bytes): QEMU has no NRIP save. */
void vm_skip_vmmcall(struct vm *vm);

/* Guest side: hand control to the host, which resumes after the VMMCALL. */
static inline void vm_guest_report(void)
{
	__asm__ volatile("vmmcall" : : : "memory");
}

#endif
