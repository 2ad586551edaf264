/* XCR0, the XSAVE feature-enable register (SDM vol. 1 §13.3; APM vol. 2 §11.5.2): which state
 * components a guest may enable, and whether an XSETBV the guest executed is one the CPU would
 * take. Pure functions on values, no hardware access (host unit test: tests/unit/test_xcr0.c). */
#ifndef SVM_CPU_XCR0_H
#define SVM_CPU_XCR0_H

#include "kernel/types.h"

#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_YMM BIT(2)       /* AVX: upper halves of YMM0-15 */
#define XCR0_OPMASK BIT(5)    /* AVX-512: k0-k7 */
#define XCR0_ZMM_HI256 BIT(6) /* AVX-512: upper halves of ZMM0-15 */
#define XCR0_HI16_ZMM BIT(7)  /* AVX-512: ZMM16-31 */
#define XCR0_PKRU BIT(9)
#define XCR0_AVX512 (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
/* The user state components doorbell switches per vCPU; a component outside this set is never
 * offered to a guest even when the CPU has it (MPX, AMX, ...: doorbell does not size or test
 * them). */
#define XCR0_SWITCHED (XCR0_X87 | XCR0_SSE | XCR0_YMM | XCR0_AVX512 | XCR0_PKRU)
/* XCR0 at power-on and reset: x87 only (SDM vol. 1 §13.3) */
#define XCR0_RESET XCR0_X87

/* What a guest may enable: the components the CPU supports (CPUID.0xD.0 EDX:EAX) that doorbell
 * switches, and only whole feature groups (no AVX without SSE, AVX-512 only complete and with AVX). */
uint64_t xcr0_guest_supported(uint64_t cpu_supported);

/* The standard-format XSAVE layout of the components guests may enable, measured once at boot
 * from CPUID.0xD by svm/cpu/lazy_regs.c and read by the guest's CPUID (svm/cpu/cpuid.c). */
#define XCR0_LAYOUT_COMPONENTS 10 /* XCR0_SWITCHED lies in bits 0-9 */
struct xsave_layout {
	bool present;    /* the CPU has XSAVE and doorbell uses it */
	uint64_t guest;  /* xcr0_guest_supported() of the CPU's components */
	uint32_t end[XCR0_LAYOUT_COMPONENTS]; /* offset + size of component i >= 2 (CPUID.0xD.i) */
};
extern struct xsave_layout xsave_layout;

/* Bytes of an XSAVE area holding these components: 576 (legacy region and header) or the end of
 * the last one (CPUID.0xD.0 EBX for the XCR0 in force, ECX for all). */
uint32_t xcr0_xsave_size(const struct xsave_layout *l, uint64_t components);

/* XSETBV's checks in the order of SDM vol. 2 "XSETBV" / APM vol. 3 "XSETBV", after the #UD for
 * CR4.OSXSAVE=0: true when XCR[index] = value is taken, false for #GP(0): CPL above 0, ECX other
 * than 0, x87 clear, AVX without SSE, a bit outside supported, AVX-512 partly enabled or without
 * AVX. */
bool xcr0_set_allowed(uint64_t supported, unsigned cpl, uint32_t index, uint64_t value);

#endif
