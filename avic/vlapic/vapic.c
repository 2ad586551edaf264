/* The virtual local APIC: register semantics on the register page (Intel SDM vol. 3 ch. 11,
 * AMD APM vol. 2 ch. 16). See vapic.h for the division of state and the concurrency rules. */
#include "avic/vlapic/vapic.h"

/* How software may access each register, indexed by offset >> 4 (SDM Tables 11-1 and 11-6). */
#define ACC_XAPIC_READ   0x1u
#define ACC_XAPIC_WRITE  0x2u
#define ACC_X2APIC_READ  0x4u
#define ACC_X2APIC_WRITE 0x8u
#define ACC_RW_BOTH      (ACC_XAPIC_READ | ACC_XAPIC_WRITE | ACC_X2APIC_READ | ACC_X2APIC_WRITE)
#define ACC_RO_BOTH      (ACC_XAPIC_READ | ACC_X2APIC_READ)

struct vapic_reg_access {
	uint8_t modes;      /* ACC_* */
	uint32_t writable;  /* bits a write stores */
	uint32_t read_only; /* bits that are not reserved but ignore writes */
};

/* LVT fields per entry (SDM Figure 11-8): every entry has a vector, delivery status and mask;
 * thermal, PMC and LINT0/1 have a delivery mode; LINT0/1 add polarity, remote IRR, trigger mode;
 * the timer adds its mode (one-shot/periodic only, see APIC_TIMER_TSC_DEADLINE). */
#define LVT_COMMON         (APIC_VECTOR_MASK | APIC_LVT_MASKED)
#define LVT_TIMER_WRITABLE (LVT_COMMON | (APIC_TIMER_PERIODIC << APIC_LVT_TIMER_MODE_SHIFT))
#define LVT_DM_WRITABLE    (LVT_COMMON | APIC_DELIVERY_MODE_MASK)
#define LVT_LINT_WRITABLE  (LVT_DM_WRITABLE | APIC_LVT_POLARITY_LOW | APIC_TRIGGER_LEVEL)
#define ICR_LO_WRITABLE                                                                            \
	(APIC_VECTOR_MASK | APIC_DELIVERY_MODE_MASK | APIC_DEST_LOGICAL | APIC_ICR_LEVEL_ASSERT |  \
	 APIC_TRIGGER_LEVEL | APIC_SHORTHAND_MASK)
#define SVR_WRITABLE (APIC_SVR_VECTOR | APIC_SVR_ENABLE | APIC_SVR_FOCUS_DISABLE)

#define REG(offset)       [(offset) >> 4]
#define REG_RANGE(offset) [((offset) >> 4)...(((offset) >> 4) + APIC_VECTOR_WORDS - 1)]

static const struct vapic_reg_access vapic_regs[APIC_PAGE_SIZE >> 4] = {
    /* The ID and LDR are software-writable in xAPIC mode only; in x2APIC mode they follow the
     * x2APIC ID (SDM 11.12.5.1, 11.12.10.2). */
    REG(APIC_ID) = {ACC_RO_BOTH | ACC_XAPIC_WRITE, APIC_XAPIC_ID_MASK, 0},
    REG(APIC_LVR) = {ACC_RO_BOTH, 0, 0},
    REG(APIC_TPR) = {ACC_RW_BOTH, APIC_PRIORITY_MASK, 0},
    REG(APIC_APR) = {ACC_XAPIC_READ, 0, 0},
    REG(APIC_PPR) = {ACC_RO_BOTH, 0, 0},
    /* EOI and ESR accept any value in xAPIC mode; in x2APIC mode only 0 (SDM Table 11-6). */
    REG(APIC_EOI) = {ACC_XAPIC_WRITE | ACC_X2APIC_WRITE, 0, 0},
    REG(APIC_RRD) = {ACC_XAPIC_READ, 0, 0},
    REG(APIC_LDR) = {ACC_RO_BOTH | ACC_XAPIC_WRITE, APIC_LDR_XAPIC_MASK, 0},
    REG(APIC_DFR) = {ACC_XAPIC_READ | ACC_XAPIC_WRITE, APIC_DFR_MODEL_MASK, 0},
    REG(APIC_SVR) = {ACC_RW_BOTH, SVR_WRITABLE, 0},
    REG_RANGE(APIC_ISR) = {ACC_RO_BOTH, 0, 0},
    REG_RANGE(APIC_TMR) = {ACC_RO_BOTH, 0, 0},
    REG_RANGE(APIC_IRR) = {ACC_RO_BOTH, 0, 0},
    REG(APIC_ESR) = {ACC_RW_BOTH, 0, 0},
    /* ICR: x2APIC accesses it as one 64-bit MSR at ICR_LO; ICR_HI alone is xAPIC only. */
    REG(APIC_ICR_LO) = {ACC_RW_BOTH, ICR_LO_WRITABLE, APIC_DELIVERY_STATUS},
    REG(APIC_ICR_HI) = {ACC_XAPIC_READ | ACC_XAPIC_WRITE, APIC_XAPIC_ID_MASK, 0},
    REG(APIC_LVT_TIMER) = {ACC_RW_BOTH, LVT_TIMER_WRITABLE, APIC_DELIVERY_STATUS},
    REG(APIC_LVT_THERMAL) = {ACC_RW_BOTH, LVT_DM_WRITABLE, APIC_DELIVERY_STATUS},
    REG(APIC_LVT_PMC) = {ACC_RW_BOTH, LVT_DM_WRITABLE, APIC_DELIVERY_STATUS},
    REG(APIC_LVT_LINT0) = {ACC_RW_BOTH, LVT_LINT_WRITABLE,
                           APIC_DELIVERY_STATUS | APIC_LVT_REMOTE_IRR},
    REG(APIC_LVT_LINT1) = {ACC_RW_BOTH, LVT_LINT_WRITABLE,
                           APIC_DELIVERY_STATUS | APIC_LVT_REMOTE_IRR},
    REG(APIC_LVT_ERROR) = {ACC_RW_BOTH, LVT_COMMON, APIC_DELIVERY_STATUS},
    REG(APIC_TMICT) = {ACC_RW_BOTH, 0xFFFFFFFFu, 0},
    REG(APIC_TMCCT) = {ACC_RO_BOTH, 0, 0},
    REG(APIC_TDCR) = {ACC_RW_BOTH, APIC_TDCR_MASK, 0},
    REG(APIC_SELF_IPI) = {ACC_X2APIC_WRITE, APIC_VECTOR_MASK, 0},
};

/* The LVT entries present (APIC_LVR_MAX_LVT + 1 of them), in LVR order. */
static const unsigned vapic_lvts[APIC_LVR_MAX_LVT + 1] = {
    APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PMC, APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_ERROR,
};

static bool vapic_is_lvt(unsigned offset)
{
	for (unsigned i = 0; i < ARRAY_SIZE(vapic_lvts); i++)
		if (vapic_lvts[i] == offset)
			return true;
	return false;
}

static void vapic_effects_clear(struct vapic_effects *fx)
{
	*fx = (struct vapic_effects){.eoi_vector = -1};
}

/* ---- vector bitmaps and priorities ---- */

static int vapic_highest_vector(const uint8_t *page, unsigned base)
{
	for (int word = APIC_VECTOR_WORDS - 1; word >= 0; word--) {
		uint32_t bits = apic_reg_read(page, base + (unsigned)word * APIC_REG_STRIDE);
		if (bits)
			return word * 32 + 31 - __builtin_clz(bits);
	}
	return -1;
}

static bool vapic_vector_test(const uint8_t *page, unsigned base, unsigned vector)
{
	return apic_reg_read(page, apic_vector_reg(base, vector)) & apic_vector_bit(vector);
}

/* Atomic so that a concurrent IRR post by another CPU or by AVIC is never lost. */
static uint32_t vapic_vector_set(uint8_t *page, unsigned base, unsigned vector)
{
	uint32_t *word = (uint32_t *)(void *)(page + apic_vector_reg(base, vector));
	return __atomic_fetch_or(word, apic_vector_bit(vector), __ATOMIC_SEQ_CST);
}

static void vapic_vector_clear(uint8_t *page, unsigned base, unsigned vector)
{
	uint32_t *word = (uint32_t *)(void *)(page + apic_vector_reg(base, vector));
	__atomic_fetch_and(word, ~apic_vector_bit(vector), __ATOMIC_SEQ_CST);
}

int vapic_highest_irr(const uint8_t *page)
{
	return vapic_highest_vector(page, APIC_IRR);
}

int vapic_highest_isr(const uint8_t *page)
{
	return vapic_highest_vector(page, APIC_ISR);
}

/* SDM 11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with sub-class 0, where ISRV is
 * the highest in-service vector (0 if none). */
uint8_t vapic_ppr(const uint8_t *page)
{
	uint8_t tpr = (uint8_t)apic_reg_read(page, APIC_TPR);
	int isr = vapic_highest_isr(page);
	uint8_t isrv = isr < 0 ? 0 : (uint8_t)isr;

	if ((tpr & APIC_PRIORITY_CLASS) >= (isrv & APIC_PRIORITY_CLASS))
		return tpr;
	return isrv & APIC_PRIORITY_CLASS;
}

/* The page keeps PPR current so that AVIC hardware, which reads PPR from the backing page, sees
 * the same value a trapped read computes. */
static void vapic_update_ppr(uint8_t *page)
{
	apic_reg_write(page, APIC_PPR, vapic_ppr(page));
}

/* CR8 is TPR[7:4] (SDM vol. 3, 11.8.6.1; APM vol. 2, 16.6.4): a CR8 write loads TPR[7:4] and clears
 * TPR[3:0]; a read returns TPR[7:4]. */
uint8_t vapic_cr8(const uint8_t *page)
{
	return (uint8_t)((apic_reg_read(page, APIC_TPR) & APIC_PRIORITY_CLASS) >> 4);
}

void vapic_set_cr8(uint8_t *page, uint8_t cr8)
{
	apic_reg_write(page, APIC_TPR, (uint32_t)(cr8 & 0xf) << 4);
	vapic_update_ppr(page);
}

bool vapic_blocked_by_priority(const uint8_t *page)
{
	return vapic_highest_irr(page) >= 0 && vapic_pending_vector(page) < 0;
}

/* SDM 11.8.3 / APM 16.6.3: arbitration priority as P6-family APICs defined it. If TPR[7:4] is at
 * least IRRV[7:4] and above ISRV[7:4], APR = TPR; otherwise APR = the highest of the three classes,
 * sub-class 0. Computed on read, never stored: the IRR it depends on changes under our feet. */
static uint8_t vapic_apr(const uint8_t *page)
{
	unsigned tpr = apic_reg_read(page, APIC_TPR) & APIC_PRIORITY_MASK;
	int irr = vapic_highest_irr(page), isr = vapic_highest_isr(page);
	unsigned irrv = irr < 0 ? 0 : (unsigned)irr & APIC_PRIORITY_CLASS;
	unsigned isrv = isr < 0 ? 0 : (unsigned)isr & APIC_PRIORITY_CLASS;
	unsigned tprc = tpr & APIC_PRIORITY_CLASS;

	if (tprc >= irrv && tprc > isrv)
		return (uint8_t)tpr;
	return (uint8_t)MAX(tprc, MAX(irrv, isrv));
}

int vapic_pending_vector(const uint8_t *page)
{
	int irr = vapic_highest_irr(page);

	if (irr < 0)
		return -1;
	if (((unsigned)irr & APIC_PRIORITY_CLASS) <= (vapic_ppr(page) & APIC_PRIORITY_CLASS))
		return -1;
	return irr;
}

void vapic_accept(uint8_t *page, uint8_t vector)
{
	vapic_vector_clear(page, APIC_IRR, vector);
	vapic_vector_set(page, APIC_ISR, vector);
	vapic_update_ppr(page);
}

/* The TMR bit is written before the IRR bit, so that whoever sees the IRR bit (the CPU accepting
 * it, AVIC) also sees the trigger mode that EOI will report. The IRR update is a locked RMW, a full
 * barrier: the caller may read the target's running state right after (docs/architecture.md,
 * "VMs and vCPUs"). */
bool vapic_set_irr(uint8_t *page, uint8_t vector, bool level_trigger)
{
	if (level_trigger)
		vapic_vector_set(page, APIC_TMR, vector);
	else
		vapic_vector_clear(page, APIC_TMR, vector);
	return !(vapic_vector_set(page, APIC_IRR, vector) & apic_vector_bit(vector));
}

static bool vapic_sw_enabled(const struct vapic *v)
{
	return apic_reg_read(v->page, APIC_SVR) & APIC_SVR_ENABLE;
}

/* ---- errors ---- */

/* Records an error for the next ESR write to latch and raises the LVT error interrupt (SDM
 * 11.5.3). An error vector that is itself illegal would report an error about the error
 * interrupt; the SDM leaves that undefined and doorbell drops it instead of recursing. */
static bool vapic_error(struct vapic *v, uint32_t esr_bit)
{
	uint32_t lvt = apic_reg_read(v->page, APIC_LVT_ERROR);
	uint8_t vector = (uint8_t)(lvt & APIC_VECTOR_MASK);

	__atomic_fetch_or(&v->esr_pending, esr_bit, __ATOMIC_SEQ_CST);
	if ((lvt & APIC_LVT_MASKED) || vector < APIC_FIRST_LEGAL_VECTOR)
		return false;
	return vapic_set_irr(v->page, vector, false);
}

bool vapic_deliver_fixed(struct vapic *v, uint8_t vector, bool level_trigger)
{
	if (vector < APIC_FIRST_LEGAL_VECTOR)
		return vapic_error(v, APIC_ESR_RECV_ILLEGAL_VECTOR);
	return vapic_set_irr(v->page, vector, level_trigger);
}

static void vapic_latch_esr(struct vapic *v)
{
	apic_reg_write(v->page, APIC_ESR,
	               __atomic_exchange_n(&v->esr_pending, 0, __ATOMIC_SEQ_CST));
}

/* ---- timer ---- */

unsigned vapic_timer_divisor(uint32_t tdcr)
{
	unsigned code = ((tdcr >> 1) & 4) | (tdcr & 3);
	return 1u << ((code + 1) & 7);
}

uint64_t vapic_timer_period(uint32_t tdcr, uint32_t tmict)
{
	return (uint64_t)tmict * vapic_timer_divisor(tdcr);
}

static bool vapic_timer_periodic(const uint8_t *page)
{
	uint32_t lvt = apic_reg_read(page, APIC_LVT_TIMER);
	return ((lvt & APIC_LVT_TIMER_MODE_MASK) >> APIC_LVT_TIMER_MODE_SHIFT) ==
	       APIC_TIMER_PERIODIC;
}

/* The counter decrements once every `divisor` bus ticks from start_count; on reaching 0 it raises
 * the interrupt and, in periodic mode, reloads TMICT (SDM 11.5.4). */
uint32_t vapic_timer_current_count(const struct vapic *v, uint64_t now)
{
	const struct vapic_timer *t = &v->timer;
	uint32_t tmict = apic_reg_read(v->page, APIC_TMICT);
	uint64_t elapsed;

	if (t->start_count == 0 || now < t->start)
		return t->start_count;
	elapsed = (now - t->start) / vapic_timer_divisor(apic_reg_read(v->page, APIC_TDCR));
	if (elapsed < t->start_count)
		return (uint32_t)(t->start_count - elapsed);
	if (!vapic_timer_periodic(v->page) || tmict == 0)
		return 0;
	return (uint32_t)(tmict - (elapsed - t->start_count) % tmict);
}

uint64_t vapic_timer_deadline(const struct vapic *v)
{
	return v->timer.deadline;
}

/* The bus tick of the next expiry after `now`, from the bookkeeping alone, or VAPIC_TIMER_NONE:
 * stopped, run out (one-shot), or masked. A masked timer keeps counting (the current count is
 * derived from `start`, SDM 11.5.1) but raises nothing, so it needs no host timer until it is
 * unmasked; a fast masked periodic timer would otherwise keep the host CPU in its timer interrupt.
 * A periodic timer fires at most once per timer_min_period bus ticks (as KVM's
 * min_timer_period_us): TMICT=1 at divide 1 would ask for an interrupt every bus tick. */
static void vapic_timer_arm(struct vapic *v, uint64_t now)
{
	const struct vapic_timer *t = &v->timer;
	uint64_t divisor = vapic_timer_divisor(apic_reg_read(v->page, APIC_TDCR));
	uint32_t tmict = apic_reg_read(v->page, APIC_TMICT);
	uint64_t next;

	v->timer.deadline = VAPIC_TIMER_NONE;
	if (t->start_count == 0 || (apic_reg_read(v->page, APIC_LVT_TIMER) & APIC_LVT_MASKED))
		return;
	uint64_t elapsed = now > t->start ? (now - t->start) / divisor : 0;
	if (elapsed < t->start_count) {
		next = t->start + t->start_count * divisor;
	} else {
		if (!vapic_timer_periodic(v->page) || tmict == 0)
			return;
		uint64_t periods = (elapsed - t->start_count) / tmict + 1;
		next = t->start + (t->start_count + periods * tmict) * divisor;
	}
	if (vapic_timer_periodic(v->page) && next - now < v->timer_min_period)
		next = now + v->timer_min_period;
	v->timer.deadline = next;
}

/* Restarts the bookkeeping at `now` with the counter at `count`. */
static void vapic_timer_load(struct vapic *v, uint32_t count, uint64_t now)
{
	v->timer.start = now;
	v->timer.start_count = count;
	vapic_timer_arm(v, now);
}

bool vapic_timer_poll(struct vapic *v, uint64_t now)
{
	uint64_t deadline = v->timer.deadline;
	uint32_t lvt = apic_reg_read(v->page, APIC_LVT_TIMER);
	uint64_t period = vapic_timer_period(apic_reg_read(v->page, APIC_TDCR),
	                                     apic_reg_read(v->page, APIC_TMICT));
	bool posted = false;

	if (deadline == VAPIC_TIMER_NONE || now < deadline)
		return false;
	/* Masked since it was armed (software disable): nothing to raise, nothing to arm. */
	if (lvt & APIC_LVT_MASKED) {
		v->timer.deadline = VAPIC_TIMER_NONE;
		return false;
	}
	posted = vapic_deliver_fixed(v, (uint8_t)(lvt & APIC_VECTOR_MASK), false);
	if (period < v->timer_min_period)
		period = v->timer_min_period;
	if (vapic_timer_periodic(v->page) && period)
		v->timer.deadline = deadline + ((now - deadline) / period + 1) * period;
	else
		v->timer.deadline = VAPIC_TIMER_NONE;
	return posted;
}

/* ---- identity and reset ---- */

uint32_t vapic_id(const struct vapic *v)
{
	uint32_t reg = apic_reg_read(v->page, APIC_ID);
	return v->x2apic ? reg : reg >> APIC_XAPIC_ID_SHIFT;
}

void vapic_route_info(const struct vapic *v, struct apic_route_vcpu *out)
{
	uint32_t id = vapic_id(v);

	*out = (struct apic_route_vcpu){
	    .apic_id = id,
	    .ldr = apic_reg_read(v->page, APIC_LDR),
	    .dfr = apic_reg_read(v->page, APIC_DFR),
	    .x2apic = v->x2apic,
	    .hw_enabled = v->enabled_hw,
	    .sw_enabled = v->enabled_hw && vapic_sw_enabled(v),
	    .ppr = vapic_ppr(v->page),
	    .arb_id = (uint8_t)id,
	};
}

static void vapic_write_id(struct vapic *v, uint32_t id)
{
	apic_reg_write(v->page, APIC_ID, v->x2apic ? id : (id & 0xFF) << APIC_XAPIC_ID_SHIFT);
}

/* Register values after RESET (SDM 11.4.7.1): everything 0 except DFR all ones, SVR 0xFF and
 * every LVT masked; the ID register holds the initial APIC ID. In x2APIC mode (reachable here
 * through INIT) the LDR is the one derived from the ID. */
static void vapic_reset_registers(struct vapic *v)
{
	for (unsigned offset = 0; offset < APIC_PAGE_SIZE; offset += sizeof(uint32_t))
		apic_reg_write(v->page, offset, 0);
	vapic_write_id(v, v->id);
	apic_reg_write(v->page, APIC_LVR, APIC_LVR_VALUE);
	apic_reg_write(v->page, APIC_DFR, 0xFFFFFFFFu);
	apic_reg_write(v->page, APIC_SVR, APIC_SVR_VECTOR);
	for (unsigned i = 0; i < ARRAY_SIZE(vapic_lvts); i++)
		apic_reg_write(v->page, vapic_lvts[i], APIC_LVT_MASKED);
	if (v->x2apic)
		apic_reg_write(v->page, APIC_LDR, apic_x2apic_ldr(v->id));
	v->esr_pending = 0;
	v->timer = (struct vapic_timer){.deadline = VAPIC_TIMER_NONE};
}

void vapic_reset(struct vapic *v, uint32_t apic_id, bool bsp)
{
	v->id = apic_id;
	v->x2apic = false;
	v->enabled_hw = true;
	v->bsp = bsp;
	v->base_addr = APIC_BASE_DEFAULT_ADDR;
	vapic_reset_registers(v);
}

/* INIT keeps the APIC ID register, whatever software wrote to it in xAPIC mode (SDM 11.4.7.3). */
void vapic_init_signal(struct vapic *v)
{
	uint32_t id_reg = apic_reg_read(v->page, APIC_ID);

	vapic_reset_registers(v);
	apic_reg_write(v->page, APIC_ID, id_reg);
}

/* ---- register writes ---- */

/* Effects are noted against the value before the first change of the write, so that the caller
 * can drop AVIC table entries for the old ID or logical ID. */
static void vapic_note_id(const struct vapic *v, uint32_t old_id, struct vapic_effects *fx)
{
	if (vapic_id(v) == old_id || fx->id_changed)
		return;
	fx->id_changed = true;
	fx->old_id = old_id;
}

static void vapic_note_logical(const struct vapic *v, uint32_t old_ldr, uint32_t old_dfr,
                               struct vapic_effects *fx)
{
	if (fx->ldr_changed || (apic_reg_read(v->page, APIC_LDR) == old_ldr &&
	                        apic_reg_read(v->page, APIC_DFR) == old_dfr))
		return;
	fx->ldr_changed = true;
	fx->old_ldr = old_ldr;
	fx->old_dfr = old_dfr;
}

/* Writes LDR and DFR (either may be the current value) and notes a change. */
static void vapic_set_logical(struct vapic *v, uint32_t ldr, uint32_t dfr, struct vapic_effects *fx)
{
	uint32_t old_ldr = apic_reg_read(v->page, APIC_LDR);
	uint32_t old_dfr = apic_reg_read(v->page, APIC_DFR);

	apic_reg_write(v->page, APIC_LDR, ldr);
	apic_reg_write(v->page, APIC_DFR, dfr);
	vapic_note_logical(v, old_ldr, old_dfr, fx);
}

/* EOI retires the highest in-service vector (SDM 11.8.5). A level-triggered one (TMR set) must be
 * broadcast to the IOAPICs so they clear their remote IRR, which the caller does. */
static void vapic_eoi(struct vapic *v, struct vapic_effects *fx)
{
	int vector = vapic_highest_isr(v->page);

	if (vector < 0)
		return;
	vapic_vector_clear(v->page, APIC_ISR, (unsigned)vector);
	vapic_update_ppr(v->page);
	fx->eoi_vector = vector;
	fx->eoi_level = vapic_vector_test(v->page, APIC_TMR, (unsigned)vector);
}

/* Clearing the software enable sets every LVT mask bit (SDM 11.4.7.2). */
static void vapic_write_svr(struct vapic *v, uint32_t value, struct vapic_effects *fx)
{
	uint32_t old = apic_reg_read(v->page, APIC_SVR);

	apic_reg_write(v->page, APIC_SVR, value);
	fx->sw_enable_changed = ((old ^ value) & APIC_SVR_ENABLE) != 0;
	if (value & APIC_SVR_ENABLE)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(vapic_lvts); i++) {
		uint32_t lvt = apic_reg_read(v->page, vapic_lvts[i]);
		apic_reg_write(v->page, vapic_lvts[i], lvt | APIC_LVT_MASKED);
	}
}

/* A fixed or lowest-priority message with a vector below 16 is not sent; the sender's ESR records
 * "send illegal vector" (SDM 11.5.3). Other delivery modes ignore the vector field. */
static void vapic_send(struct vapic *v, uint64_t icr, struct vapic_effects *fx)
{
	unsigned mode = ((uint32_t)icr & APIC_DELIVERY_MODE_MASK) >> APIC_DELIVERY_MODE_SHIFT;
	unsigned vector = (uint32_t)icr & APIC_VECTOR_MASK;

	if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < APIC_FIRST_LEGAL_VECTOR) {
		vapic_error(v, APIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	fx->send_ipi = true;
	fx->icr = icr;
}

/* The x2APIC SELF IPI register is a fixed, edge, self-directed IPI (SDM 11.12.11) that never
 * leaves this APIC, so it is posted here. */
static void vapic_self_ipi(struct vapic *v, uint8_t vector)
{
	if (vector < APIC_FIRST_LEGAL_VECTOR)
		vapic_error(v, APIC_ESR_SEND_ILLEGAL_VECTOR);
	else
		vapic_set_irr(v->page, vector, false);
}

/* A timer register changes: interrupts already due under the old settings are posted first, and
 * the caller re-arms its host timer afterwards. */
static void vapic_write_timer_reg(struct vapic *v, unsigned offset, uint32_t value, uint64_t now,
                                  struct vapic_effects *fx)
{
	bool was_periodic = vapic_timer_periodic(v->page);

	vapic_timer_poll(v, now);
	if (offset == APIC_TMICT) {
		/* Writing the initial count (re)starts the count; 0 stops it (SDM 11.5.4). */
		apic_reg_write(v->page, APIC_TMICT, value);
		vapic_timer_load(v, value, now);
	} else {
		/* A new divisor or mode applies from the current count onwards. */
		uint32_t count = vapic_timer_current_count(v, now);
		apic_reg_write(v->page, offset, value);
		if (offset == APIC_TDCR || vapic_timer_periodic(v->page) != was_periodic)
			vapic_timer_load(v, count, now);
		else
			vapic_timer_arm(v, now); /* masked or unmasked: armed only while unmasked */
	}
	fx->timer_changed = true;
}

/* Stores a write whose value has been reduced to the register's writable bits. */
static void vapic_write_reg(struct vapic *v, unsigned offset, uint32_t value, uint64_t now,
                            struct vapic_effects *fx)
{
	if (vapic_is_lvt(offset) && !vapic_sw_enabled(v))
		value |=
		    APIC_LVT_MASKED; /* masks stay set while software-disabled (SDM 11.4.7.2) */

	switch (offset) {
	case APIC_ID: {
		uint32_t old_id = vapic_id(v);
		vapic_write_id(v, value >> APIC_XAPIC_ID_SHIFT);
		vapic_note_id(v, old_id, fx);
		break;
	}
	case APIC_TPR:
		apic_reg_write(v->page, APIC_TPR, value);
		vapic_update_ppr(v->page);
		break;
	case APIC_EOI:
		vapic_eoi(v, fx);
		break;
	case APIC_LDR:
		vapic_set_logical(v, value, apic_reg_read(v->page, APIC_DFR), fx);
		break;
	case APIC_DFR:
		vapic_set_logical(v, apic_reg_read(v->page, APIC_LDR),
		                  value | APIC_DFR_RESERVED_ONES, fx);
		break;
	case APIC_SVR:
		vapic_write_svr(v, value, fx);
		break;
	case APIC_ESR:
		vapic_latch_esr(v);
		break;
	case APIC_ICR_LO:
		apic_reg_write(v->page, APIC_ICR_LO, value);
		vapic_send(v, ((uint64_t)apic_reg_read(v->page, APIC_ICR_HI) << 32) | value, fx);
		break;
	case APIC_LVT_TIMER:
	case APIC_TMICT:
	case APIC_TDCR:
		vapic_write_timer_reg(v, offset, value, now, fx);
		break;
	case APIC_SELF_IPI:
		vapic_self_ipi(v, (uint8_t)value);
		break;
	default:
		apic_reg_write(v->page, offset, value);
		break;
	}
}

/* ---- register reads ---- */

static uint32_t vapic_read_reg(struct vapic *v, unsigned offset, uint64_t now)
{
	switch (offset) {
	case APIC_APR:
		return vapic_apr(v->page);
	case APIC_PPR:
		/* TPR may have been written by AVIC hardware since PPR was last stored. */
		vapic_update_ppr(v->page);
		return apic_reg_read(v->page, APIC_PPR);
	case APIC_TMCCT:
		return vapic_timer_current_count(v, now);
	case APIC_ICR_LO:
		/* Delivery is immediate, so the message is never pending. */
		return apic_reg_read(v->page, APIC_ICR_LO) & ~APIC_DELIVERY_STATUS;
	default:
		return apic_reg_read(v->page, offset);
	}
}

void vapic_icr_idle(uint8_t *page)
{
	uint32_t icr = apic_reg_read(page, APIC_ICR_LO);
	if (icr & APIC_DELIVERY_STATUS)
		apic_reg_write(page, APIC_ICR_LO, icr & ~APIC_DELIVERY_STATUS);
}

static const struct vapic_reg_access *vapic_reg_lookup(unsigned offset)
{
	static const struct vapic_reg_access none;

	if (offset >= APIC_PAGE_SIZE || (offset & (APIC_REG_STRIDE - 1)))
		return &none;
	return &vapic_regs[offset >> 4];
}

/* Accesses to offsets that are no register set "illegal register address" (SDM 11.5.3); reads
 * of write-only registers return 0 and writes to read-only registers are dropped, silently. */
uint32_t vapic_read(struct vapic *v, unsigned offset, uint64_t now)
{
	const struct vapic_reg_access *acc = vapic_reg_lookup(offset);

	if (!(acc->modes & (ACC_XAPIC_READ | ACC_XAPIC_WRITE))) {
		vapic_error(v, APIC_ESR_ILLEGAL_REGISTER);
		return 0;
	}
	if (!(acc->modes & ACC_XAPIC_READ))
		return 0;
	return vapic_read_reg(v, offset, now);
}

void vapic_write(struct vapic *v, unsigned offset, uint32_t value, uint64_t now,
                 struct vapic_effects *fx)
{
	const struct vapic_reg_access *acc = vapic_reg_lookup(offset);

	vapic_effects_clear(fx);
	if (!(acc->modes & (ACC_XAPIC_READ | ACC_XAPIC_WRITE))) {
		vapic_error(v, APIC_ESR_ILLEGAL_REGISTER);
		return;
	}
	if (!(acc->modes & ACC_XAPIC_WRITE))
		return;
	vapic_write_reg(v, offset, value & acc->writable, now, fx);
}

/* ---- x2APIC MSRs ---- */

static const struct vapic_reg_access *vapic_msr_lookup(const struct vapic *v, uint32_t msr)
{
	static const struct vapic_reg_access none;

	if (!v->x2apic || msr < APIC_X2APIC_MSR_BASE || msr > APIC_X2APIC_MSR_LAST)
		return &none;
	return &vapic_regs[msr - APIC_X2APIC_MSR_BASE];
}

enum vapic_status vapic_msr_read(struct vapic *v, uint32_t msr, uint64_t now, uint64_t *value)
{
	const struct vapic_reg_access *acc = vapic_msr_lookup(v, msr);
	unsigned offset = APIC_X2APIC_MSR_OFFSET(msr);

	if (!(acc->modes & ACC_X2APIC_READ))
		return VAPIC_GP;
	*value = vapic_read_reg(v, offset, now);
	if (offset == APIC_ICR_LO)
		*value |= (uint64_t)apic_reg_read(v->page, APIC_ICR_HI) << 32;
	return VAPIC_OK;
}

/* Non-zero writes to reserved bits raise #GP in x2APIC mode (SDM 11.12.1.3); read-only fields
 * such as delivery status are not reserved and are ignored. The 64-bit ICR keeps the destination
 * in ICR_HI of the page, where AMD's x2AVIC keeps it too. */
enum vapic_status vapic_msr_write(struct vapic *v, uint32_t msr, uint64_t value, uint64_t now,
                                  struct vapic_effects *fx)
{
	const struct vapic_reg_access *acc = vapic_msr_lookup(v, msr);
	unsigned offset = APIC_X2APIC_MSR_OFFSET(msr);

	vapic_effects_clear(fx);
	if (!(acc->modes & ACC_X2APIC_WRITE))
		return VAPIC_GP;
	if (offset == APIC_ICR_LO) {
		if (value & APIC_X2APIC_ICR_RESERVED)
			return VAPIC_GP;
		value &= 0xFFFFFFFF00000000ull | acc->writable;
		apic_reg_write(v->page, APIC_ICR_HI, (uint32_t)(value >> 32));
		apic_reg_write(v->page, APIC_ICR_LO, (uint32_t)value);
		vapic_send(v, value, fx);
		return VAPIC_OK;
	}
	if (value & ~(uint64_t)(acc->writable | acc->read_only))
		return VAPIC_GP;
	vapic_write_reg(v, offset, (uint32_t)value & acc->writable, now, fx);
	return VAPIC_OK;
}

/* ---- IA32_APIC_BASE ---- */

uint64_t vapic_base_read(const struct vapic *v)
{
	return v->base_addr | (v->bsp ? APIC_BASE_BSP : 0) | (v->x2apic ? APIC_BASE_EXTD : 0) |
	       (v->enabled_hw ? APIC_BASE_EN : 0);
}

/* SDM 11.12.5.1, "x2APIC State Transitions" (Figure 11-27). States: disabled (EN=0, EXTD=0),
 * xAPIC (EN=1, EXTD=0), x2APIC (EN=1, EXTD=1); EN=0 with EXTD=1 is invalid. Legal: disabled ->
 * xAPIC, xAPIC -> x2APIC, xAPIC -> disabled, x2APIC -> disabled, and staying put. Illegal (#GP):
 * disabled -> x2APIC and x2APIC -> xAPIC. */
static bool vapic_base_transition_ok(const struct vapic *v, bool en, bool extd)
{
	if (extd && !en)
		return false;
	if (!v->enabled_hw && extd)
		return false;
	if (v->x2apic && en && !extd)
		return false;
	return true;
}

/* Entering x2APIC mode: the ID becomes the x2APIC ID and the LDR the one derived from it; the DFR
 * no longer exists (SDM 11.12.5.1). Other registers keep their values. */
static void vapic_enter_x2apic(struct vapic *v, struct vapic_effects *fx)
{
	uint32_t old_id = vapic_id(v);

	v->x2apic = true;
	vapic_write_id(v, v->id);
	vapic_note_id(v, old_id, fx);
	vapic_set_logical(v, apic_x2apic_ldr(v->id), 0xFFFFFFFFu, fx);
}

/* Global disable returns the APIC to its power-up state (SDM 11.4.3); re-enabling later finds it
 * there. */
static void vapic_disable(struct vapic *v, struct vapic_effects *fx)
{
	uint32_t old_id = vapic_id(v);
	uint32_t old_ldr = apic_reg_read(v->page, APIC_LDR);
	uint32_t old_dfr = apic_reg_read(v->page, APIC_DFR);
	bool was_sw_enabled = vapic_sw_enabled(v);

	v->x2apic = false;
	v->enabled_hw = false;
	vapic_reset_registers(v);
	vapic_note_id(v, old_id, fx);
	vapic_note_logical(v, old_ldr, old_dfr, fx);
	fx->timer_changed = true;
	fx->sw_enable_changed = was_sw_enabled;
}

enum vapic_status vapic_base_write(struct vapic *v, uint64_t value, unsigned maxphyaddr,
                                   struct vapic_effects *fx)
{
	uint64_t addr_mask = APIC_BASE_ADDR_MASK & ((1ull << maxphyaddr) - 1);
	uint64_t valid = addr_mask | APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN;
	bool en = value & APIC_BASE_EN, extd = value & APIC_BASE_EXTD;

	vapic_effects_clear(fx);
	if ((value & ~valid) || !vapic_base_transition_ok(v, en, extd))
		return VAPIC_GP;

	fx->base_changed = (value & addr_mask) != v->base_addr;
	fx->mode_changed = en != v->enabled_hw || extd != v->x2apic;
	v->base_addr = value & addr_mask;
	v->bsp = value & APIC_BASE_BSP;
	if (!en && v->enabled_hw)
		vapic_disable(v, fx);
	else if (en && !v->enabled_hw)
		v->enabled_hw = true; /* registers are at their power-up values since the disable */
	else if (extd && !v->x2apic)
		vapic_enter_x2apic(v, fx);
	return VAPIC_OK;
}
