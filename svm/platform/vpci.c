/* The guest's virtual PCI bus and the virtualised configuration space of assigned devices
 * (svm/platform/vpci.h). Configuration accesses are serialised per VM by pci.lock. */
#include "svm/platform/vpci.h"
#include "kernel/pci.h"
#include "kernel/string.h"
#include "svm/emul/emulate.h"
#include "svm/platform/platform.h"
#include "svm/platform/vpci_msi.h"

#define CONFIG_ENABLE         BIT(31)
#define CONFIG_REGISTER(a)    ((a)&0xfc)
#define CONFIG_DEVICE(a)      (((a) >> 11) & 0x1f)
#define CONFIG_FUNCTION(a)    (((a) >> 8) & 7)
#define CONFIG_BUS(a)         (((a) >> 16) & 0xff)
#define REG_HEADER            0x0c
#define REG_BAR_LAST          0x24
#define REG_CARDBUS_CIS       0x28
#define REG_SUBSYSTEM         0x2c
#define REG_ROM               0x30
#define REG_INTERRUPT         0x3c
#define HEADER_MULTI_FUNCTION (0x80u << 16)
#define COMMAND_GUEST_BITS    (BIT(1) | BIT(2) | BIT(6) | BIT(8) | BIT(10)) /* mem, master, ... */
#define COMMAND_FORWARDED     (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
#define COMMAND_INTX_OFF      BIT(10)

static struct passthrough_device *config_target(struct passthrough *p, uint32_t address)
{
	if (!(address & CONFIG_ENABLE) || CONFIG_BUS(address) || CONFIG_FUNCTION(address) ||
	    CONFIG_DEVICE(address) >= p->count)
		return NULL;
	return &p->dev[CONFIG_DEVICE(address)];
}

static uint32_t bar_read(const struct passthrough_device *d, unsigned i)
{
	const struct passthrough_bar *b = &d->bar[i];
	if (b->upper) {
		const struct passthrough_bar *lo = &d->bar[i - 1];
		return (uint32_t)(lo->gpa >> 32);
	}
	return b->size ? (uint32_t)b->gpa | b->flags : 0;
}

static void bar_write(struct passthrough_device *d, unsigned i, uint32_t value)
{
	struct passthrough_bar *b = &d->bar[i];
	if (b->upper) {
		b = &d->bar[i - 1];
		uint64_t high = ((uint64_t)value << 32) & ~(b->size - 1);
		b->gpa = (b->gpa & 0xffffffffull) | high;
	} else if (b->size) {
		uint64_t low = value & ~(uint64_t)0xf & ~(b->size - 1) & 0xffffffffull;
		b->gpa = (b->gpa & ~0xffffffffull) | low;
	}
}

static uint32_t config_read(struct passthrough_device *d, unsigned reg)
{
	switch (reg) {
	case PCI_COMMAND:
		return (pci_read32(d->bdf, PCI_COMMAND) & 0xffff0000u) | d->command;
	case REG_HEADER:
		return pci_read32(d->bdf, REG_HEADER) & ~HEADER_MULTI_FUNCTION;
	case PCI_BAR0 ... REG_BAR_LAST:
		return bar_read(d, (reg - PCI_BAR0) / 4);
	case REG_CARDBUS_CIS:
	case REG_ROM: /* no expansion ROM is shown */
		return 0;
	case REG_INTERRUPT: /* no INTx pin: MSI only */
		return d->interrupt_line;
	}
	if (vpci_msi_holds(d, reg))
		return vpci_msi_read(d, reg);
	return pci_read32(d->bdf, (uint16_t)reg);
}

static void config_write(struct passthrough *p, struct passthrough_device *d, unsigned reg,
			 uint32_t value)
{
	switch (reg) {
	case PCI_COMMAND:
		d->command = (uint16_t)(value & COMMAND_GUEST_BITS);
		pci_write32(d->bdf, PCI_COMMAND, (d->command & COMMAND_FORWARDED) | COMMAND_INTX_OFF);
		return;
	case PCI_BAR0 ... REG_BAR_LAST:
		bar_write(d, (reg - PCI_BAR0) / 4, value);
		return;
	case REG_INTERRUPT:
		d->interrupt_line = (uint8_t)value;
		return;
	}
	if (vpci_msi_holds(d, reg))
		vpci_msi_write(p, d, reg, value);
	/* everything else (IDs, class, other capabilities) is read-only to the guest */
}

void vpci_io(struct passthrough *p, uint16_t port, unsigned size, bool in, uint32_t *value)
{
	spin_lock(&p->lock);
	p->config_accesses++;
	if (port == VPCI_PORT_ADDRESS && size == 4) {
		if (in)
			*value = p->config_address;
		else
			p->config_address = *value & 0x80fffffcu;
		spin_unlock(&p->lock);
		return;
	}
	struct passthrough_device *d = config_target(p, p->config_address);
	unsigned shift = (port & 3) * 8;
	/* the bytes of the dword this access covers (an access running past 0CFFh is cut there) */
	uint32_t mask = (uint32_t)(((1ull << (size * 8)) - 1) << shift);
	if (port < VPCI_PORT_DATA || !d) {
		if (in)
			*value = UINT32_MAX; /* no device: all-ones, as an unanswered read */
		spin_unlock(&p->lock);
		return;
	}
	unsigned reg = CONFIG_REGISTER(p->config_address);
	uint32_t old = config_read(d, reg);
	if (in)
		*value = (old & mask) >> shift;
	else
		config_write(p, d, reg, (old & ~mask) | ((*value << shift) & mask));
	spin_unlock(&p->lock);
}

/* The BAR of an assigned device that holds gpa, with the device's host address for it. */
static bool bar_lookup(const struct passthrough *p, uint64_t gpa, uint64_t *hpa, bool *decoding)
{
	for (unsigned j = 0; j < p->count; j++) {
		const struct passthrough_device *d = &p->dev[j];
		for (unsigned i = 0; i < PASSTHROUGH_BARS; i++) {
			const struct passthrough_bar *b = &d->bar[i];
			if (b->size && !b->upper && gpa >= b->gpa && gpa - b->gpa < b->size) {
				*hpa = b->hpa + (gpa - b->gpa);
				*decoding = d->command & PCI_COMMAND_MEMORY;
				return true;
			}
		}
	}
	return false;
}

/* One access of 'size' bytes to the device's MMIO at 'hpa'. */
static void device_access(uint64_t hpa, unsigned size, uint64_t *val, bool write)
{
	volatile void *r = (volatile void *)(uintptr_t)hpa;
	switch (size) {
	case 1:
		if (write)
			*(volatile uint8_t *)r = (uint8_t)*val;
		else
			*val = *(volatile uint8_t *)r;
		break;
	case 2:
		if (write)
			*(volatile uint16_t *)r = (uint16_t)*val;
		else
			*val = *(volatile uint16_t *)r;
		break;
	case 4:
		if (write)
			*(volatile uint32_t *)r = (uint32_t)*val;
		else
			*val = *(volatile uint32_t *)r;
		break;
	default:
		if (write)
			*(volatile uint64_t *)r = *val;
		else
			*val = *(volatile uint64_t *)r;
	}
}

static bool bar_read_op(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
	uint64_t hpa;
	bool decoding;
	*val = ~0ull; /* memory decoding off: nobody answers */
	if (bar_lookup(ctx, gpa, &hpa, &decoding) && decoding)
		device_access(hpa, size, val, false);
	return true;
}

static bool bar_write_op(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
	uint64_t hpa;
	bool decoding;
	if (bar_lookup(ctx, gpa, &hpa, &decoding) && decoding)
		device_access(hpa, size, &val, true);
	return true;
}

bool vpci_mmio_device(struct passthrough *p, uint64_t gpa, struct mmio_device *d)
{
	uint64_t hpa;
	bool decoding;
	if (!bar_lookup(p, gpa, &hpa, &decoding))
		return false;
	__atomic_fetch_add(&p->mmio_accesses, 1, __ATOMIC_RELAXED);
	static const struct emulate_ops ops = {bar_read_op, bar_write_op, NULL};
	*d = (struct mmio_device){&ops, p, "an assigned device's BAR"};
	return true;
}
