#include "kernel/qemu.h"
#include "kernel/x86.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000

static bool qemu_found;

#define CPUID_1_ECX_HYPERVISOR BIT(31)

bool qemu_detect(void)
{
	/* Port 510h is only QEMU's fw_cfg selector on QEMU; on a real machine it may belong to a
	 * chipset or BMC device. It is written only under a hypervisor (CPUID Fn0000_0001
	 * ECX[31], which QEMU sets for TCG and KVM alike); on bare metal the bit is clear. */
	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR)) {
		qemu_found = false;
		return false;
	}
	outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
	char sig[4];
	for (unsigned i = 0; i < 4; i++)
		sig[i] = (char)inb(FW_CFG_PORT_DATA);
	qemu_found = sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U';
	return qemu_found;
}

bool qemu_present(void)
{
	return qemu_found;
}

void qemu_exit(uint32_t value)
{
	if (qemu_found)
		outl(QEMU_DEBUG_EXIT_PORT, value);
}
