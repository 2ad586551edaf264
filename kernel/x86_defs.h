/* Architectural numbers, named as in the AMD APM vol. 2: control-register, EFER and RFLAGS bits,
 * MSR indexes, exception vectors. Shared by kernel/x86.h and the fake arch of the host unit tests. */
#ifndef KERNEL_X86_DEFS_H
#define KERNEL_X86_DEFS_H

#include "kernel/types.h"

#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)

#define CR4_VME BIT(0)
#define CR4_PVI BIT(1)
#define CR4_TSD BIT(2)
#define CR4_DE BIT(3)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_MCE BIT(6)
#define CR4_PGE BIT(7)
#define CR4_PCE BIT(8)
#define CR4_OSFXSR BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_UMIP BIT(11)
#define CR4_LA57 BIT(12)
#define CR4_FSGSBASE BIT(16)
#define CR4_PCIDE BIT(17)
#define CR4_OSXSAVE BIT(18)
#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define CR4_PKE BIT(22)
#define CR4_CET BIT(23)

#define MSR_EFER 0xc0000080u
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define EFER_SVME BIT(12)
#define EFER_LMSLE BIT(13)
#define EFER_FFXSR BIT(14)
#define EFER_TCE BIT(15)

#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_APIC_BASE 0x1Bu
#define MSR_PAT 0x277u
#define MSR_TSC 0x10u

#define RFLAGS_TF BIT(8)
#define RFLAGS_RF BIT(16)
#define RFLAGS_IF BIT(9)
#define DR6_BS BIT(14)

/* Exception vectors (APM vol. 2 §8.2, Table 8-1). */
#define VECTOR_DE 0
#define VECTOR_DB 1
#define VECTOR_NMI 2
#define VECTOR_BP 3
#define VECTOR_UD 6
#define VECTOR_NM 7
#define VECTOR_DF 8
#define VECTOR_TS 10
#define VECTOR_NP 11
#define VECTOR_SS 12
#define VECTOR_GP 13
#define VECTOR_PF 14
#define VECTOR_MF 16
#define VECTOR_AC 17
#define VECTOR_MC 18
#define VECTOR_XF 19

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

#endif
