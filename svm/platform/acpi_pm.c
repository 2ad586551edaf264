#include "svm/platform/acpi_pm.h"

#define PM1_CNT_SCI_EN 0x0001u
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK (7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN 0x2000u /* write-only: reads as 0 */
#define PM1_CNT_WRITABLE (0x0006u | PM1_CNT_SLP_TYP_MASK) /* BM_RLD, GBL_RLS, SLP_TYP */
#define PM1_EN_WRITABLE 0x0721u /* TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN */
#define PM_TMR_MASK 0xffffffu

void acpi_pm_init(struct acpi_pm *pm, uint64_t start_tsc, uint64_t tsc_hz)
{
	/* SCI_EN set: the platform is in ACPI mode from the start (the FADT's SMI_CMD is 0) */
	*pm = (struct acpi_pm){.cnt = PM1_CNT_SCI_EN, .start_tsc = start_tsc, .tsc_hz = tsc_hz};
}

static uint32_t pm_timer(const struct acpi_pm *pm, uint64_t now)
{
	uint64_t d = now > pm->start_tsc ? now - pm->start_tsc : 0;
	uint64_t ticks = d / pm->tsc_hz * ACPI_PM_TIMER_HZ +
			 d % pm->tsc_hz * ACPI_PM_TIMER_HZ / pm->tsc_hz;
	return (uint32_t)ticks & PM_TMR_MASK;
}

/* The byte of the 12-byte register block at `offset`. */
static uint8_t pm_byte(const struct acpi_pm *pm, unsigned offset, uint64_t now)
{
	uint32_t v;
	if (offset < 2)
		v = pm->sts;
	else if (offset < 4)
		v = pm->en;
	else if (offset < 6)
		v = pm->cnt;
	else if (offset >= ACPI_PM_TMR_OFFSET && offset < ACPI_PM_TMR_OFFSET + ACPI_PM_TMR_LEN)
		return (uint8_t)(pm_timer(pm, now) >> (8 * (offset - ACPI_PM_TMR_OFFSET)));
	else
		return 0xff; /* no register there */
	return (uint8_t)(v >> (8 * (offset & 1)));
}

uint32_t acpi_pm_read(const struct acpi_pm *pm, unsigned offset, unsigned size, uint64_t now)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)pm_byte(pm, offset + i, now) << (8 * i);
	return v;
}

bool acpi_pm_write(struct acpi_pm *pm, unsigned offset, unsigned size, uint32_t value)
{
	bool sleep = false;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = offset + i;
		uint16_t b = (uint16_t)((value >> (8 * i)) & 0xff) << (8 * (o & 1));
		uint16_t keep = (uint16_t)(0xff00u >> (8 * (o & 1)));
		if (o < 2) {
			pm->sts &= (uint16_t)~b; /* write 1 to clear */
		} else if (o < 4) {
			pm->en = (uint16_t)((pm->en & keep) | (b & PM1_EN_WRITABLE));
		} else if (o < 6) {
			pm->cnt = (uint16_t)((pm->cnt & (keep | PM1_CNT_SCI_EN)) |
					     (b & PM1_CNT_WRITABLE));
			if ((b & PM1_CNT_SLP_EN) &&
			    ((pm->cnt & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT) ==
				    ACPI_S5_SLP_TYP)
				sleep = true;
		}
	}
	return sleep;
}
