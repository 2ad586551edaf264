/* The modelled machine: vCPU threads as svm/vm/vcpu.c runs them, the sender's ICR write, doorbells
 * in flight, and the struct delivery_ops through which avic/delivery.c reaches the model's
 * shared words. One system_apply() is one atomic step: one delivery_step(), one hardware step,
 * one scheduler or guest action, or the arrival of one doorbell. */
#include "avic/avic_table.h"
#include "avic/vlapic/vapic.h"
#include "tests/model/model.h"

#include <stdio.h>
#include <string.h>

/* avic/delivery.c sees vCPUs as opaque handles; the model's are indexes into the current state. */
struct vcpu {
	unsigned index;
};

static struct vcpu system_vcpu_handle[MODEL_MAX_VCPUS] = {{0}, {1}, {2}};
static struct vcpu *const system_vcpus[MODEL_MAX_VCPUS] = {
    &system_vcpu_handle[0], &system_vcpu_handle[1], &system_vcpu_handle[2]};

/* The state and configuration the current step works on (the ops have no context argument). */
static struct model_state *system_now;
static const struct model_config *system_config;
/* MODEL_NO_BARRIER: the running_on store of this step goes to the store buffer. */
static bool system_buffer_store;
static struct model_coverage system_covered;

const struct model_coverage *system_coverage(void)
{
	return &system_covered;
}

static struct model_vcpu *system_vcpu(struct vcpu *v)
{
	return &system_now->v[v->index];
}

static volatile int32_t *system_running_on(struct vcpu *v)
{
	struct model_vcpu *m = system_vcpu(v);
	if (system_buffer_store) {
		m->store_buffered = true;
		return &m->store_buffer;
	}
	return &m->running_on;
}

static volatile uint64_t *system_physical_entry(struct vcpu *v)
{
	return &system_vcpu(v)->entry;
}

static uint8_t *system_apic_page(struct vcpu *v)
{
	return system_vcpu(v)->page;
}

/* The guest always has IF=1: an IRR vector above the PPR is a wake event (vcpu_has_wake_event()).
 * NMI, INIT and SIPI are not modelled. */
static bool system_irr_pending(const struct model_vcpu *m)
{
	return vapic_pending_vector(m->page) >= 0;
}

static bool system_has_wake_event(struct vcpu *v)
{
	if (system_config->variant == MODEL_NO_RECHECK)
		return false;
	return system_irr_pending(system_vcpu(v));
}

/* sched_enqueue(): one more entry in its CPU's run queue. */
static void system_enqueue(struct model_vcpu *m)
{
	if (m->queued)
		m->queued_twice = true;
	m->queued++;
}

/* vcpu_wake(): BLOCKED -> RUNNABLE (the CAS), then sched_enqueue(). */
static bool system_wake(struct vcpu *v)
{
	struct model_vcpu *m = system_vcpu(v);
	if (m->state != MODEL_BLOCKED)
		return false;
	m->state = MODEL_RUNNABLE;
	system_enqueue(m);
	return true;
}

static void system_doorbell(uint32_t host_apic_id)
{
	system_now->doorbells |= (uint8_t)(1u << host_apic_id);
}

/* intremap_vcpu_update() on the model's one IRTE; in MODEL_IRTE_AFTER_CLEAR the put's update is
 * left to PHASE_IRTE_LATE. */
static void system_irte_apply(struct model_vcpu *m, int64_t host_apic_id, bool ga_log_intr)
{
	if (irte_lo_get_remap_en(m->irte.lo))
		m->irte = irte_with_vcpu(m->irte, host_apic_id, ga_log_intr);
}

static void system_irte_update(struct vcpu *v, int64_t host_apic_id, bool ga_log_intr)
{
	if (host_apic_id < 0 && system_config->variant == MODEL_IRTE_AFTER_CLEAR)
		return;
	system_irte_apply(system_vcpu(v), host_apic_id, ga_log_intr);
}

static struct delivery_ops system_ops = {
    .running_on = system_running_on,
    .physical_entry = system_physical_entry,
    .apic_page = system_apic_page,
    .has_wake_event = system_has_wake_event,
    .wake = system_wake,
    .doorbell = system_doorbell,
    .irte_update = system_irte_update,
};

/* What delivery step d is about to do in the current state, as a trace line's tail. */
static void system_step_text(const struct delivery *d, char *text, size_t size)
{
	unsigned t = d->vcpu ? d->vcpu->index : 0;
	const struct model_vcpu *m = &system_now->v[t];
	switch ((enum delivery_step)d->step) {
	case DELIVERY_SET_IRR:
		snprintf(text, size, "set IRR of vCPU%u", t);
		break;
	case DELIVERY_READ_RUNNING_ON:
		if (m->running_on == DELIVERY_NOWHERE)
			snprintf(text, size, "barrier, running_on(vCPU%u) = nowhere: wake it", t);
		else if ((uint32_t)m->running_on == d->host_apic_id)
			snprintf(text, size, "barrier, running_on(vCPU%u) = this CPU: nothing", t);
		else
			snprintf(text, size, "barrier, running_on(vCPU%u) = CPU%d: doorbell", t,
			         m->running_on);
		break;
	case DELIVERY_WAKE_TARGET:
	case DELIVERY_WAKE_SELF:
		snprintf(text, size, "wake vCPU%u: %s", t,
		         m->state == MODEL_BLOCKED ? "BLOCKED -> RUNNABLE" : "not blocked, no-op");
		break;
	case DELIVERY_PUBLISH_RUNNING_ON:
		snprintf(text, size, "running_on = CPU%u", d->host_apic_id);
		break;
	case DELIVERY_ENTRY_LOAD:
		snprintf(text, size, "physical table entry for schedule-in (%s)",
		         system_config->policy == AVIC_POLICY_STANDARD ? "IsRunning = 1"
		                                                       : "no IsRunning");
		break;
	case DELIVERY_IRTE_LOAD:
	case DELIVERY_IRTE_PUT:
		if (!irte_lo_get_remap_en(m->irte.lo)) {
			snprintf(text, size, "no IRTE targets it");
			break;
		}
		if (d->step == DELIVERY_IRTE_PUT) {
			snprintf(text, size, "IRTE: IsRun = 0, GALogIntr = %u%s", d->blocking,
			         system_config->variant == MODEL_IRTE_AFTER_CLEAR
			             ? " (moved after the put)"
			             : "");
			break;
		}
		snprintf(text, size, "IRTE: Destination = CPU%u, IsRun = 1, GALogIntr = 0",
		         d->host_apic_id);
		break;
	case DELIVERY_ENTRY_PUT:
		snprintf(text, size, "physical table entry for schedule-out (%s)",
		         system_config->policy == AVIC_POLICY_STANDARD ? "IsRunning = 0"
		                                                       : "unchanged");
		break;
	case DELIVERY_CLEAR_RUNNING_ON:
		snprintf(text, size, "running_on = nowhere, barrier%s",
		         system_buffer_store ? " (removed: the store waits in the store buffer)"
		                             : "");
		break;
	case DELIVERY_RECHECK:
		snprintf(text, size, "re-check wake events%s: %s",
		         system_config->variant == MODEL_NO_RECHECK ? " (removed)" : "",
		         system_has_wake_event(d->vcpu) ? "pending, wake self" : "none, sleep");
		break;
	case DELIVERY_DONE:
		snprintf(text, size, "done");
		break;
	}
}

/* The guest takes every pending vector (and EOIs it: the ISR is not modelled). */
static void system_take_interrupts(struct model_vcpu *m)
{
	for (unsigned i = 0; i < APIC_VECTOR_WORDS; i++)
		memset(m->page + APIC_IRR + i * APIC_REG_STRIDE, 0, sizeof(uint32_t));
}

static uint64_t system_targets(void)
{
	return ((1ull << system_config->vcpus) - 1) & ~1ull; /* all but the sender */
}

void system_init(struct model_state *s, const struct model_config *c)
{
	memset(s, 0, sizeof(*s));
	memset(&system_covered, 0, sizeof(system_covered));
	system_now = s;
	system_config = c;
	system_ops.policy = c->policy;
	for (unsigned i = 0; i < c->vcpus; i++) {
		struct model_vcpu *m = &s->v[i];
		m->entry = avic_table_physical_entry((i + 1) * PAGE_SIZE);
		m->running_on = DELIVERY_NOWHERE;
		m->state = MODEL_RUNNABLE;
		if (i != 0) {
			m->halts_left = (uint8_t)c->halts;
			m->preempts_left = (uint8_t)c->preempts;
		}
		if (i == 1 && c->device_irqs)
			m->irte = irte_guest(MODEL_DEVICE_VECTOR, (i + 1) * PAGE_SIZE, i);
		delivery_load(&system_ops, system_vcpus[i], i);
		m->phase = PHASE_GUEST;
	}
	s->s.pc = SENDER_GUEST;
	s->s.ipis_left = (uint8_t)c->ipis;
	s->io.pc = IOMMU_IDLE;
	s->io.irqs_left = (uint8_t)c->device_irqs;
}

unsigned system_transitions(const struct model_state *s, struct model_transition *out)
{
	const struct model_config *c = system_config;
	unsigned n = 0;
	const struct model_sender *sd = &s->s;
	if (sd->pc != SENDER_GUEST || sd->ipis_left) {
		out[n++] = (struct model_transition){T_SENDER, 0, 0};
		if (sd->pc == SENDER_HW_IS_RUNNING &&
		    hardware_stale_read_possible(&s->v[sd->target], c->erratum))
			out[n++] = (struct model_transition){T_SENDER, 0, 1};
	}
	/* A run queue with a vCPU in it twice is already broken: stop there, system_failure()
	 * reports it. */
	for (unsigned i = 1; i < c->vcpus; i++)
		if (s->v[i].queued_twice)
			return 0;
	for (unsigned i = 1; i < c->vcpus; i++) {
		const struct model_vcpu *m = &s->v[i];
		switch ((enum model_phase)m->phase) {
		case PHASE_GUEST:
			if (m->halts_left)
				out[n++] = (struct model_transition){T_VCPU, (uint8_t)i, 0};
			if (m->preempts_left)
				out[n++] = (struct model_transition){T_VCPU, (uint8_t)i, 1};
			break;
		case PHASE_OUT:
			/* A CPU drains its store buffer before the next store (x86 stores are
			 * seen in order), here the running_on of the next schedule-in. */
			if (m->state == MODEL_RUNNABLE && m->queued && !m->store_buffered)
				out[n++] = (struct model_transition){T_VCPU, (uint8_t)i, 0};
			break;
		default:
			out[n++] = (struct model_transition){T_VCPU, (uint8_t)i, 0};
			break;
		}
		if (m->store_buffered)
			out[n++] = (struct model_transition){T_FLUSH, (uint8_t)i, 0};
	}
	for (unsigned cpu = 0; cpu < c->vcpus; cpu++)
		if (s->doorbells & (1u << cpu))
			out[n++] = (struct model_transition){T_DOORBELL, (uint8_t)cpu, 0};
	if (s->io.pc != IOMMU_IDLE || s->io.irqs_left)
		out[n++] = (struct model_transition){T_IOMMU, 0, 0};
	if (s->io.handler_active || s->io.ga_log_pending)
		out[n++] = (struct model_transition){T_GA_LOG, 0, 0};
	/* The tick comes sooner or later; it changes something only when it wakes the vCPU. */
	for (unsigned i = 1; c->tick && i < c->vcpus; i++) {
		const struct model_vcpu *m = &s->v[i];
		if (irte_lo_get_remap_en(m->irte.lo) && m->phase == PHASE_OUT &&
		    m->state == MODEL_BLOCKED && system_irr_pending(m))
			out[n++] = (struct model_transition){T_TICK, (uint8_t)i, 0};
	}
	return n;
}

/* Counts the wake-ups a delivery step is about to perform. */
static void system_cover(const struct delivery *d)
{
	if (d->step != DELIVERY_WAKE_TARGET && d->step != DELIVERY_WAKE_SELF)
		return;
	if (system_now->v[d->vcpu->index].state != MODEL_BLOCKED)
		return;
	if (d->step == DELIVERY_WAKE_TARGET) {
		system_covered.sender_woke++;
		if (system_now->v[d->vcpu->index].phase != PHASE_OUT)
			system_covered.woke_loaded++;
	} else
		system_covered.self_woke++;
}

/* "vCPU<index><where>: <what step d is about to do>" */
static void system_trace_delivery(char *text, unsigned index, const char *where,
                                  const struct delivery *d)
{
	int n = snprintf(text, MODEL_TEXT, "vCPU%u%s: ", index, where);
	system_step_text(d, text + n, MODEL_TEXT - (size_t)n);
	system_cover(d);
}

/* One delivery step of vCPU m (its own load/put), tracking the erratum's pre-clear entry. */
static bool system_delivery_step(struct model_vcpu *m, char *text, unsigned index)
{
	uint64_t before = m->entry;
	system_buffer_store =
	    system_config->variant == MODEL_NO_BARRIER && m->d.step == DELIVERY_CLEAR_RUNNING_ON;
	system_trace_delivery(text, index, "", &m->d);
	bool done = delivery_step(&m->d, &system_ops);
	system_buffer_store = false;
	hardware_entry_written(m, before);
	return done;
}

/* The end of vcpu_run() for a preempted vCPU: back in its run queue once put. */
static void system_requeue(struct model_vcpu *m, char *text)
{
	if (!m->requeue)
		return;
	m->requeue = false;
	system_enqueue(m);
	strncat(text, "; back in its run queue", MODEL_TEXT - strlen(text) - 1);
}

static void system_vcpu_step(struct model_state *s, unsigned i, unsigned choice, char *text)
{
	struct model_vcpu *m = &s->v[i];
	switch ((enum model_phase)m->phase) {
	case PHASE_GUEST:
		if (choice == 0) {
			m->halts_left--;
			m->halted = true;
			m->phase = PHASE_HLT_CHECK;
			snprintf(text, MODEL_TEXT, "vCPU%u: guest HLT, #VMEXIT", i);
		} else {
			m->preempts_left--;
			delivery_put_begin(&m->d, system_vcpus[i], false);
			m->requeue = true;
			m->phase = PHASE_PUT;
			snprintf(text, MODEL_TEXT, "vCPU%u: preempted, #VMEXIT, put (not blocking)",
			         i);
		}
		break;
	case PHASE_HLT_CHECK:
		if (system_irr_pending(m)) {
			m->phase = PHASE_ENTRY;
			snprintf(text, MODEL_TEXT, "vCPU%u: wake event pending, stays", i);
		} else {
			m->phase = PHASE_SET_BLOCKED;
			snprintf(text, MODEL_TEXT, "vCPU%u: no wake event", i);
		}
		break;
	case PHASE_SET_BLOCKED:
		m->state = MODEL_BLOCKED;
		m->phase = PHASE_READ_STATE;
		snprintf(text, MODEL_TEXT, "vCPU%u: state = BLOCKED", i);
		break;
	case PHASE_READ_STATE:
		if (system_config->variant == MODEL_REREAD_STATE) {
			bool blocked = m->state == MODEL_BLOCKED;
			delivery_put_begin(&m->d, system_vcpus[i], blocked);
			m->requeue = !blocked;
			snprintf(text, MODEL_TEXT, "vCPU%u: re-reads state %s, put (%s)", i,
			         blocked ? "BLOCKED" : "RUNNABLE",
			         blocked ? "blocking" : "not blocking, then re-queue");
		} else {
			/* It left the loop because it blocked: a blocking put and no re-queue,
			 * whatever a waker has done to its state since (the waker queued it). */
			delivery_put_begin(&m->d, system_vcpus[i], true);
			snprintf(text, MODEL_TEXT, "vCPU%u: left the loop blocked: put (blocking)", i);
		}
		m->phase = PHASE_PUT;
		break;
	case PHASE_PUT:
		if (!system_delivery_step(m, text, i))
			break;
		if (system_config->variant == MODEL_IRTE_AFTER_CLEAR) {
			m->phase = PHASE_IRTE_LATE;
			break;
		}
		m->phase = PHASE_OUT;
		system_requeue(m, text);
		break;
	case PHASE_IRTE_LATE:
		system_irte_apply(m, -1, m->d.blocking);
		m->phase = PHASE_OUT;
		snprintf(text, MODEL_TEXT, "vCPU%u: IRTE: IsRun = 0, GALogIntr = %u (late)", i,
		         m->d.blocking);
		system_requeue(m, text);
		break;
	case PHASE_OUT:
		m->queued--;
		delivery_load_begin(&m->d, system_vcpus[i], i);
		m->phase = PHASE_LOAD;
		snprintf(text, MODEL_TEXT, "vCPU%u: scheduled in on CPU%u", i, i);
		break;
	case PHASE_LOAD:
		if (system_delivery_step(m, text, i))
			m->phase = PHASE_ENTRY;
		break;
	case PHASE_ENTRY:
		if (m->halted && !system_irr_pending(m)) {
			m->phase = PHASE_SET_BLOCKED;
			snprintf(text, MODEL_TEXT, "vCPU%u: halted, nothing pending", i);
			break;
		}
		snprintf(text, MODEL_TEXT, "vCPU%u: VMRUN%s", i,
		         system_irr_pending(m) ? ", takes the pending interrupt" : "");
		system_take_interrupts(m);
		m->halted = false;
		m->phase = PHASE_GUEST;
		break;
	}
}

/* The hypervisor's handling of #VMEXIT 401h: decode as svm/exit code would, and act. */
static void system_incomplete_ipi(struct model_state *s, char *text)
{
	struct model_sender *sd = &s->s;
	/* ICR as written: fixed, edge, destination shorthand "all excluding self" (0xC0000). */
	uint64_t icr = 0xC0000 | MODEL_VECTOR;
	uint64_t info2 = avic_incomplete_ipi_info2_set_id(0, AVIC_IPI_FAILURE_TARGET_NOT_RUNNING);
	info2 = avic_incomplete_ipi_info2_set_index(info2, sd->first_not_running);
	struct avic_incomplete_ipi ipi;
	avic_table_incomplete_ipi_decode(icr, info2, &ipi);
	enum avic_ipi_action action = avic_policy_incomplete_ipi_action(ipi.id);
	if (action != AVIC_IPI_ACTION_KICK_TARGETS) {
		fprintf(stderr, "model: 401h ID %u gave action %d, not a kick\n", ipi.id, action);
		__builtin_trap();
	}
	delivery_kick_targets_begin(&sd->d, system_vcpus, system_targets(), 0);
	sd->pc = SENDER_DELIVERY;
	snprintf(text, MODEL_TEXT,
	         "vCPU0: #VMEXIT AVIC_INCOMPLETE_IPI ID %u index %u: kick targets", ipi.id,
	         ipi.index);
}

static void system_post_next(struct model_sender *sd)
{
	delivery_post_begin(&sd->d, system_vcpus[sd->target], MODEL_VECTOR, false, 0);
	sd->pc = SENDER_DELIVERY;
}

static void system_sender_step(struct model_state *s, unsigned choice, char *text)
{
	struct model_sender *sd = &s->s;
	struct model_vcpu *t = &s->v[sd->target];
	uint32_t id;
	switch ((enum model_sender_pc)sd->pc) {
	case SENDER_GUEST:
		sd->ipis_left--;
		sd->target = 1;
		sd->target_not_running = false;
		if (system_config->policy == AVIC_POLICY_SOFT) {
			system_post_next(sd);
			snprintf(text, MODEL_TEXT,
			         "vCPU0: ICR write traps (soft): post to each target");
		} else {
			sd->pc = SENDER_HW_SET_IRR;
			snprintf(text, MODEL_TEXT, "vCPU0: ICR write, AVIC delivers");
		}
		break;
	case SENDER_HW_SET_IRR:
		hardware_set_irr(t, MODEL_VECTOR);
		sd->pc = SENDER_HW_IS_RUNNING;
		snprintf(text, MODEL_TEXT, "AVIC(CPU0): set IRR of vCPU%u", sd->target);
		break;
	case SENDER_HW_IS_RUNNING:
		system_covered.stale_reads += choice;
		if (hardware_is_running(t, choice, &id)) {
			system_doorbell(id);
			snprintf(text, MODEL_TEXT,
			         "AVIC(CPU0): vCPU%u IsRunning=1%s: doorbell to CPU%u", sd->target,
			         choice ? " (stale, erratum #1235)" : "", id);
		} else {
			if (!sd->target_not_running)
				sd->first_not_running = sd->target;
			sd->target_not_running = true;
			snprintf(text, MODEL_TEXT, "AVIC(CPU0): vCPU%u IsRunning=0", sd->target);
		}
		if (sd->target + 1u < system_config->vcpus) {
			sd->target++;
			sd->pc = SENDER_HW_SET_IRR;
		} else {
			sd->pc = sd->target_not_running ? SENDER_EXIT : SENDER_GUEST;
		}
		break;
	case SENDER_EXIT:
		system_incomplete_ipi(s, text);
		break;
	case SENDER_DELIVERY:
		system_trace_delivery(text, 0, " (host)", &sd->d);
		if (!delivery_step(&sd->d, &system_ops))
			break;
		if (system_config->policy == AVIC_POLICY_SOFT &&
		    sd->target + 1u < system_config->vcpus) {
			sd->target++;
			system_post_next(sd);
		} else {
			sd->pc = SENDER_GUEST;
		}
		break;
	}
}

/* The IOMMU posting a device interrupt through vCPU1's guest-mode IRTE. */
static void system_iommu_step(struct model_state *s, char *text)
{
	struct model_iommu *io = &s->io;
	struct model_vcpu *t = &s->v[1];
	switch ((enum model_iommu_pc)io->pc) {
	case IOMMU_IDLE:
		io->irqs_left--;
		io->seen = t->irte;
		if (system_config->iommu_split) {
			io->pc = IOMMU_SET_IRR;
			snprintf(text, MODEL_TEXT,
			         "IOMMU: device interrupt, reads the IRTE (IsRun=%u)",
			         (unsigned)irte_lo_get_is_run(io->seen.lo));
			break;
		}
		hardware_set_irr(t, MODEL_DEVICE_VECTOR);
		io->pc = IOMMU_ACT;
		snprintf(text, MODEL_TEXT,
		         "IOMMU: device interrupt, reads the IRTE (IsRun=%u), sets IRR of vCPU1",
		         (unsigned)irte_lo_get_is_run(io->seen.lo));
		break;
	case IOMMU_SET_IRR:
		hardware_set_irr(t, MODEL_DEVICE_VECTOR);
		io->pc = IOMMU_ACT;
		snprintf(text, MODEL_TEXT, "IOMMU: sets IRR of vCPU1");
		break;
	case IOMMU_ACT:
		if (irte_lo_get_is_run(io->seen.lo)) {
			uint32_t cpu = irte_destination(io->seen);
			system_doorbell(cpu);
			system_covered.iommu_doorbell++;
			snprintf(text, MODEL_TEXT, "IOMMU: IsRun=1: doorbell to CPU%u", cpu);
		} else if (irte_lo_get_ga_log_intr(io->seen.lo)) {
			io->ga_log_pending = true;
			snprintf(text, MODEL_TEXT, "IOMMU: IsRun=0, GALogIntr=1: GA log entry");
		} else {
			snprintf(text, MODEL_TEXT, "IOMMU: IsRun=0, GALogIntr=0: IRR only");
		}
		io->pc = IOMMU_IDLE;
		break;
	}
}

/* The GA log handler on CPU0: vcpu_kick() of the tagged vCPU, one delivery step at a time. */
static void system_ga_log_step(struct model_state *s, char *text)
{
	struct model_iommu *io = &s->io;
	if (!io->handler_active) {
		io->ga_log_pending = false;
		io->handler_active = true;
		delivery_kick_begin(&io->d, system_vcpus[1], 0);
		snprintf(text, MODEL_TEXT, "CPU0: GA log handler takes the entry: kick vCPU1");
		return;
	}
	if (io->d.step == DELIVERY_WAKE_TARGET && s->v[1].state == MODEL_BLOCKED)
		system_covered.ga_log_woke++;
	system_trace_delivery(text, 0, " (GA log)", &io->d);
	if (delivery_step(&io->d, &system_ops))
		io->handler_active = false;
}

void system_apply(struct model_state *s, const struct model_transition *t, char *text)
{
	system_now = s;
	switch ((enum model_transition_kind)t->kind) {
	case T_SENDER:
		system_sender_step(s, t->choice, text);
		break;
	case T_VCPU:
		system_vcpu_step(s, t->index, t->choice, text);
		break;
	case T_DOORBELL:
		s->doorbells &= (uint8_t) ~(1u << t->index);
		if (t->index != 0 && s->v[t->index].phase == PHASE_GUEST) {
			snprintf(text, MODEL_TEXT, "CPU%u: doorbell arrives in guest mode%s",
			         t->index,
			         system_irr_pending(&s->v[t->index]) ? ": interrupt taken" : "");
			system_covered.doorbell_taken += system_irr_pending(&s->v[t->index]);
			system_take_interrupts(&s->v[t->index]);
		} else {
			snprintf(text, MODEL_TEXT,
			         "CPU%u: doorbell arrives, vCPU%u not in guest mode: "
			         "ignored",
			         t->index, t->index);
		}
		break;
	case T_IOMMU:
		system_iommu_step(s, text);
		break;
	case T_GA_LOG:
		system_ga_log_step(s, text);
		break;
	case T_TICK:
		system_wake(system_vcpus[t->index]);
		snprintf(text, MODEL_TEXT,
		         "CPU%u: scheduler tick: vCPU%u blocked with vector 0x%x pending: woken",
		         t->index, t->index, vapic_pending_vector(s->v[t->index].page));
		break;
	case T_FLUSH:
		s->v[t->index].running_on = s->v[t->index].store_buffer;
		s->v[t->index].store_buffered = false;
		snprintf(text, MODEL_TEXT, "CPU%u: store running_on = %d becomes visible", t->index,
		         s->v[t->index].running_on);
		break;
	}
}

static size_t system_put(uint8_t *buf, size_t at, size_t size, const void *p, size_t n)
{
	if (at + n <= size)
		memcpy(buf + at, p, n);
	return at + n;
}

static size_t system_key_delivery(const struct delivery *d, uint8_t *buf, size_t at, size_t size)
{
	uint8_t b[5] = {d->step, d->vector, d->level_trigger, d->blocking,
	                (uint8_t)(d->vcpu ? d->vcpu->index : 0xff)};
	at = system_put(buf, at, size, b, sizeof(b));
	at = system_put(buf, at, size, &d->host_apic_id, sizeof(d->host_apic_id));
	return system_put(buf, at, size, &d->targets, sizeof(d->targets));
}

size_t system_key(const struct model_state *s, uint8_t *buf, size_t size)
{
	size_t at = 0;
	for (unsigned i = 0; i < system_config->vcpus; i++) {
		const struct model_vcpu *m = &s->v[i];
		uint8_t b[9] = {m->phase,  m->halts_left,     m->preempts_left,
		                m->halted, m->store_buffered, m->entry_cleared,
		                m->queued, m->queued_twice,   m->requeue};
		at = system_put(buf, at, size, b, sizeof(b));
		at = system_put(buf, at, size, &m->state, sizeof(m->state));
		at = system_put(buf, at, size, &m->running_on, sizeof(m->running_on));
		at = system_put(buf, at, size, &m->store_buffer, sizeof(m->store_buffer));
		at = system_put(buf, at, size, &m->entry, sizeof(m->entry));
		at = system_put(buf, at, size, &m->entry_before_clear,
		                sizeof(m->entry_before_clear));
		at = system_key_delivery(&m->d, buf, at, size);
		at = system_put(buf, at, size, &m->irte, sizeof(m->irte));
		for (unsigned w = 0; w < APIC_VECTOR_WORDS; w++)
			at = system_put(buf, at, size, m->page + APIC_IRR + w * APIC_REG_STRIDE, 4);
	}
	const struct model_sender *sd = &s->s;
	uint8_t b[6] = {
	    sd->pc,      sd->ipis_left, sd->target, sd->target_not_running, sd->first_not_running,
	    s->doorbells};
	at = system_put(buf, at, size, b, sizeof(b));
	at = system_key_delivery(&sd->d, buf, at, size);
	const struct model_iommu *io = &s->io;
	uint8_t ib[4] = {io->pc, io->irqs_left, io->ga_log_pending, io->handler_active};
	at = system_put(buf, at, size, ib, sizeof(ib));
	at = system_put(buf, at, size, &io->seen, sizeof(io->seen));
	return system_key_delivery(&io->d, buf, at, size);
}

enum model_failure system_failure(const struct model_state *s, char *text)
{
	for (unsigned i = 1; i < system_config->vcpus; i++) {
		const struct model_vcpu *m = &s->v[i];
		if (m->queued_twice) {
			snprintf(text, MODEL_TEXT,
			         "QUEUED TWICE: vCPU%u was put in its run queue while already in it",
			         i);
			return MODEL_QUEUED_TWICE;
		}
		if (m->phase == PHASE_OUT && m->state == MODEL_RUNNABLE && !m->queued) {
			snprintf(text, MODEL_TEXT,
			         "UNQUEUED: vCPU%u is runnable, not loaded and in no run queue", i);
			return MODEL_UNQUEUED;
		}
		if (!system_irr_pending(m))
			continue;
		if (m->state == MODEL_BLOCKED && m->phase == PHASE_OUT) {
			snprintf(text, MODEL_TEXT,
			         "LOST WAKE-UP: vCPU%u is blocked with vector 0x%x in "
			         "its IRR and nobody will wake it",
			         i, vapic_pending_vector(m->page));
			return MODEL_LOST_WAKEUP;
		}
		if (m->phase == PHASE_GUEST) {
			snprintf(text, MODEL_TEXT,
			         "STRANDED: vCPU%u runs with vector 0x%x in its IRR "
			         "and no doorbell on the way",
			         i, vapic_pending_vector(m->page));
			return MODEL_STRANDED;
		}
	}
	return MODEL_FINE;
}
