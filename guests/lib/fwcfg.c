#include "guests/lib/fwcfg.h"
#include "guests/lib/x86.h"

#define FW_CFG_PORT_SEL  0x510
#define FW_CFG_PORT_DATA 0x511

void fwcfg_read(uint16_t key, void *buf, size_t n)
{
	uint8_t *p = buf;
	outw(FW_CFG_PORT_SEL, key); /* selecting an item rewinds its data offset to 0 */
	for (size_t i = 0; i < n; i++)
		p[i] = inb(FW_CFG_PORT_DATA);
}

bool fwcfg_present(void)
{
	char sig[4];
	fwcfg_read(FW_CFG_SIGNATURE, sig, sizeof(sig));
	return sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U';
}

unsigned fwcfg_cpu_count(void)
{
	uint8_t v[2];
	if (!fwcfg_present())
		return 1;
	fwcfg_read(FW_CFG_NB_CPUS, v, sizeof(v));
	unsigned n = v[0] | (unsigned)v[1] << 8;
	return n ? n : 1;
}
