/* Floor 3, avic/vlapic/ (docs/architecture.md "Floors").
 * Owns: the virtual local APIC (one register page per vCPU) and IPI routing.
 * May use: kernel/; effects go up as data. */
/* The virtual local APIC: register semantics on the one register page per vCPU.
 *
 * All architectural state lives in the page (avic/vlapic/apic_regs.h layout, the AVIC backing
 * page); struct vapic holds only what is not a register: the initial APIC ID, the IA32_APIC_BASE MSR,
 * the hidden ESR accumulator and timer bookkeeping. Nothing here knows about vCPU or VM objects:
 * callers pass the page owner's struct vapic and act on the struct vapic_effects a write reports.
 *
 * Concurrency: the owning vCPU's thread calls everything that takes a struct vapic, except
 * vapic_deliver_fixed(), which any CPU may call to post an interrupt (it touches only the IRR/TMR
 * words and the ESR accumulator, all atomically). vapic_set_irr() and the priority queries work
 * on the page alone, so AVIC hardware and other CPUs may update the IRR concurrently.
 *
 * Time: the timer counts in "bus ticks", the clock before the TDCR divider (SDM 11.5.4). Callers
 * pass the current bus tick as `now`; every timer result is a pure function of the page, the
 * bookkeeping below and `now`. */
#ifndef AVIC_VAPIC_H
#define AVIC_VAPIC_H

#include "kernel/types.h"
#include "avic/vlapic/apic_regs.h"
#include "avic/vlapic/apic_route.h"

#define VAPIC_TIMER_NONE UINT64_MAX /* no timer interrupt is due */
/* The shortest period doorbell gives a periodic guest timer (KVM's min_timer_period_us default):
 * the host timer it needs is then at most 5000 interrupts a second. */
#define VAPIC_TIMER_MIN_PERIOD_US 200

/* Bookkeeping for the APIC timer. The counter value is not stored: at bus tick `now` it is derived
 * from the count it held at `start` (start_count) and the divisor. start_count is 0 when the timer
 * is stopped. After the first expiry a periodic timer reloads from TMICT. */
struct vapic_timer {
	uint64_t start;       /* bus tick at which the counter held start_count */
	uint32_t start_count; /* counter value at `start`; 0: stopped */
	uint64_t deadline;    /* bus tick of the next expiry not yet posted, or VAPIC_TIMER_NONE */
};

struct vapic {
	uint8_t *page; /* the register page, 4 KiB aligned; set by the owner before vapic_reset() */
	uint32_t id;   /* initial APIC ID (CPUID): the x2APIC ID, and the xAPIC ID after reset */
	bool x2apic;   /* IA32_APIC_BASE.EXTD */
	bool enabled_hw;    /* IA32_APIC_BASE.EN */
	bool bsp;           /* IA32_APIC_BASE.BSP */
	uint64_t base_addr; /* IA32_APIC_BASE bits 51:12 */
	/* Errors detected since the last ESR write; an ESR write moves them into the ESR register
	 * (SDM 11.5.3). Updated atomically: a sender on another CPU may record a receive error. */
	uint32_t esr_pending;
	struct vapic_timer timer;
	/* Shortest period of a periodic timer, in bus ticks (0: none); set by the owner, kept
	 * across reset. */
	uint64_t timer_min_period;
};

/* What a register or MSR write asks the caller to do. vapic_write(), vapic_msr_write() and
 * vapic_base_write() clear it first. */
struct vapic_effects {
	bool send_ipi;    /* deliver `icr` (ICR_HI:ICR_LO, or the 64-bit x2APIC ICR) */
	uint64_t icr;     /* decode with apic_icr_decode(icr, x2apic of this vapic) */
	int eoi_vector;   /* vector whose ISR bit an EOI cleared, or -1 */
	bool eoi_level;   /* its TMR bit was set: broadcast the EOI to the IOAPIC */
	bool ldr_changed; /* LDR or DFR changed: AVIC logical table must follow */
	uint32_t old_ldr; /* their values before the change */
	uint32_t old_dfr;
	bool id_changed;        /* APIC ID register changed: AVIC physical table must follow */
	uint32_t old_id;        /* previous APIC ID (plain ID, not the xAPIC register layout) */
	bool timer_changed;     /* re-arm the host timer for vapic_timer_deadline() */
	bool sw_enable_changed; /* SVR software enable flipped */
	bool mode_changed;      /* EN or EXTD changed: switch xAPIC/x2APIC/disabled handling */
	bool base_changed;      /* APIC base address moved */
};

enum vapic_status {
	VAPIC_OK = 0,
	VAPIC_GP = 1, /* the access raises #GP(0) */
};

/* Power-up / RESET state (SDM 11.4.7.1): xAPIC mode, enabled, base 0xFEE00000, all registers at
 * their initial values. */
void vapic_reset(struct vapic *v, uint32_t apic_id, bool bsp);
/* INIT (SDM 11.4.7.3): as reset, but the APIC ID, IA32_APIC_BASE and the x2APIC mode are kept. */
void vapic_init_signal(struct vapic *v);

/* The APIC ID as a plain number: the x2APIC ID, or ID register bits 31:24 in xAPIC mode. */
uint32_t vapic_id(const struct vapic *v);

/* This APIC as destination routing sees it. */
void vapic_route_info(const struct vapic *v, struct apic_route_vcpu *out);

/* xAPIC MMIO access to the register at `offset` (16-byte aligned, < 0x1000; the caller rejects
 * other offsets and sizes). An offset that names no register sets ESR "illegal register address"
 * and reads as 0; writes to read-only registers are ignored; reserved bits are dropped. Only for
 * xAPIC mode: in x2APIC mode the MMIO window is not the APIC (SDM 11.12.1.2), so the caller does
 * not route accesses here. */
uint32_t vapic_read(struct vapic *v, unsigned offset, uint64_t now);
void vapic_write(struct vapic *v, unsigned offset, uint32_t value, uint64_t now,
                 struct vapic_effects *fx);

/* x2APIC RDMSR/WRMSR of 0x800-0x8FF (SDM 11.12.1): VAPIC_GP when not in x2APIC mode, for a
 * register that does not exist in x2APIC mode, a read of a write-only or write of a read-only
 * register, reserved bits set, a non-zero EOI or ESR write. */
enum vapic_status vapic_msr_read(struct vapic *v, uint32_t msr, uint64_t now, uint64_t *value);
enum vapic_status vapic_msr_write(struct vapic *v, uint32_t msr, uint64_t value, uint64_t now,
                                  struct vapic_effects *fx);

/* IA32_APIC_BASE (MSR 0x1B). A write is checked against MAXPHYADDR and the x2APIC state
 * transitions of SDM 11.12.5 (Figure 11-27); VAPIC_GP leaves everything unchanged. */
uint64_t vapic_base_read(const struct vapic *v);
enum vapic_status vapic_base_write(struct vapic *v, uint64_t value, unsigned maxphyaddr,
                                   struct vapic_effects *fx);

/* Post `vector` in the IRR, setting (level) or clearing (edge) its TMR bit first, as acceptance
 * does (SDM 11.8.4). Atomic and a full barrier, so a caller may then read where the target runs.
 * No legality check: see vapic_deliver_fixed(). Returns true if the IRR bit was newly set. */
bool vapic_set_irr(uint8_t *page, uint8_t vector, bool level_trigger);
/* Fixed (or chosen lowest-priority) interrupt arriving at this APIC: an illegal vector (0-15) is
 * not posted but sets ESR "receive illegal vector" (SDM 11.5.3). Returns true if an IRR bit was
 * newly set (the vector, or the LVT error vector), i.e. the target needs a kick. */
bool vapic_deliver_fixed(struct vapic *v, uint8_t vector, bool level_trigger);

/* Priority state, from the page alone (SDM 11.8.3.1). -1 means the bitmap is empty. */
int vapic_highest_irr(const uint8_t *page);
int vapic_highest_isr(const uint8_t *page);
uint8_t vapic_ppr(const uint8_t *page);
/* Highest IRR vector whose priority class is above the PPR class, or -1 (SDM 11.8.3). */
int vapic_pending_vector(const uint8_t *page);
/* CR8 as the TPR's priority class (SDM vol. 3, 11.8.6.1): read, and write (TPR[3:0] cleared, PPR
 * updated). */
uint8_t vapic_cr8(const uint8_t *page);
void vapic_set_cr8(uint8_t *page, uint8_t cr8);
/* An IRR vector is waiting that PPR (TPR or an in-service vector) holds back: lowering the TPR may
 * release it. */
bool vapic_blocked_by_priority(const uint8_t *page);
/* The CPU takes `vector` (the one vapic_pending_vector() returned): IRR -> ISR, PPR updated. */
void vapic_accept(uint8_t *page, uint8_t vector);
/* Under AVIC the guest reads ICR low from the backing page, which holds the value it wrote, with
 * the delivery status (send pending, read-only, SDM vol. 3, 11.6.1) it may have set and which an
 * accelerated write or a 401h exit for a target not running leaves there (docs/avic.md "ICR
 * delivery status"). doorbell delivers at once: clear it before each VMRUN. */
void vapic_icr_idle(uint8_t *page);

/* Timer. Divisor from TDCR (1..128), the period of TMICT counts in bus ticks, the current count at
 * `now`, and the bus tick at which the next interrupt is due (VAPIC_TIMER_NONE if none). */
unsigned vapic_timer_divisor(uint32_t tdcr);
uint64_t vapic_timer_period(uint32_t tdcr, uint32_t tmict);
uint32_t vapic_timer_current_count(const struct vapic *v, uint64_t now);
uint64_t vapic_timer_deadline(const struct vapic *v);
/* Call when the host timer fires (or any time): if the deadline has passed, posts the LVT timer
 * vector unless masked, and moves the deadline on (periods missed meanwhile coalesce into one
 * interrupt, as they would in the IRR). Returns true if an IRR bit was newly set. */
bool vapic_timer_poll(struct vapic *v, uint64_t now);

#endif
