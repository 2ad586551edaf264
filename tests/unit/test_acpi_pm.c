// sources: svm/platform/acpi_pm.c
/* The ACPI fixed hardware: the PM timer's rate and width, SCI_EN, write-1-to-clear status, and
 * the S5 power-off that PM1a_CNT's SLP_EN with \_S5's SLP_TYP requests. */
#include "tests/unit/check.h"
#include "svm/platform/acpi_pm.h"

#define TSC_HZ (ACPI_PM_TIMER_HZ * 1000ull) /* one PM timer tick = 1000 TSC ticks */

int main(void)
{
	struct acpi_pm pm;
	acpi_pm_init(&pm, 5000, TSC_HZ);
	/* 3.579545 MHz, 24 bits, 32-bit reads at offset 8 */
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_TMR_OFFSET, 4, 5000), 0);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_TMR_OFFSET, 4, 5000 + 1234 * 1000ull), 1234);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_TMR_OFFSET, 4, 5000 + 0x1000005 * 1000ull), 5);
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_TMR_OFFSET + 1, 1, 5000 + 0x1234 * 1000ull), 0x12);
	/* in ACPI mode from the start: SCI_EN reads 1 and the OS cannot clear it */
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM1_CNT_OFFSET, 2, 0) & 1, 1);
	CHECK(!acpi_pm_write(&pm, ACPI_PM1_CNT_OFFSET, 2, 0));
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM1_CNT_OFFSET, 2, 0) & 1, 1);
	/* PM1_EN keeps its writable bits (TMR_EN, PWRBTN_EN), PM1_STS is write-1-to-clear */
	CHECK(!acpi_pm_write(&pm, ACPI_PM1_EVT_OFFSET + 2, 2, 0x0101));
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM1_EVT_OFFSET + 2, 2, 0), 0x0101);
	pm.sts = 0x8001;
	CHECK(!acpi_pm_write(&pm, ACPI_PM1_EVT_OFFSET, 2, 0x0001));
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM1_EVT_OFFSET, 2, 0), 0x8000);
	/* one 32-bit access covers status and enable */
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM1_EVT_OFFSET, 4, 0), 0x01018000);
	/* SLP_TYP alone is no sleep; SLP_EN with another type (S3's) is no power-off */
	CHECK(!acpi_pm_write(&pm, ACPI_PM1_CNT_OFFSET, 2, ACPI_S5_SLP_TYP << 10));
	CHECK(!acpi_pm_write(&pm, ACPI_PM1_CNT_OFFSET, 2, (1u << 10) | 0x2000));
	/* Linux's acpi_enter_sleep_state: SLP_TYP written, then SLP_TYP | SLP_EN */
	CHECK(acpi_pm_write(&pm, ACPI_PM1_CNT_OFFSET, 2, (ACPI_S5_SLP_TYP << 10) | 0x2000));
	/* the same as two byte writes: the high byte carries both fields */
	acpi_pm_init(&pm, 0, TSC_HZ);
	CHECK(!acpi_pm_write(&pm, ACPI_PM1_CNT_OFFSET, 1, 0));
	CHECK(acpi_pm_write(&pm, ACPI_PM1_CNT_OFFSET + 1, 1, ((ACPI_S5_SLP_TYP << 10) | 0x2000) >> 8));
	/* SLP_EN is write-only */
	CHECK_EQ(acpi_pm_read(&pm, ACPI_PM1_CNT_OFFSET, 2, 0) & 0x2000, 0);
	/* no register at offset 6-7 */
	CHECK_EQ(acpi_pm_read(&pm, 6, 2, 0), 0xffff);
	return check_summary("acpi_pm");
}
