/* The ACPI fixed hardware a guest's FADT describes (ACPI 6.5 §4.8): the PM1a event block (PM1
 * status and enable), the PM1a control block (SCI_EN, SLP_TYP, SLP_EN) and the 24-bit power
 * management timer at 3.579545 MHz, as I/O ports from ACPI_PM_BASE. Writing SLP_EN with the
 * SLP_TYP of \_S5 (the DSDT's, svm/guest_acpi.c) is a power-off: the caller ends the VM as a
 * guest that passed. No SCI is ever raised (nothing sets a status bit). Pure: the caller locks. */
#ifndef SVM_ACPI_PM_H
#define SVM_ACPI_PM_H

#include "kernel/types.h"

#define ACPI_PM_BASE 0x600u
#define ACPI_PM1_EVT_OFFSET 0x0u /* PM1_STS (2 bytes), PM1_EN (2 bytes) */
#define ACPI_PM1_EVT_LEN 4u
#define ACPI_PM1_CNT_OFFSET 0x4u
#define ACPI_PM1_CNT_LEN 2u
#define ACPI_PM_TMR_OFFSET 0x8u
#define ACPI_PM_TMR_LEN 4u
#define ACPI_PM_PORTS 12u
#define ACPI_PM_TIMER_HZ 3579545u
#define ACPI_SCI_IRQ 9u
#define ACPI_S5_SLP_TYP 5u /* \_S5's SLP_TYPa/b, the value PM1_CNT.SLP_TYP takes for power-off */

struct acpi_pm {
	uint16_t sts, en, cnt;
	uint64_t start_tsc, tsc_hz;
};

void acpi_pm_init(struct acpi_pm *pm, uint64_t start_tsc, uint64_t tsc_hz);
/* offset from ACPI_PM_BASE, size 1, 2 or 4 */
uint32_t acpi_pm_read(const struct acpi_pm *pm, unsigned offset, unsigned size, uint64_t now_tsc);
/* Returns true if the write asked for sleep state S5 (SLP_EN with SLP_TYP = ACPI_S5_SLP_TYP). */
bool acpi_pm_write(struct acpi_pm *pm, unsigned offset, unsigned size, uint32_t value);

#endif
