#include "guests/lib/doorbell.h"
#include "guests/lib/x86.h"

#define CPUID_1_ECX_HYPERVISOR BIT(31)

static int present = -1; /* unknown until the first call */

bool doorbell_present(void)
{
	if (present < 0) {
		bool hv = cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR;
		struct cpuid_regs r = hv ? cpuid(DOORBELL_CPUID_BASE, 0) : (struct cpuid_regs){0};
		present = hv && r.ebx == DOORBELL_CPUID_SIG_EBX &&
		          r.ecx == DOORBELL_CPUID_SIG_ECX && r.edx == DOORBELL_CPUID_SIG_EDX;
	}
	return present;
}

long doorbell_hypercall(enum hypercall nr, uint32_t a, uint32_t b, uint32_t c)
{
	long ret;
	__asm__ volatile("vmmcall" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}
