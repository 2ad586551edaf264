#include "kernel/lapic.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

/* Register offsets (xAPIC MMIO); the x2APIC MSR is 0x800 + offset / 16 (SDM vol. 3 §11.12.1). */
#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

#define APIC_BASE_X2APIC BIT(10)
#define APIC_BASE_ENABLE BIT(11)
#define SVR_ENABLE BIT(8)
#define LVT_MASKED BIT(16)
#define ICR_DELIVERY_FIXED (0u << 8)
#define ICR_DELIVERY_NMI (4u << 8)
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_PENDING BIT(12)
#define ICR_LEVEL_ASSERT BIT(14)
#define TIMER_DIV_16 0x3
#define XAPIC_DEFAULT_BASE 0xfee00000ull

static bool x2apic;
static volatile uint32_t *xapic_regs;
static bool lapic_up;

bool lapic_ready(void)
{
	return lapic_up;
}

bool lapic_x2apic(void)
{
	return x2apic;
}

static uint32_t lapic_read(unsigned reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(0x800 + (reg >> 4));
	return xapic_regs[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		xapic_regs[reg / 4] = v;
}

static void lapic_write_icr(uint32_t apic_id, uint32_t low)
{
	if (x2apic) {
		wrmsr(0x830, ((uint64_t)apic_id << 32) | low);
		return;
	}
	while (xapic_regs[LAPIC_ICR_LO / 4] & ICR_PENDING)
		__asm__ volatile("pause");
	xapic_regs[LAPIC_ICR_HI / 4] = apic_id << 24;
	xapic_regs[LAPIC_ICR_LO / 4] = low;
}

static void lapic_spurious(struct trap_frame *f)
{
	(void)f;
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	/* x2APIC: CPUID 1 ECX[21] (SDM vol. 3 §11.12.1). The kernel uses it where present. */
	if (cpuid(1, 0).ecx & BIT(21)) {
		x2apic = true;
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	} else {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		uint64_t pa = base & ~0xfffull & ((1ull << 52) - 1);
		xapic_regs = (volatile uint32_t *)(uintptr_t)(pa ? pa : XAPIC_DEFAULT_BASE);
	}
	trap_set_handler(VECTOR_SPURIOUS, lapic_spurious);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
	lapic_write(LAPIC_ESR, 0);
	lapic_up = true;
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);
	return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	lapic_write_icr(apic_id, ICR_DELIVERY_FIXED | vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
	lapic_write_icr(apic_id, ICR_DELIVERY_NMI);
}

void lapic_send_init(uint32_t apic_id)
{
	lapic_write_icr(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_sipi(uint32_t apic_id, uint8_t page)
{
	lapic_write_icr(apic_id, ICR_DELIVERY_STARTUP | page);
}

void lapic_timer_oneshot(uint32_t ticks, uint8_t vector)
{
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, vector);
	lapic_write(LAPIC_TIMER_INIT, ticks ? ticks : 1);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0);
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CUR);
}
