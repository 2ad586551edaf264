#include "guests/lib/kvm.h"
#include "guests/lib/x86.h"

#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define KVM_CPUID_BASE         0x40000000u
#define KVM_SIG_EBX            0x4b4d564bu /* "KVMK" */
#define KVM_SIG_ECX            0x564b4d56u /* "VMKV" */
#define KVM_SIG_EDX            0x0000004du /* "M\0\0\0" */

static int present = -1; /* unknown until the first call */

bool kvm_present(void)
{
	if (present < 0) {
		bool hv = cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR;
		struct cpuid_regs r = hv ? cpuid(KVM_CPUID_BASE, 0) : (struct cpuid_regs){0};
		present = hv && r.ebx == KVM_SIG_EBX && r.ecx == KVM_SIG_ECX && r.edx == KVM_SIG_EDX;
	}
	return present;
}

void kvm_mark(const char *label, uint32_t value)
{
	if (!kvm_present())
		return;
	uint32_t words[3] = {0, 0, 0};
	for (unsigned i = 0; i < sizeof(words) && label[i]; i++)
		words[i / 4] |= (uint32_t)(uint8_t)label[i] << (i % 4 * 8);
	uint32_t ret;
	__asm__ volatile("vmmcall"
	                 : "=a"(ret)
	                 : "a"(KVM_MARK_NR), "b"(words[0]), "c"(words[1]), "d"(words[2]), "S"(value)
	                 : "memory");
	(void)ret;
}
