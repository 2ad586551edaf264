/* The local APIC globally disabled and enabled again through IA32_APIC_BASE (SDM vol. 3, 10.4.3,
 * 10.12.5; APM vol. 2, 16.3.1): the mode transitions the APIC allows (x2APIC to xAPIC only
 * through the disabled state, #GP otherwise; EXTD without EN is #GP), the xAPIC page while the
 * APIC is disabled or in x2APIC mode (no longer the APIC: reads all ones, writes go nowhere, the VM
 * goes on), the power-up state an APIC comes back in, and that it accepts interrupts again.
 * QEMU alone (7.2 TCG) cannot enable an APIC again once disabled and has no x2APIC: every check is
 * doorbell-only. */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/idt.h"
#include "guests/lib/msr.h"
#include "guests/lib/multiboot.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "apic_disable";

#define APIC_BASE_EXTD_BIT (1ull << 10)
#define SELF_VECTOR        0x51
#define LVT_MASKED         BIT(16)

#define RELOCATED_BASE     0xfed40000u /* where kvm-unit-tests moves it too */

static volatile unsigned got;
static volatile uint32_t apic_mmio = APIC_BASE_ADDR;

static void on_self(struct trap_frame *f)
{
	(void)f;
	got++;
	mmio_write32(apic_mmio + APIC_EOI, 0);
}

static uint32_t xapic_read(uint32_t reg)
{
	return mmio_read32(APIC_BASE_ADDR + reg);
}

/* IA32_APIC_BASE moves the xAPIC page (SDM vol. 3, 11.4.5): the registers answer at the new
 * address, the old page is no longer the APIC, and the APIC still takes interrupts. */
static void check_relocation(uint64_t base, uint32_t version)
{
	uint64_t flags = base & 0xfffu;
	got = 0;
	test_check_doorbell(msr_write_safe(MSR_IA32_APIC_BASE, flags & ~APIC_BASE_ENABLE) < 0 &&
	                    msr_write_safe(MSR_IA32_APIC_BASE, RELOCATED_BASE | flags) < 0,
	                    "APIC relocated to 0x%x through IA32_APIC_BASE", RELOCATED_BASE);
	apic_mmio = RELOCATED_BASE;
	test_check_doorbell(mmio_read32(RELOCATED_BASE + APIC_VERSION) == version,
	                    "relocated: the version register answers at 0x%x (0x%x)",
	                    RELOCATED_BASE + APIC_VERSION, mmio_read32(RELOCATED_BASE + APIC_VERSION));
	test_check_doorbell(xapic_read(APIC_VERSION) == 0xffffffffu,
	                    "relocated: the page at 0xfee00000 is no longer the APIC (0x%x)",
	                    xapic_read(APIC_VERSION));
	mmio_write32(RELOCATED_BASE + APIC_SVR, 0x100 | 0xff);
	sti();
	mmio_write32(RELOCATED_BASE + APIC_ICR_LOW, APIC_ICR_SELF | APIC_ICR_FIXED | SELF_VECTOR);
	uint64_t deadline = tsc_deadline(500000);
	while (!got && !tsc_expired(deadline))
		pause();
	cli();
	test_check_doorbell(got == 1, "relocated: a self-IPI through its ICR is taken (%u)", got);
	wrmsr(MSR_IA32_APIC_BASE, flags & ~APIC_BASE_ENABLE);
	wrmsr(MSR_IA32_APIC_BASE, base);
	apic_mmio = APIC_BASE_ADDR;
	apic_enable();
	test_check_doorbell(xapic_read(APIC_VERSION) == version, "back at 0xfee00000");
}


void guest_main(const struct multiboot_info *mbi)
{
	if (!doorbell_present()) {
		printf("info: not under doorbell: nothing to check\n");
		return;
	}
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	uint32_t id = xapic_read(APIC_ID), version = xapic_read(APIC_VERSION);
	uint64_t en = APIC_BASE_ENABLE, extd = APIC_BASE_EXTD_BIT;

	/* EXTD without EN is not a state */
	test_check_doorbell(msr_write_safe(MSR_IA32_APIC_BASE, (base & ~en) | extd) == VEC_GP,
	                    "APIC_BASE EN=0 EXTD=1 raises #GP");
	/* into x2APIC mode, then straight back to xAPIC: #GP */
	test_check_doorbell(msr_write_safe(MSR_IA32_APIC_BASE, base | extd) < 0,
	                    "xAPIC -> x2APIC accepted");
	test_check_doorbell(msr_write_safe(MSR_IA32_APIC_BASE, base & ~extd) == VEC_GP,
	                    "x2APIC -> xAPIC without disabling first raises #GP");
	/* x2apic_page=1: in x2APIC mode the xAPIC page is not the APIC (SDM vol. 3, 11.12.1.2) */
	if (multiboot_cmdline_has(mbi, "x2apic_page"))
		test_check_doorbell(xapic_read(APIC_VERSION) == 0xffffffffu,
		                    "in x2APIC mode the xAPIC page reads all ones");
	/* x2APIC -> disabled -> xAPIC is the way back */
	test_check_doorbell(msr_write_safe(MSR_IA32_APIC_BASE, base & ~(en | extd)) < 0,
	                    "x2APIC -> disabled accepted");
	test_check_doorbell(!(cpuid(1, 0).edx & BIT(9)), "disabled: CPUID.1:EDX.APIC clear");
	test_check_doorbell(xapic_read(APIC_VERSION) == 0xffffffffu,
	                    "disabled: the xAPIC page reads all ones");
	mmio_write32(APIC_BASE_ADDR + APIC_TPR, 0x20);
	test_check_doorbell(true, "disabled: a write to the xAPIC page is dropped, the VM goes on");
	test_check_doorbell(msr_write_safe(MSR_IA32_APIC_BASE, base) < 0, "disabled -> xAPIC accepted");
	/* the power-up state (SDM vol. 3, 10.4.7.1) */
	test_check_doorbell(xapic_read(APIC_ID) == id && xapic_read(APIC_VERSION) == version,
	                    "enabled again: ID 0x%x and version 0x%x as before", xapic_read(APIC_ID),
	                    xapic_read(APIC_VERSION));
	test_check_doorbell(xapic_read(APIC_SVR) == 0xff,
	                    "enabled again: SVR 0xff (software disabled), got 0x%x",
	                    xapic_read(APIC_SVR));
	test_check_doorbell(xapic_read(APIC_TPR) == 0, "enabled again: TPR 0 (the write above "
	                    "went nowhere), got 0x%x", xapic_read(APIC_TPR));
	test_check_doorbell(xapic_read(APIC_LVT_TIMER) & LVT_MASKED, "enabled again: LVT timer masked");
	/* software-enabled, it takes interrupts again */
	idt_set_handler(SELF_VECTOR, on_self);
	apic_enable();
	sti();
	apic_self_ipi(SELF_VECTOR);
	uint64_t deadline = tsc_deadline(500000);
	while (!got && !tsc_expired(deadline))
		pause();
	cli();
	test_check_doorbell(got == 1, "enabled again: a self-IPI is taken (%u)", got);
	check_relocation(base, version);
	idt_set_handler(SELF_VECTOR, NULL);
}
