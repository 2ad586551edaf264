#include "guests/lib/apic.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

#define PIC1_DATA               0x21
#define PIC2_DATA               0xa1
#define PIC_MASK_ALL            0xff
#define APIC_TIMER_CALIBRATE_US 20000

uint32_t apic_read(uint32_t reg)
{
	return mmio_read32(APIC_BASE_ADDR + reg);
}

void apic_write(uint32_t reg, uint32_t value)
{
	mmio_write32(APIC_BASE_ADDR + reg, value);
}

void apic_enable(void)
{
	outb(PIC1_DATA, PIC_MASK_ALL);
	outb(PIC2_DATA, PIC_MASK_ALL);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
	apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
	apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
}

uint32_t apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_set_tpr(uint32_t tpr)
{
	apic_write(APIC_TPR, tpr);
}

static bool vector_bit(uint32_t base, unsigned vector)
{
	return apic_read(base + (vector / 32) * 0x10) & BIT(vector % 32);
}

bool apic_isr_test(unsigned vector)
{
	return vector_bit(APIC_ISR, vector);
}

bool apic_irr_test(unsigned vector)
{
	return vector_bit(APIC_IRR, vector);
}

static void wait_idle(void)
{
	while (apic_read(APIC_ICR_LOW) & APIC_ICR_BUSY)
		pause();
}

void apic_send_ipi(uint32_t dest, uint32_t icr_low)
{
	wait_idle();
	/* Writing the low word sends, so the destination goes first (SDM vol. 3, 10.6.1). */
	apic_write(APIC_ICR_HIGH, dest << 24);
	apic_write(APIC_ICR_LOW, icr_low);
	wait_idle();
}

/* Divide configuration encoding, bits 3 and 1:0 (SDM vol. 3, figure 10-10). */
static uint32_t divide_config(unsigned divide)
{
	switch (divide) {
	case 2:
		return 0x0;
	case 4:
		return 0x1;
	case 8:
		return 0x2;
	case 16:
		return 0x3;
	case 32:
		return 0x8;
	case 64:
		return 0x9;
	case 128:
		return 0xa;
	default:
		return 0xb; /* divide by 1 */
	}
}

static void timer_start(uint32_t lvt, uint32_t count, unsigned divide)
{
	apic_write(APIC_TIMER_ICR, 0); /* stops a running count before the mode changes */
	apic_write(APIC_TIMER_DCR, divide_config(divide));
	apic_write(APIC_LVT_TIMER, lvt);
	apic_write(APIC_TIMER_ICR, count);
}

void apic_timer_oneshot(unsigned vector, uint32_t count, unsigned divide)
{
	timer_start(vector, count, divide);
}

void apic_timer_periodic(unsigned vector, uint32_t count, unsigned divide)
{
	timer_start(vector | APIC_LVT_PERIODIC, count, divide);
}

void apic_timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_TIMER_ICR, 0);
}

uint64_t apic_timer_hz(void)
{
	static uint64_t hz;
	if (hz)
		return hz;
	timer_start(APIC_LVT_MASKED, 0xffffffffu, 1);
	uint64_t t0 = rdtsc();
	uint32_t c0 = apic_read(APIC_TIMER_CCR);
	tsc_delay_us(APIC_TIMER_CALIBRATE_US);
	uint32_t c1 = apic_read(APIC_TIMER_CCR);
	uint64_t elapsed = rdtsc() - t0;
	apic_timer_stop();
	hz = (uint64_t)(c0 - c1) * tsc_hz() / elapsed;
	return hz;
}
