#include "kernel/qemu.h"
#include "kernel/x86.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000

static bool qemu_found;

bool qemu_detect(void)
{
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
