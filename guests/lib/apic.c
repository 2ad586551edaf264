#include "guests/lib/apic.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

#define PIC1_DATA                  0x21
#define PIC2_DATA                  0xa1
#define PIC_MASK_ALL               0xff
#define APIC_TIMER_CALIBRATE_US    20000
#define APIC_TIMER_CALIBRATE_TRIES 3

/* Set once by the boot CPU before the other CPUs start (apic_enable_x2apic()), read-only after. */
static bool x2apic;

uint32_t apic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(APIC_X2APIC_MSR(reg));
	return mmio_read32(APIC_BASE_ADDR + reg);
}

void apic_write(uint32_t reg, uint32_t value)
{
	if (x2apic)
		wrmsr(APIC_X2APIC_MSR(reg), value);
	else
		mmio_write32(APIC_BASE_ADDR + reg, value);
}

bool apic_enable_x2apic(void)
{
	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC))
		return false;
	/* xAPIC -> x2APIC is the one legal way in: EN stays set while EXTD is set (SDM vol. 3,
	 * 10.12.5.1, figure 10-27). */
	wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_ENABLE | APIC_BASE_EXTD);
	if (!(rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD))
		return false;
	x2apic = true;
	return true;
}

bool apic_x2apic_mode(void)
{
	return x2apic;
}

/* A CPU started by smp_init() after the boot CPU entered x2APIC mode enters it here, before it
 * touches its APIC; it cannot fall back to xAPIC mode, as the runtime's accesses are MSRs now. */
void apic_enable(void)
{
	if (x2apic && !apic_enable_x2apic())
		test_abort("x2APIC mode requested, but a started CPU has none");
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
	return x2apic ? apic_read(APIC_ID) : apic_read(APIC_ID) >> 24;
}

/* 0 in both modes: in x2APIC mode a non-zero EOI write raises #GP (SDM vol. 3, table 10-6). */
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
	if (x2apic) {
		/* A WRMSR to an x2APIC register is not serializing and may complete before earlier
		 * stores are globally visible (SDM vol. 3, 10.12.3); MFENCE;LFENCE first, so that
		 * the target sees what was written for it before the IPI. */
		__asm__ volatile("mfence; lfence" ::: "memory");
		/* one 64-bit write, the destination in bits 63:32 (SDM vol. 3, 10.12.9) */
		wrmsr(APIC_X2APIC_MSR(APIC_ICR_LOW), (uint64_t)dest << 32 | icr_low);
		return;
	}
	wait_idle();
	/* Writing the low word sends, so the destination goes first (SDM vol. 3, 10.6.1). */
	apic_write(APIC_ICR_HIGH, dest << 24);
	apic_write(APIC_ICR_LOW, icr_low);
	wait_idle();
}

void apic_self_ipi(unsigned vector)
{
	if (x2apic)
		apic_write(APIC_SELF_IPI, vector);
	else
		apic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_FIXED | vector);
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

/* One read of the current count and the TSC at it. The read may leave the guest (a hypervisor
 * emulates CCR) and the CPU may be held up there for a while, so the read is placed halfway
 * between the TSC reads around it and `width` says how uncertain that is. */
struct ccr_sample {
	uint32_t count;
	uint64_t tsc, width;
};

static struct ccr_sample ccr_sample(void)
{
	uint64_t before = rdtsc();
	uint32_t count = apic_read(APIC_TIMER_CCR);
	uint64_t after = rdtsc();
	return (struct ccr_sample){count, before + (after - before) / 2, after - before};
}

/* Timer ticks per second at divide 1, measured against the TSC: the try whose two CCR reads were
 * the quickest wins. (Timing from before the first read to after the second overstates the
 * interval by what the reads cost, so a slow read made the rate low and every timer early.) */
uint64_t apic_timer_hz(void)
{
	static uint64_t hz;
	if (hz)
		return hz;
	uint64_t best_width = UINT64_MAX;
	for (unsigned i = 0; i < APIC_TIMER_CALIBRATE_TRIES; i++) {
		timer_start(APIC_LVT_MASKED, 0xffffffffu, 1);
		struct ccr_sample a = ccr_sample();
		tsc_delay_us(APIC_TIMER_CALIBRATE_US);
		struct ccr_sample b = ccr_sample();
		apic_timer_stop();
		if (a.width + b.width < best_width && b.tsc > a.tsc) {
			best_width = a.width + b.width;
			hz = (uint64_t)(a.count - b.count) * tsc_hz() / (b.tsc - a.tsc);
		}
	}
	return hz;
}
