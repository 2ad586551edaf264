/* The guest registers VMRUN does not switch (AMD APM vol. 2 §15.5.1: VMRUN and #VMEXIT load and
 * save only the state in the VMCB): x87, SSE, AVX and the other XSAVE-managed state, XCR0, and
 * DR0-DR3. The hypervisor itself is built -mgeneral-regs-only and never touches them, so a vCPU's
 * values stay live in the CPU across its exits; they are switched lazily, in vcpu_load(), only
 * when the CPU last held another vCPU's (docs/architecture.md "Guest register state").
 *
 * Each vCPU owns one save area in the standard (non-compacted) XSAVE format, sized by CPUID.0xD
 * for the components it may enable (svm/cpu/xcr0.h, xsave_layout), or an FXSAVE area on a CPU
 * without XSAVE. */
#ifndef SVM_CPU_LAZY_REGS_H
#define SVM_CPU_LAZY_REGS_H

#include "kernel/types.h"

struct lazy_regs {
	void *area;        /* XSAVE/FXSAVE image, page aligned; valid while not live */
	uint64_t xcr0;     /* the guest's XCR0 while not live (reset value XCR0_RESET) */
	uint64_t dr[4];    /* DR0-DR3 while not live */
	int32_t live_cpu;  /* index of the host CPU whose registers hold this state, or -1 */
	bool legacy;       /* the area holds an FXSAVE image (XCR0 was x87/SSE only) */
	uint32_t switches; /* times vcpu_load() had to restore it (also counted in the stats) */
};

/* Host CPU setup, on every CPU before it runs a guest: CR0.EM/TS clear, CR4.OSFXSR and
 * OSXMMEXCPT, and CR4.OSXSAVE with XCR0 = every switched component where CPUID.1:ECX.XSAVE is
 * set. The first call (boot CPU) sizes the save areas, measures one switch and prints both. */
void lazy_regs_cpu_init(void);

/* A vCPU's state at creation: x87 and SSE in their initial state (FCW 037Fh, MXCSR 1F80h),
 * XCR0 = 1, DR0-DR3 = 0. False when out of memory. */
bool lazy_regs_init(struct lazy_regs *l);
/* Frees the area; the vCPU must not be live anywhere (lazy_regs_drop()). */
void lazy_regs_free(struct lazy_regs *l);

/* Makes l's state the live one on this CPU, saving the previous owner's first. Returns false
 * (nothing changed) if l is live on another CPU: vCPUs never leave their home CPU, so that is a
 * hypervisor bug the caller turns into a VM stop. */
bool lazy_regs_load(struct lazy_regs *l);
/* The vCPU is retired on this CPU: its registers are no longer anyone's. */
void lazy_regs_drop(struct lazy_regs *l);

/* Brings l->xcr0 up to date from the CPU while l is live there (a platform that does not
 * implement the XSETBV intercept lets the guest write XCR0 directly). */
void lazy_regs_sync_xcr0(struct lazy_regs *l);
/* XSETBV already checked with xcr0_set_allowed(): the live vCPU's new XCR0. */
void lazy_regs_set_xcr0(struct lazy_regs *l, uint64_t value);

#endif
