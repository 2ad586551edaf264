#include "avic/delivery.h"
#include "avic/vlapic/vapic.h"

/* Why these orders (the pairing every path below relies on):
 *
 *   sender:  IRR |= bit;  barrier;  r = running_on(target)
 *   blocker: running_on = nowhere;  barrier;  e = IRR (via has_wake_event)
 *
 * Both are store-then-load on two different words; with a full barrier between store and load
 * on each side, at least one side sees the other's store (the store-buffering litmus test is
 * forbidden). So either the blocker's re-check sees the IRR bit and it wakes itself, or the
 * sender sees running_on == nowhere and wakes the target, whose state is already BLOCKED (the
 * caller sets it before delivery_put()). A sender that still sees the old CPU rings a CPU that
 * is leaving guest mode, and then the blocker's re-check is what saves the interrupt. Drop
 * either barrier (x86 lets a load pass an earlier store, SDM vol. 3 9.2.3.4) or the re-check,
 * and an IPI sent while the target goes to sleep stays in its IRR until an unrelated event
 * wakes it: the lost wake-up tests/model finds in those variants.
 *
 * The AVIC hardware is the same kind of sender, with IsRunning in place of running_on. Erratum
 * #1235 breaks exactly its side of the pairing (it may act on IsRunning from before a clear),
 * which is why the errata policy never sets IsRunning: every IPI to another vCPU then exits,
 * and the exit handler is a sender that follows the pairing (delivery_kick_targets()).
 *
 * The IOMMU is a sender too, for device interrupts through a guest-mode IRTE: it sets the IRR
 * bit in the IRTE's GA root page, then acts on the IRTE: IsRun=1 -> doorbell to Destination;
 * IsRun=0 with GALogIntr=1 -> a GA log entry, whose handler kicks the vCPU (a sender that reads
 * running_on after the IRR bit is set). So put updates the IRTEs first (DELIVERY_IRTE_PUT, a
 * locked CMPXCHG16B: a full barrier), and only then clears running_on and re-checks the IRR:
 *   - an interrupt the IOMMU posts with the new entry is logged when we block, and the kick
 *     either finds running_on cleared and wakes us (state is BLOCKED already), or finds our CPU
 *     and rings it in vain; but then its IRR store came before the kick's running_on load and
 *     our running_on clear before our re-check: the re-check sees it (the pairing above);
 *   - one posted with the old entry (IsRun=1) rang this CPU as it left guest mode; its IRR bit
 *     is there for the re-check if the IOMMU wrote it before our update.
 * Updated after running_on instead, the IRTE would still send doorbells here and ask for no GA
 * log entry while running_on already said "nowhere": an interrupt posted in between reaches no
 * CPU in guest mode and wakes nobody, and a re-check made before its IRR write misses it for
 * good (tests/model finds this lost wake-up in the "IRTE after clear" variant). The IOMMU reads
 * the IRTE before it writes the IRR: an interrupt from an entry read before our CMPXCHG16B whose
 * IRR write lands after our re-check is not closed by any order of ours (Linux's
 * avic_vcpu_put() has the same window; tests/model shows it with "IOMMU split"). On load the
 * IRTEs go last: an interrupt posted before sees IsRun=0 and either is logged (the kick finds
 * running_on = this CPU, whose VMRUN evaluates the IRR) or only sets the IRR, which VMRUN sees. */

static void delivery_begin(struct delivery *d, enum delivery_step first, struct vcpu *v,
                           uint32_t host_apic_id)
{
	d->step = (uint8_t)first;
	d->vector = 0;
	d->level_trigger = false;
	d->blocking = false;
	d->host_apic_id = host_apic_id;
	d->vcpu = v;
	d->vcpus = NULL;
	d->targets = 0;
}

void delivery_post_begin(struct delivery *d, struct vcpu *target, uint8_t vector,
                         bool level_trigger, uint32_t self_apic_id)
{
	delivery_begin(d, DELIVERY_SET_IRR, target, self_apic_id);
	d->vector = vector;
	d->level_trigger = level_trigger;
}

void delivery_kick_begin(struct delivery *d, struct vcpu *target, uint32_t self_apic_id)
{
	delivery_begin(d, DELIVERY_READ_RUNNING_ON, target, self_apic_id);
}

/* Moves a multi-target kick on to its next target, or ends it. */
static enum delivery_step delivery_next_target(struct delivery *d)
{
	if (!d->targets)
		return DELIVERY_DONE;
	unsigned i = (unsigned)__builtin_ctzll(d->targets);
	d->targets &= d->targets - 1;
	d->vcpu = d->vcpus[i];
	return DELIVERY_READ_RUNNING_ON;
}

void delivery_kick_targets_begin(struct delivery *d, struct vcpu *const *vcpus, uint64_t targets,
                                 uint32_t self_apic_id)
{
	delivery_begin(d, DELIVERY_DONE, NULL, self_apic_id);
	d->vcpus = vcpus;
	d->targets = targets;
	d->step = (uint8_t)delivery_next_target(d);
}

void delivery_load_begin(struct delivery *d, struct vcpu *v, uint32_t host_apic_id)
{
	delivery_begin(d, DELIVERY_PUBLISH_RUNNING_ON, v, host_apic_id);
}

void delivery_put_begin(struct delivery *d, struct vcpu *v, bool blocking)
{
	delivery_begin(d, DELIVERY_IRTE_PUT, v, 0);
	d->blocking = blocking;
}

/* Rewrites v's physical APIC ID table entry. Only v's own CPU writes it (the CPU's AVIC only
 * reads it), so a plain load and an atomic store suffice; the store is SEQ_CST so that in put
 * it is visible before running_on is cleared. */
static void delivery_write_entry(const struct delivery_ops *ops, struct vcpu *v, bool load,
                                 uint32_t host_apic_id)
{
	if (ops->policy == AVIC_POLICY_SOFT)
		return;
	volatile uint64_t *entry = ops->physical_entry(v);
	uint64_t old = __atomic_load_n(entry, __ATOMIC_RELAXED);
	uint64_t new = load ? avic_entry_on_load(ops->policy, old, host_apic_id)
	                    : avic_entry_on_put(ops->policy, old);
	if (new != old)
		__atomic_store_n(entry, new, __ATOMIC_SEQ_CST);
}

/* The sender's load of running_on, after its IRR store. */
static enum delivery_step delivery_read_running_on(struct delivery *d,
                                                   const struct delivery_ops *ops)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	int32_t where = __atomic_load_n(ops->running_on(d->vcpu), __ATOMIC_SEQ_CST);
	if (where == DELIVERY_NOWHERE)
		return DELIVERY_WAKE_TARGET;
	/* Loaded on this very CPU: it is the sender itself, or it enters the guest after we
	 * return, and VMRUN evaluates the IRR (APM 15.29.8.3). */
	if ((uint32_t)where != d->host_apic_id)
		ops->doorbell((uint32_t)where);
	return delivery_next_target(d);
}

bool delivery_step(struct delivery *d, const struct delivery_ops *ops)
{
	enum delivery_step next = DELIVERY_DONE;
	switch ((enum delivery_step)d->step) {
	case DELIVERY_SET_IRR:
		/* vapic_set_irr() is an atomic RMW and a full barrier. */
		vapic_set_irr(ops->apic_page(d->vcpu), d->vector, d->level_trigger);
		next = DELIVERY_READ_RUNNING_ON;
		break;
	case DELIVERY_READ_RUNNING_ON:
		next = delivery_read_running_on(d, ops);
		break;
	case DELIVERY_WAKE_TARGET:
		/* Not loaded: if it is blocked it sleeps until woken; if it is runnable (preempted,
		 * or being loaded) its next VMRUN sees the IRR and wake() does nothing. */
		ops->wake(d->vcpu);
		next = delivery_next_target(d);
		break;
	case DELIVERY_PUBLISH_RUNNING_ON:
		__atomic_store_n(ops->running_on(d->vcpu), (int32_t)d->host_apic_id,
		                 __ATOMIC_SEQ_CST);
		next = DELIVERY_ENTRY_LOAD;
		break;
	case DELIVERY_ENTRY_LOAD:
		/* After running_on: IsRunning (standard policy) never says "running" while
		 * running_on says nowhere, so whoever acts on either reaches the same CPU. */
		delivery_write_entry(ops, d->vcpu, true, d->host_apic_id);
		next = DELIVERY_IRTE_LOAD;
		break;
	case DELIVERY_IRTE_LOAD:
		/* Last: see the top of this file. */
		if (ops->irte_update)
			ops->irte_update(d->vcpu, d->host_apic_id, false);
		next = DELIVERY_DONE;
		break;
	case DELIVERY_IRTE_PUT:
		/* First, before running_on is cleared: see the top of this file. */
		if (ops->irte_update)
			ops->irte_update(d->vcpu, -1, d->blocking);
		next = DELIVERY_ENTRY_PUT;
		break;
	case DELIVERY_ENTRY_PUT:
		delivery_write_entry(ops, d->vcpu, false, 0);
		next = DELIVERY_CLEAR_RUNNING_ON;
		break;
	case DELIVERY_CLEAR_RUNNING_ON:
		/* Store, then a full barrier before the re-check loads the IRR: see the top of
		 * this file. Without the barrier the re-check may read the IRR before a sender can
		 * see running_on cleared, and both sides miss each other. */
		__atomic_store_n(ops->running_on(d->vcpu), DELIVERY_NOWHERE, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		next = d->blocking ? DELIVERY_RECHECK : DELIVERY_DONE;
		break;
	case DELIVERY_RECHECK:
		/* A sender that set the IRR before our clear may have rung a CPU we are leaving
		 * and not woken us: this look is what catches its interrupt. */
		next = ops->has_wake_event(d->vcpu) ? DELIVERY_WAKE_SELF : DELIVERY_DONE;
		break;
	case DELIVERY_WAKE_SELF:
		ops->wake(d->vcpu);
		next = DELIVERY_DONE;
		break;
	case DELIVERY_DONE:
		break;
	}
	d->step = (uint8_t)next;
	return next == DELIVERY_DONE;
}

void delivery_run(struct delivery *d, const struct delivery_ops *ops)
{
	while (d->step != DELIVERY_DONE)
		delivery_step(d, ops);
}

void delivery_post(const struct delivery_ops *ops, struct vcpu *target, uint8_t vector,
                   bool level_trigger, uint32_t self_apic_id)
{
	struct delivery d;
	delivery_post_begin(&d, target, vector, level_trigger, self_apic_id);
	delivery_run(&d, ops);
}

void delivery_kick(const struct delivery_ops *ops, struct vcpu *target, uint32_t self_apic_id)
{
	struct delivery d;
	delivery_kick_begin(&d, target, self_apic_id);
	delivery_run(&d, ops);
}

void delivery_kick_targets(const struct delivery_ops *ops, struct vcpu *const *vcpus,
                           uint64_t targets, uint32_t self_apic_id)
{
	struct delivery d;
	delivery_kick_targets_begin(&d, vcpus, targets, self_apic_id);
	delivery_run(&d, ops);
}

void delivery_load(const struct delivery_ops *ops, struct vcpu *v, uint32_t host_apic_id)
{
	struct delivery d;
	delivery_load_begin(&d, v, host_apic_id);
	delivery_run(&d, ops);
}

void delivery_put(const struct delivery_ops *ops, struct vcpu *v, bool blocking)
{
	struct delivery d;
	delivery_put_begin(&d, v, blocking);
	delivery_run(&d, ops);
}
