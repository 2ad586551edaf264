// sources: svm/platform/vpci.c svm/platform/vpci_msi.c
/* The guest's virtual PCI bus (configuration mechanism #1, PCI 3.0 §3.2.2.3.2) and the
 * virtualised configuration space of an assigned device, against a fake edu-like function:
 * IDs 1234:11e8, a multi-function header (cleared for the guest), a 1 MiB 32-bit memory BAR0 at
 * host 0xfea00000, a 64-bit MSI capability at 40h (PCI 3.0 §6.8.1). The VM floor's IRTE binding
 * (struct vpci_msi_ops, svm/vm/passthrough.c) is recorded, not run. */
#include "kernel/pci.h"
#include "svm/emul/emulate.h"
#include "svm/platform/platform.h"
#include "svm/platform/vpci.h"
#include "tests/unit/check.h"
#include <string.h>

#define HOST_BDF 0x0018 /* 00:03.0 */
#define HOST_BAR 0xfea00000u
#define BAR_SIZE (1u << 20)
#define MSI_CAP  0x40

static uint32_t config[64]; /* the fake device's first 256 bytes */
static unsigned foreign_accesses; /* to any other host function */

uint32_t pci_read32(uint16_t bdf, uint16_t offset)
{
	if (bdf != HOST_BDF) {
		foreign_accesses++;
		return UINT32_MAX;
	}
	return config[(offset & 0xff) / 4];
}

void pci_write32(uint16_t bdf, uint16_t offset, uint32_t value)
{
	if (bdf != HOST_BDF) {
		foreign_accesses++;
		return;
	}
	if (offset == PCI_BAR0) /* 1 MiB: bits 19:4 read as 0 */
		value &= ~(BAR_SIZE - 1);
	if (offset == PCI_COMMAND) /* status bits are write-1-to-clear */
		value = (value & 0xffff) | (config[1] & ~value & 0xffff0000u);
	config[(offset & 0xff) / 4] = value;
}

/* The VM floor's side of the MSI (struct vpci_msi_ops), recorded: the VM has vCPUs with APIC
 * IDs 0 and 1. */
static int owner; /* stands for the VM */
static struct {
	unsigned binds, unbinds;
	void *owner;
	uint32_t dest;
	uint8_t vector;
	unsigned index;
} ir;

static bool fake_bind(void *o, struct passthrough_device *d, unsigned index, uint32_t dest,
		      uint8_t vector)
{
	(void)d;
	if (dest > 1)
		return false; /* no vCPU has that APIC ID */
	ir.binds++;
	ir.owner = o;
	ir.index = index;
	ir.dest = dest;
	ir.vector = vector;
	return true;
}

static void fake_unbind(struct passthrough_device *d, unsigned index)
{
	(void)d;
	(void)index;
	ir.unbinds++;
}

static void fake_message(unsigned index, uint64_t *address, uint32_t *data)
{
	*address = 0xfee00000u;
	*data = index;
}

static const struct vpci_msi_ops fake_msi_ops = {fake_bind, fake_unbind, fake_message};

static struct mmio_device bar; /* what vpci_mmio_device() found */

static struct passthrough pci;
static uint64_t device_registers[4]; /* what the BAR forwards to */

static uint32_t in(unsigned port, unsigned size)
{
	uint32_t v = 0;
	vpci_io(&pci, (uint16_t)port, size, true, &v);
	return v;
}

static void out(unsigned port, unsigned size, uint32_t v)
{
	vpci_io(&pci, (uint16_t)port, size, false, &v);
}

static uint32_t cfg_read(unsigned dev, unsigned reg)
{
	out(VPCI_PORT_ADDRESS, 4, 0x80000000u | dev << 11 | reg);
	return in(VPCI_PORT_DATA, 4);
}

static void cfg_write(unsigned dev, unsigned reg, uint32_t v)
{
	out(VPCI_PORT_ADDRESS, 4, 0x80000000u | dev << 11 | reg);
	out(VPCI_PORT_DATA, 4, v);
}

static void setup(void)
{
	memset(config, 0, sizeof(config));
	config[0] = 0x11e81234;
	config[1] = 0x00100000;      /* status: capability list; command 0 */
	config[2] = 0x00ff0010;      /* class 00ffh, revision 10h */
	config[3] = 0x00800000;      /* header type 0 with the multi-function bit */
	config[4] = HOST_BAR;        /* BAR0, 32-bit memory */
	config[13] = MSI_CAP;        /* capability pointer */
	config[MSI_CAP / 4] = 0x00800005; /* MSI, last, 64-bit capable, disabled */
	memset(&pci, 0, sizeof(pci));
	pci.msi_ops = &fake_msi_ops;
	pci.owner = &owner;
	pci.count = 1;
	struct passthrough_device *d = &pci.dev[0];
	d->bdf = HOST_BDF;
	d->msi_cap = MSI_CAP;
	d->msi.control = 0x80;
	d->intremap = (struct intremap_table *)&ir; /* never dereferenced by the code under test */
	d->bar[0] = (struct passthrough_bar){.hpa = (uint64_t)(uintptr_t)device_registers,
					     .size = BAR_SIZE, .gpa = 0xe0000000, .flags = 0};
	memset(&ir, 0, sizeof(ir));
	foreign_accesses = 0;
}

static void test_bus(void)
{
	setup();
	out(VPCI_PORT_ADDRESS, 4, 0x80000003u);
	CHECK_EQ(in(VPCI_PORT_ADDRESS, 4), 0x80000000u); /* register bits 1:0 are 0 */
	CHECK_EQ(cfg_read(0, 0), 0x11e81234u);
	/* only 00:00.0: other devices, functions, buses, and the enable bit clear read all-ones */
	CHECK_EQ(cfg_read(1, 0), UINT32_MAX);
	CHECK_EQ(cfg_read(31, 0), UINT32_MAX);
	out(VPCI_PORT_ADDRESS, 4, 0x80000100u); /* function 1 */
	CHECK_EQ(in(VPCI_PORT_DATA, 4), UINT32_MAX);
	out(VPCI_PORT_ADDRESS, 4, 0x80010000u); /* bus 1 */
	CHECK_EQ(in(VPCI_PORT_DATA, 4), UINT32_MAX);
	out(VPCI_PORT_ADDRESS, 4, 0x00000000u); /* enable clear */
	CHECK_EQ(in(VPCI_PORT_DATA, 4), UINT32_MAX);
	out(VPCI_PORT_ADDRESS, 4, 0x80ff1800u); /* the host's own 00:03.0 number, on bus 255 */
	CHECK_EQ(in(VPCI_PORT_DATA, 4), UINT32_MAX);
	out(VPCI_PORT_DATA, 4, 0x12345678); /* dropped */
	CHECK_EQ(foreign_accesses, 0);    /* no host function but the assigned one is touched */
	/* byte and word accesses within the dword */
	out(VPCI_PORT_ADDRESS, 4, 0x80000000u);
	CHECK_EQ(in(VPCI_PORT_DATA + 2, 2), 0x11e8);
	CHECK_EQ(in(VPCI_PORT_DATA + 1, 1), 0x12);
	CHECK_EQ(in(VPCI_PORT_DATA + 3, 1), 0x11);
}

static void test_header(void)
{
	setup();
	CHECK_EQ(cfg_read(0, 0x08), 0x00ff0010u);
	CHECK_EQ(cfg_read(0, 0x0c), 0);            /* multi-function bit hidden */
	CHECK_EQ(cfg_read(0, 0x30), 0);            /* no expansion ROM */
	cfg_write(0, 0x00, 0);                     /* IDs are read-only */
	cfg_write(0, 0x08, 0);
	CHECK_EQ(config[0], 0x11e81234u);
	CHECK_EQ(config[2], 0x00ff0010u);
	/* command: the guest's bits kept; memory and bus master forwarded, INTx off on the host */
	cfg_write(0, 0x04, 0xffff0006);
	CHECK_EQ(config[1] & 0xffff, 0x0406);
	CHECK_EQ(cfg_read(0, 0x04), 0x00100006u);
	out(VPCI_PORT_ADDRESS, 4, 0x80000004u);
	out(VPCI_PORT_DATA, 2, 0x0002); /* a word write: bus master off */
	CHECK_EQ(config[1] & 0xffff, 0x0402);
	/* interrupt line is the guest's own byte, pin 0 */
	cfg_write(0, 0x3c, 0x0000010b);
	CHECK_EQ(cfg_read(0, 0x3c), 0x0b);
}

static void test_bar(void)
{
	setup();
	CHECK_EQ(cfg_read(0, 0x10), 0xe0000000u);
	cfg_write(0, 0x10, UINT32_MAX);              /* sizing */
	CHECK_EQ(cfg_read(0, 0x10), 0xfff00000u);   /* 1 MiB */
	cfg_write(0, 0x10, 0xd0123456);              /* placed by the guest, aligned down */
	CHECK_EQ(cfg_read(0, 0x10), 0xd0100000u);
	CHECK_EQ(config[4], HOST_BAR);               /* the host BAR never moves */
	CHECK_EQ(cfg_read(0, 0x14), 0);              /* absent BARs */
	cfg_write(0, 0x14, UINT32_MAX);
	CHECK_EQ(cfg_read(0, 0x14), 0);
	/* accesses in the BAR's guest range are forwarded, only while memory decoding is on */
	CHECK(!vpci_mmio_device(&pci, 0xe0000000, &bar));
	CHECK(!vpci_mmio_device(&pci, 0xd0200000, &bar));
	CHECK(!vpci_mmio_device(&pci, 0xd00fffff, &bar));
	CHECK(vpci_mmio_device(&pci, 0xd0100008, &bar));
	CHECK(bar.ctx == &pci && !strcmp(bar.name, "an assigned device's BAR"));
	device_registers[1] = 0x1122334455667788ull;
	uint64_t v = 0;
	CHECK(bar.ops->mmio_read(bar.ctx, 0xd0100008, 4, &v));
	CHECK_EQ(v, ~0ull); /* decoding off: nobody answers */
	CHECK(bar.ops->mmio_write(bar.ctx, 0xd0100008, 4, 0));
	CHECK_EQ(device_registers[1], 0x1122334455667788ull);
	cfg_write(0, 0x04, PCI_COMMAND_MEMORY);
	CHECK(bar.ops->mmio_read(bar.ctx, 0xd010000c, 4, &v));
	CHECK_EQ(v, 0x11223344);
	CHECK(bar.ops->mmio_write(bar.ctx, 0xd0100008, 2, 0xaaaa));
	CHECK_EQ(device_registers[1], 0x112233445566aaaaull);
	CHECK(bar.ops->mmio_read(bar.ctx, 0xd0100008, 8, &v));
	CHECK_EQ(v, 0x112233445566aaaaull);
}

static uint32_t host_msi(unsigned off)
{
	return config[(MSI_CAP + off) / 4];
}

static void test_msi(void)
{
	setup();
	CHECK_EQ(cfg_read(0, MSI_CAP), 0x00800005u); /* one message, 64-bit, disabled */
	cfg_write(0, MSI_CAP + 4, 0xfee01000);       /* APIC ID 1 */
	cfg_write(0, MSI_CAP + 8, 0);
	cfg_write(0, MSI_CAP + 12, 0x51);
	CHECK_EQ(ir.binds, 0);                       /* nothing until enabled */
	CHECK_EQ(host_msi(4), 0);                    /* the guest's values stay in doorbell */
	cfg_write(0, MSI_CAP, 0x00810005 | (3u << 20)); /* enable, asking for 8 messages */
	CHECK_EQ(cfg_read(0, MSI_CAP), 0x00810005u);
	CHECK_EQ(cfg_read(0, MSI_CAP + 4), 0xfee01000u);
	CHECK_EQ(cfg_read(0, MSI_CAP + 12), 0x51);
	CHECK_EQ(ir.binds, 1);
	CHECK(ir.dest == 1 && ir.owner == &owner);
	CHECK_EQ(ir.vector, 0x51);
	CHECK_EQ(ir.index, 0);
	/* the device gets the remappable address and data of IRTE 0, one message, enabled */
	CHECK_EQ(host_msi(4), 0xfee00000u);
	CHECK_EQ(host_msi(8), 0);
	CHECK_EQ(host_msi(12), 0);
	CHECK_EQ(host_msi(0), 0x00810005u);
	CHECK_EQ(pci.msi_updates, 1);
	CHECK_EQ(pci.msi_refused, 0);
	/* refused while enabled: vector 3, no vCPU with APIC ID 0x7f, outside the MSI window,
	 * logical destination mode, a non-zero upper address; IRTE 0 made invalid each time */
	const uint32_t bad[][2] = {{MSI_CAP + 12, 0x03},       {MSI_CAP + 4, 0xfee7f000},
				   {MSI_CAP + 4, 0x12345000}, {MSI_CAP + 4, 0xfee01004},
				   {MSI_CAP + 8, 1}};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg_write(0, MSI_CAP + 4, 0xfee01000);
		cfg_write(0, MSI_CAP + 8, 0);
		cfg_write(0, MSI_CAP + 12, 0x51);
		unsigned binds = ir.binds, unbinds = ir.unbinds;
		uint64_t refused = pci.msi_refused;
		cfg_write(0, bad[i][0], bad[i][1]);
		CHECK_EQ(ir.binds, binds);
		CHECK_EQ(ir.unbinds, unbinds + 1);
		CHECK_EQ(pci.msi_refused, refused + 1);
		CHECK_EQ(host_msi(4), 0xfee00000u); /* still only ever IRTE 0 */
		CHECK_EQ(host_msi(12), 0);
	}
	/* the same value again changes nothing: no rebinding */
	unsigned updates = (unsigned)pci.msi_updates;
	cfg_write(0, MSI_CAP + 8, 1);
	CHECK_EQ(pci.msi_updates, updates);
	/* disabled: the device's MSI off, IRTE 0 unbound */
	unsigned unbinds = ir.unbinds;
	cfg_write(0, MSI_CAP, 0x00800005);
	CHECK_EQ(host_msi(0) & PCI_MSI_CONTROL_ENABLE, 0);
	CHECK_EQ(ir.unbinds, unbinds + 1);
	CHECK_EQ(foreign_accesses, 0);
}

int main(void)
{
	test_bus();
	test_header();
	test_bar();
	test_msi();
	return check_summary("vpci");
}
