/* NMI delivery and masking (SDM vol. 3, 6.7.1; APM vol. 2, 8.2.3 and 15.21.4): an NMI is taken with
 * IF=0 (NMIs to halted CPUs: guests/ipi.c); while its handler runs, further NMIs are held (one stays pending, more
 * are merged into it) and the pending one is taken right after the handler's IRET has completed,
 * on the stack and at the instruction the IRET returned to, never nested on the IRET itself.
 * Common checks: QEMU alone behaves so natively. */
#include "guests/lib/apic.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "nmi";

#define MAX_NMIS      8
#define HOLD_US       2000   /* time the handler keeps NMIs masked after sending more */
#define WAIT_US       500000 /* for an NMI to arrive */

#define TIMER_VECTOR  0x40
#define HALT_MS       20 /* the timer that ends the HLT inside the handler */

static volatile unsigned nmis, depth, max_depth, send_in_handler, halt_in_handler, timer_ticks;
static volatile unsigned nmis_during_halt;

static void on_timer(struct trap_frame *f)
{
	(void)f;
	timer_ticks++;
	apic_eoi();
}
static volatile uint32_t frame_at[MAX_NMIS], eip_at[MAX_NMIS];

static void send_self_nmi(void)
{
	apic_send_ipi(apic_id(), APIC_ICR_NMI);
}

static void on_nmi(struct trap_frame *f)
{
	unsigned n = nmis;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (n < MAX_NMIS) {
		frame_at[n] = (uint32_t)(uintptr_t)f;
		eip_at[n] = f->eip;
	}
	nmis = n + 1;
	/* more NMIs while this one is handled: they must wait for the IRET */
	for (; send_in_handler; send_in_handler--)
		send_self_nmi();
	if (halt_in_handler) {
		/* HLT with an NMI held pending: only the timer ends it (the vCPU sleeps meanwhile:
		 * tests/qemu/guests.py checks its block count), the NMI waits for an IRET */
		halt_in_handler = 0;
		apic_timer_oneshot(TIMER_VECTOR, (uint32_t)(apic_timer_hz() * HALT_MS / 1000), 1);
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		nmis_during_halt = nmis;
	}
	tsc_delay_us(HOLD_US);
	depth--;
}

static bool wait_nmis(unsigned count)
{
	uint64_t deadline = tsc_deadline(WAIT_US);
	while (nmis < count && !tsc_expired(deadline))
		pause();
	tsc_delay_us(HOLD_US); /* and no more than that */
	return nmis == count;
}

static void reset(void)
{
	nmis = depth = max_depth = send_in_handler = 0;
}

void guest_main(const struct multiboot_info *mbi)
{
	(void)mbi;
	idt_set_handler(VEC_NMI, on_nmi);

	reset();
	cli();
	send_self_nmi();
	test_check(wait_nmis(1), "self NMI with IF=0 is taken once (%u)", nmis);
	sti();

	/* one more NMI sent from the handler: held until IRET, then taken at once */
	reset();
	send_in_handler = 1;
	send_self_nmi();
	test_check(wait_nmis(2), "NMI sent inside the handler: 2 NMIs in all (%u)", nmis);
	test_check(max_depth == 1, "the second NMI did not nest in the first handler (depth %u)",
	           max_depth);
	test_check(frame_at[1] == frame_at[0],
	           "the second NMI's frame is where the first one's was (0x%x, 0x%x): taken after "
	           "IRET completed", frame_at[0], frame_at[1]);
	test_check(eip_at[1] == eip_at[0],
	           "the second NMI interrupted the instruction the IRET returned to (0x%x, 0x%x)",
	           eip_at[0], eip_at[1]);

	/* two more sent from the handler: one stays pending, the other merges into it */
	reset();
	send_in_handler = 2;
	send_self_nmi();
	test_check(wait_nmis(2), "two NMIs sent inside the handler: one more taken (%u in all)", nmis);
	test_check(max_depth == 1, "no nesting (depth %u)", max_depth);

	/* halted inside the handler with another NMI pending: the timer ends HLT, the NMI comes
	 * after IRET */
	reset();
	idt_set_handler(TIMER_VECTOR, on_timer);
	send_in_handler = 1;
	halt_in_handler = 1;
	send_self_nmi();
	test_check(wait_nmis(2) && timer_ticks == 1,
	           "HLT in the handler with an NMI pending ended by the timer (%u tick), then the NMI "
	           "(%u in all)", timer_ticks, nmis);
	/* the timer handler's IRET unmasks NMIs (SDM vol. 3, 6.7.1: blocking ends at the next IRET,
	 * whichever handler's), so the pending one is taken right after it, inside the first */
	test_check(nmis_during_halt == 2, "the pending NMI came after the timer handler's IRET (%u)",
	           nmis_during_halt);
	idt_set_handler(TIMER_VECTOR, NULL);
	printf("info: NMI frames at 0x%x, EIP 0x%x\n", frame_at[0], eip_at[0]);
	idt_set_handler(VEC_NMI, NULL);
}
