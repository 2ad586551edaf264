/* Reset and ACPI power-off (kernel/power.h). */
#include "kernel/power.h"
#include "kernel/acpi.h"
#include "kernel/acpi_s5.h"
#include "kernel/console.h"
#include "kernel/serial.h"
#include "kernel/timer.h"
#include "kernel/x86.h"

#define PM1_CNT_SCI_EN BIT(0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP (7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN BIT(13)
#define GAS_SYSTEM_IO 1
#define RST_CNT_PORT 0xcf9
#define RST_CNT_SYS_RST BIT(1) /* with RST_CPU: a hard reset, not only the CPU's INIT */
#define RST_CNT_RST_CPU BIT(2) /* its 0 -> 1 transition starts the reset */
#define KBC_COMMAND_PORT 0x64
#define KBC_PULSE_RESET 0xfe
#define POWER_WAIT_US 500000   /* how long each way is given to take effect */

/* ACPI mode: SCI_EN set, or set by writing ACPI_ENABLE to SMI_CMD (firmware in legacy mode). */
static void acpi_mode_enter(const struct acpi_info *acpi)
{
	if (inw(acpi->pm1a_cnt) & PM1_CNT_SCI_EN)
		return;
	if (!acpi->smi_cmd || !acpi->acpi_enable) {
		printk("power: SCI_EN is clear and the FADT gives no SMI_CMD: trying S5 anyway\n");
		return;
	}
	outb(acpi->smi_cmd, acpi->acpi_enable);
	uint64_t end = timer_now_us() + POWER_WAIT_US;
	while (!(inw(acpi->pm1a_cnt) & PM1_CNT_SCI_EN) && timer_now_us() < end)
		__asm__ volatile("pause");
}

static void pm1_sleep(uint16_t port, uint8_t slp_typ)
{
	uint16_t v = inw(port) & ~(PM1_CNT_SLP_TYP | PM1_CNT_SLP_EN);
	v |= (uint16_t)(slp_typ << PM1_CNT_SLP_TYP_SHIFT);
	outw(port, v); /* the type first, then SLP_EN with it (ACPI 6.5 §16.1.7) */
	outw(port, v | PM1_CNT_SLP_EN);
}

void power_off(const struct acpi_info *acpi)
{
	if (!acpi->fadt || !acpi->pm1a_cnt) {
		pr_err("power: cannot power off: no FADT with a PM1a control block\n");
		return;
	}
	uint8_t typa, typb;
	const struct acpi_sdt_header *dsdt = (const void *)(uintptr_t)acpi->dsdt;
	if (!acpi->dsdt || dsdt->length < sizeof(*dsdt) ||
	    !acpi_find_s5((const uint8_t *)(dsdt + 1), dsdt->length - sizeof(*dsdt), &typa,
			  &typb)) {
		pr_err("power: cannot power off: the DSDT (at 0x%lx) has no _S5 package doorbell can "
		       "read\n",
		       acpi->dsdt);
		return;
	}
	printk("power: ACPI S5 (SLP_TYPa %u, SLP_TYPb %u) through PM1a_CNT port 0x%x%s\n", typa,
	       typb, acpi->pm1a_cnt, acpi->pm1b_cnt ? " and PM1b_CNT" : "");
	serial_flush();
	acpi_mode_enter(acpi);
	pm1_sleep(acpi->pm1a_cnt, typa);
	if (acpi->pm1b_cnt)
		pm1_sleep(acpi->pm1b_cnt, typb);
	timer_delay_us(POWER_WAIT_US);
	pr_err("power: still running %u ms after ACPI S5: the machine did not power off\n",
	       POWER_WAIT_US / 1000);
}

void power_reboot(const struct acpi_info *acpi)
{
	if (acpi->reset_supported && acpi->reset_space == GAS_SYSTEM_IO &&
	    acpi->reset_addr <= 0xffff) {
		printk("power: reset through the FADT reset register (port 0x%lx, value 0x%x)\n",
		       acpi->reset_addr, acpi->reset_value);
		serial_flush();
		outb((uint16_t)acpi->reset_addr, acpi->reset_value);
		timer_delay_us(POWER_WAIT_US);
	}
	printk("power: reset through port 0xcf9\n");
	serial_flush();
	uint8_t rst = inb(RST_CNT_PORT) & ~(RST_CNT_SYS_RST | RST_CNT_RST_CPU);
	outb(RST_CNT_PORT, rst | RST_CNT_SYS_RST);
	outb(RST_CNT_PORT, rst | RST_CNT_SYS_RST | RST_CNT_RST_CPU);
	timer_delay_us(POWER_WAIT_US);
	printk("power: reset through the keyboard controller\n");
	serial_flush();
	outb(KBC_COMMAND_PORT, KBC_PULSE_RESET);
	timer_delay_us(POWER_WAIT_US);
	pr_err("power: still running after every reset method: the machine did not reset\n");
}
