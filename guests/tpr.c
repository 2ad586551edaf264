/* CR8 and the local APIC's TPR are one state (SDM vol. 3, 11.8.6.1: CR8[3:0] = TPR[7:4]; APM
 * vol. 2, 16.6.4), and the TPR gates delivery through the PPR (SDM 11.8.3.1): an interrupt whose
 * priority class is not above it stays in the IRR, and is taken as soon as the TPR is lowered
 * below its class, by CR8 or by the TPR register. A 32-bit guest reaches CR8 as LOCK MOV CR0
 * (CPUID Fn8000_0001 ECX[4] AltMovCr8, APM vol. 3 "MOV CRn"), the encoding the CPU executes as
 * MOV CR8 in every mode. Common checks: QEMU alone implements all of it.
 *
 * With x2apic=1 the same checks run with the APIC in x2APIC mode (the TPR is MSR 808h, the self-IPI
 * MSR 83Fh, SDM vol. 3, 11.12), plus: the xAPIC page is no longer the APIC (SDM 11.12.1.2), its
 * reads return no APIC register and an ICR write there sends nothing. QEMU 7.2's TCG has no
 * x2APIC: that variant runs under doorbell only. */
#include "guests/lib/apic.h"
#include "guests/lib/idt.h"
#include "guests/lib/multiboot.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "tpr";

#define CPUID_ALT_MOV_CR8 BIT(4) /* Fn8000_0001 ECX */
#define LOW_VECTOR        0x45   /* class 4 */
#define HIGH_VECTOR       0x65   /* class 6 */
#define TIMER_VECTOR      0x80   /* class 8 */
#define HOLD_US           3000   /* long enough for a self-IPI to have been taken */
#define TIMER_MS          20

static volatile unsigned got_low, got_high, got_timer;

static void on_low(struct trap_frame *f)
{
	(void)f;
	got_low++;
	apic_eoi();
}

static void on_high(struct trap_frame *f)
{
	(void)f;
	got_high++;
	apic_eoi();
}

static void on_timer(struct trap_frame *f)
{
	(void)f;
	got_timer++;
	apic_eoi();
}

/* LOCK MOV CR0 is MOV CR8 (F0 0F 22 /r, F0 0F 20 /r) */
static inline void cr8_write(uint32_t v)
{
	__asm__ volatile(".byte 0xf0\n\tmovl %0, %%cr0" ::"r"(v) : "memory");
}

static inline uint32_t cr8_read(void)
{
	uint32_t v;
	__asm__ volatile(".byte 0xf0\n\tmovl %%cr0, %0" : "=r"(v)::"memory");
	return v;
}

/* x2APIC mode: the xAPIC page answers no register and sends nothing */
static void xapic_page_cases(void)
{
	test_check(mmio_read32(APIC_BASE_ADDR + APIC_VERSION) == 0xffffffffu,
	           "x2APIC mode: the xAPIC page's version register reads all ones (0x%x)",
	           mmio_read32(APIC_BASE_ADDR + APIC_VERSION));
	sti();
	mmio_write32(APIC_BASE_ADDR + APIC_ICR_LOW, APIC_ICR_SELF | APIC_ICR_FIXED | HIGH_VECTOR);
	tsc_delay_us(HOLD_US);
	cli();
	test_check(got_high == 0, "x2APIC mode: a self-IPI written to the xAPIC page's ICR is not "
	           "sent (taken %u)", got_high);
	got_high = 0;
}

void guest_main(const struct multiboot_info *mbi)
{
	bool x2apic = multiboot_cmdline_uint(mbi, "x2apic", 0) != 0;
	if (x2apic && !test_check(apic_enable_x2apic(), "x2APIC mode entered"))
		return;
	if (!(cpuid(0x80000001, 0).ecx & CPUID_ALT_MOV_CR8))
		test_abort("CPUID Fn8000_0001 ECX[4] (AltMovCr8) is clear: no CR8 in 32-bit mode");
	idt_set_handler(LOW_VECTOR, on_low);
	idt_set_handler(HIGH_VECTOR, on_high);
	idt_set_handler(TIMER_VECTOR, on_timer);
	cli();
	if (x2apic)
		xapic_page_cases();

	/* one state, seen both ways */
	cr8_write(5);
	test_check(apic_read(APIC_TPR) == 0x50, "CR8 5: TPR reads 0x50 (0x%x)", apic_read(APIC_TPR));
	test_check(cr8_read() == 5, "CR8 5 reads back 5 (%u)", cr8_read());
	apic_set_tpr(0x7a);
	test_check(cr8_read() == 7, "TPR 0x7a: CR8 reads 7 (%u)", cr8_read());
	test_check(apic_read(APIC_TPR) == 0x7a, "TPR keeps its sub-class after CR8 reads (0x%x)",
	           apic_read(APIC_TPR));
	test_check(apic_read(APIC_PPR) == 0x7a, "PPR follows the TPR (0x%x)", apic_read(APIC_PPR));
	cr8_write(7);
	test_check(apic_read(APIC_TPR) == 0x70,
	           "CR8 7 over TPR 0x7a clears the sub-class: TPR 0x70 (0x%x)", apic_read(APIC_TPR));
	cr8_write(3);
	test_check(apic_read(APIC_PPR) == 0x30, "CR8 3: PPR 0x30 (0x%x)", apic_read(APIC_PPR));

	/* CR8 gates delivery */
	cr8_write(5);
	sti();
	apic_self_ipi(LOW_VECTOR);
	tsc_delay_us(HOLD_US);
	test_check(got_low == 0 && apic_irr_test(LOW_VECTOR),
	           "CR8 5: vector 0x45 (class 4) stays pending in the IRR (taken %u)", got_low);
	apic_self_ipi(HIGH_VECTOR);
	tsc_delay_us(HOLD_US);
	test_check(got_high == 1, "CR8 5: vector 0x65 (class 6) is taken (%u)", got_high);
	cr8_write(4);
	tsc_delay_us(HOLD_US);
	test_check(got_low == 0, "CR8 4: vector 0x45 still pending (taken %u)", got_low);
	cr8_write(3);
	unsigned at_once = got_low;
	tsc_delay_us(HOLD_US);
	test_check(at_once == 1 && got_low == 1,
	           "CR8 3: vector 0x45 taken right after the CR8 write (%u, then %u)", at_once,
	           got_low);

	/* the same through the TPR register */
	got_low = 0;
	apic_set_tpr(0x5f);
	apic_self_ipi(LOW_VECTOR);
	tsc_delay_us(HOLD_US);
	test_check(got_low == 0, "TPR 0x5f: vector 0x45 stays pending (taken %u)", got_low);
	test_check(cr8_read() == 5, "and CR8 reads 5 (%u)", cr8_read());
	apic_set_tpr(0x30);
	at_once = got_low;
	tsc_delay_us(HOLD_US);
	test_check(at_once == 1, "TPR 0x30: vector 0x45 taken right after the write (%u)", at_once);

	/* a vector the TPR holds back does not end HLT; the timer (class 8) does */
	got_low = 0;
	cli();
	cr8_write(5);
	apic_self_ipi(LOW_VECTOR);
	apic_timer_oneshot(TIMER_VECTOR, (uint32_t)(apic_timer_hz() * TIMER_MS / 1000), 1);
	sti_hlt();
	cli();
	test_check(got_timer == 1 && got_low == 0,
	           "HLT with 0x45 held back by CR8 5 ends with the timer (timer %u, 0x45 %u)",
	           got_timer, got_low);
	sti();
	cr8_write(0);
	at_once = got_low;
	cli();
	test_check(at_once == 1, "CR8 0 then releases 0x45 (%u)", at_once);
	test_check(apic_read(APIC_TPR) == 0 && apic_read(APIC_PPR) == 0, "TPR and PPR 0 at the end");

	idt_set_handler(LOW_VECTOR, NULL);
	idt_set_handler(HIGH_VECTOR, NULL);
	idt_set_handler(TIMER_VECTOR, NULL);
}
