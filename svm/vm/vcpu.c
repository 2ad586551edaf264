#include "svm/vm/vcpu.h"
#include "svm/vm/apic_emulate.h"
#include "avic/avic.h"
#include "avic/delivery.h"
#include "svm/vm/intremap.h"
#include "kernel/format.h"
#include "kernel/lapic.h"
#include "kernel/percpu.h"
#include "kernel/qemu.h"
#include "kernel/sched.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "svm/vm/exit.h"
#include "svm/cpu/msr.h"
#include "svm/cpu/spec.h"
#include "svm/svm.h"
#include "svm/vm/test_hooks.h"
#include "svm/vm/tpr_sync.h"
#include "svm/vm/vm.h"

bool vcpu_has_wake_event(struct vcpu *v)
{
	if (__atomic_load_n(&v->init_pending, __ATOMIC_ACQUIRE))
		return true;
	/* an NMI ends HLT unless NMIs are masked: halted inside an NMI handler, the next NMI waits
	 * for its IRET (SDM vol. 3, 6.7.1), and the vCPU for an interrupt (it spun through its run
	 * queue before: woken, nothing to inject, blocked again) */
	if (__atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&v->nmi_masked, __ATOMIC_ACQUIRE))
		return true;
	if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_WAIT_SIPI)
		return __atomic_load_n(&v->sipi_pending, __ATOMIC_ACQUIRE);
	/* HLT with IF=0 is only left through NMI, INIT or SIPI (APM vol. 3, HLT) */
	return (v->vmcb->save.rflags & RFLAGS_IF) && vapic_pending_vector(v->vapic.page) >= 0;
}

/* The delivery protocol of avic/delivery.c (also run by the model checker in tests/model) bound
 * to the hypervisor's vCPUs. */
static volatile int32_t *ops_running_on(struct vcpu *v)
{
	return &v->running_on;
}

static uint8_t *ops_apic_page(struct vcpu *v)
{
	return v->vapic.page;
}

/* A host IPI that forces the target out of guest mode. Also the kick for what only the hypervisor
 * can deliver (NMI, INIT, a stop), under every policy: an AVIC doorbell would make the target
 * evaluate its IRR in guest mode without an exit. */
static void ops_kick_exit(uint32_t host_apic_id)
{
	struct vcpu *self = this_cpu()->current;
	lapic_send_ipi(host_apic_id, VECTOR_KICK);
	if (self) {
		self->stats.event[EVENT_KICK_SENT]++;
		trace_record(self->trace, TRACE_KICK, host_apic_id, 0, 0);
	}
}

static void ops_doorbell(uint32_t host_apic_id)
{
	/* AVIC: the doorbell makes the target evaluate its IRR without an exit (and its next
	 * VMRUN does if it is in the hypervisor just now); soft: a host IPI forces an exit */
	if (!avic_enabled()) {
		ops_kick_exit(host_apic_id);
		return;
	}
	avic_ring_doorbell(host_apic_id);
	struct vcpu *self = this_cpu()->current;
	if (self) {
		self->stats.event[EVENT_DOORBELL]++;
		trace_record(self->trace, TRACE_DOORBELL, host_apic_id, 0, 0);
	}
}

/* The vCPU's guest-mode IRTEs follow it (svm/vm/intremap.h); counted per schedule event. */
static void ops_irte_update(struct vcpu *v, int64_t host_apic_id, bool ga_log_intr)
{
	unsigned n = intremap_vcpu_update(&v->intremap, host_apic_id, ga_log_intr);
	v->stats.event[host_apic_id >= 0 ? EVENT_IRTE_SCHED_IN : EVENT_IRTE_SCHED_OUT] += n;
	if (n)
		trace_record(v->trace, TRACE_IRTE, (uint64_t)host_apic_id, n, ga_log_intr);
}

/* A wake-up by the delivery protocol (a sender's, of a target it found not loaded, or a blocker's
 * own after its re-check); test-race=wake may delay it first. */
static bool ops_wake(struct vcpu *v)
{
	test_race_delay(TEST_RACE_WAKE);
	return vcpu_wake(v);
}

static volatile uint64_t *ops_physical_entry(struct vcpu *v)
{
	return avic_physical_entry(&v->vm->avic, v->index);
}

static struct delivery_ops vcpu_delivery = {
	.policy = AVIC_POLICY_SOFT,
	.running_on = ops_running_on,
	.physical_entry = ops_physical_entry,
	.apic_page = ops_apic_page,
	.has_wake_event = vcpu_has_wake_event,
	.wake = ops_wake,
	.doorbell = ops_doorbell,
	.irte_update = ops_irte_update,
};

static struct delivery_ops vcpu_exit_delivery;

void vcpu_delivery_init(void)
{
	vcpu_delivery.policy = avic_policy;
	vcpu_exit_delivery = vcpu_delivery;
	vcpu_exit_delivery.doorbell = ops_kick_exit;
}

void vcpu_load(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();
	cpu->current = v;
	v->stats.event[EVENT_SCHED_IN]++;
	v->load_tsc = rdtsc();
	v->last_cpu = (int32_t)cpu->index;
	/* A different vCPU (or VM) may have run here since: start with a clean TLB. This also
	 * meets AVIC's rule for multiprocessor VMs (TLB_CONTROL when another vCPU of the same VM
	 * ran on this core, APM 15.29.2.3). */
	v->vmcb->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	msr_vcpu_load(&v->msrs);
	/* branch predictions another VM's guest code trained on this CPU are dropped (IBPB) */
	if (spec_vcpu_load(v->vm->id + 1))
		v->stats.event[EVENT_IBPB]++;
	/* its FPU/SSE/AVX state, XCR0 and DR0-DR3, unless this CPU still holds them */
	uint32_t switches = v->lazy.switches;
	if (!lazy_regs_load(&v->lazy))
		vm_stop(v->vm, QEMU_EXIT_PANIC, false,
			"vCPU %u: loaded on CPU %u while its FPU state is live on CPU %d (a vCPU "
			"left its home CPU: hypervisor bug)",
			v->index, cpu->index, v->lazy.live_cpu);
	v->stats.event[EVENT_XSTATE_SWITCH] += v->lazy.switches - switches;
	delivery_load(&vcpu_delivery, v, cpu->apic_id);
	trace_record(v->trace, TRACE_LOAD, cpu->apic_id, avic_enabled() ? *ops_physical_entry(v) : 0,
		     0);
}

void vcpu_put(struct vcpu *v, bool blocking)
{
	this_cpu()->current = NULL;
	v->stats.event[EVENT_SCHED_OUT]++;
	v->put_tsc = rdtsc();
	/* The IOMMU's IRTEs not running, IsRunning cleared under standard, running_on cleared, full
	 * barrier, the IRR of a blocking vCPU re-checked: avic/delivery.c says why this order is
	 * what prevents lost wake-ups. */
	delivery_put(&vcpu_delivery, v, blocking);
	trace_record(v->trace, TRACE_PUT, blocking, avic_enabled() ? *ops_physical_entry(v) : 0, 0);
}

bool vcpu_wake(struct vcpu *v)
{
	uint32_t s = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
	for (;;) {
		if (s != VCPU_BLOCKED && s != VCPU_WAIT_SIPI)
			return false;
		if (s == VCPU_WAIT_SIPI && !__atomic_load_n(&v->sipi_pending, __ATOMIC_ACQUIRE))
			return false;
		if (__atomic_compare_exchange_n(&v->state, &s, VCPU_RUNNABLE, false,
						__ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE))
			break;
	}
	v->stats.event[EVENT_WAKE]++;
	struct vcpu *waker = this_cpu()->current;
	trace_record(v->trace, TRACE_WAKE, waker ? waker->index : (uint64_t)-1,
		     waker ? (uint64_t)waker->vm->id : (uint64_t)-1, 0);
	sched_enqueue(&v->sched);
	return true;
}

void vcpu_kick(struct vcpu *v)
{
	delivery_kick(&vcpu_delivery, v, this_cpu()->apic_id);
}

void vcpu_kick_exit(struct vcpu *v)
{
	delivery_kick(&vcpu_exit_delivery, v, this_cpu()->apic_id);
}

void vcpu_kick_targets(struct vcpu *const *vcpus, uint64_t targets)
{
	delivery_kick_targets(&vcpu_delivery, vcpus, targets, this_cpu()->apic_id);
}

static void vcpu_poll_timer(struct vcpu *v, uint64_t now_tsc)
{
	if (v->state == VCPU_STOPPED)
		return;
	if (vapic_timer_poll(&v->vapic, now_tsc))
		vcpu_kick(v);
}

/* The window of docs/iommu.md "Known limits" that no order closes: the IOMMU read an IRTE with
 * IsRun=1 before vcpu_put() changed it, and its IRR write lands after the put's re-check; its
 * doorbell went to a CPU that had left guest mode and no GA log entry was written. So a blocked
 * vCPU with guest-mode IRTEs is looked at on each scheduler tick of its home CPU (at most a time
 * slice apart, also when that CPU idles): such an interrupt is late by a tick, not lost. Only
 * vCPUs with IRTEs: IPIs keep relying on the delivery protocol alone, which the erratum
 * experiments measure and tests/model checks without this tick. */
static void vcpu_poll_posted(struct vcpu *v)
{
	if (!__atomic_load_n(&v->intremap.used, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) != VCPU_BLOCKED || !vcpu_has_wake_event(v))
		return;
	if (vcpu_wake(v))
		v->stats.event[EVENT_POSTED_RESCUE]++;
}

/* The vCPU's timer object: its deadline is the guest LAPIC timer's; on every tick of its home
 * CPU where the guest timer is idle, and whenever it is due, the guest timer is polled and a
 * blocked vCPU with guest-mode IRTEs looked at (vcpu_poll_posted). */
static uint64_t vcpu_timer_deadline(struct sched_timer *t)
{
	struct vcpu *v = container_of(t, struct vcpu, timer);
	if (v->state == VCPU_STOPPED)
		return SCHED_TIMER_NONE;
	uint64_t d = vapic_timer_deadline(&v->vapic);
	return d == VAPIC_TIMER_NONE ? SCHED_TIMER_NONE : d;
}

static void vcpu_timer_fire(struct sched_timer *t, uint64_t now_tsc)
{
	struct vcpu *v = container_of(t, struct vcpu, timer);
	vcpu_poll_timer(v, now_tsc);
	vcpu_poll_posted(v);
}

void vcpu_timer_changed(struct vcpu *v)
{
	(void)v; /* the timer object reads its deadline from v's vAPIC: re-arming is enough */
	sched_timer_rearm();
}

void vcpu_complete_insn(struct vcpu *v, uint64_t next_rip)
{
	struct vmcb *vmcb = v->vmcb;
	vmcb->save.rip = next_rip;
	/* the instruction in an STI or MOV SS shadow has completed: the shadow ends with it */
	vmcb->control.int_state = int_state_set_shadow(vmcb->control.int_state, 0);
	/* Single-step: with TF set at its start, a completed instruction is followed by a #DB trap
	 * with DR6.BS (APM vol. 2, 13.1.3.4), which the CPU would have raised had it executed it. */
	if ((vmcb->save.rflags & RFLAGS_TF) && !event_get_valid(vmcb->control.event_inj)) {
		vmcb->save.dr6 |= DR6_BS;
		vcpu_inject_exception(v, VECTOR_DB, false, 0);
	}
}

void vcpu_advance_rip(struct vcpu *v, unsigned len)
{
	vcpu_complete_insn(v, v->vmcb->save.rip + len);
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	uint64_t e = has_error ? event_make_with_error(EVENT_EXCEPTION, vector, error)
			       : event_make(EVENT_EXCEPTION, vector);
	v->vmcb->control.event_inj = e;
}

void vcpu_inject_nmi(struct vcpu *v)
{
	__atomic_store_n(&v->nmi_pending, true, __ATOMIC_RELEASE);
	vcpu_kick_exit(v);
}

/* Chooses what to inject before VMRUN: an event that an exit interrupted, an NMI, or the
 * highest-priority APIC interrupt the guest can take now; else asks for an interrupt window. */
static void vcpu_inject(struct vcpu *v)
{
	struct vmcb_control *c = &v->vmcb->control;
	if (event_get_valid(c->exit_int_info)) {
		/* Re-deliver what the exit interrupted (APM §15.7.2). */
		if (!event_get_valid(c->event_inj))
			c->event_inj = c->exit_int_info;
		c->exit_int_info = 0;
	}
	c->int_ctl = int_ctl_set_v_irq(c->int_ctl, 0);
	c->intercept_misc1 &= ~INTERCEPT_VINTR;
	if (event_get_valid(c->event_inj))
		return;
	bool shadow = int_state_get_shadow(c->int_state);
	if (v->nmi_pending && !v->nmi_masked && !shadow) {
		v->nmi_pending = false;
		v->nmi_masked = true; /* until the guest's IRET */
		c->intercept_misc1 |= INTERCEPT_IRET;
		c->event_inj = event_make(EVENT_NMI, VECTOR_NMI);
		return;
	}
	if (avic_enabled())
		return; /* AVIC delivers from the backing page's IRR itself */
	int vector = vapic_pending_vector(v->vapic.page);
	if (vector < 0)
		return;
	if ((v->vmcb->save.rflags & RFLAGS_IF) && !shadow) {
		vapic_accept(v->vapic.page, (uint8_t)vector);
		c->event_inj = event_make(EVENT_INTR, (uint8_t)vector);
		v->stats.event[EVENT_IRQ_INJECTED]++;
		return;
	}
	/* Not now: a virtual interrupt that only opens the window and makes a VINTR exit. */
	c->int_ctl = int_ctl_set_v_intr_prio(int_ctl_set_v_ign_tpr(int_ctl_set_v_irq(c->int_ctl, 1), 1),
					     0xf);
	c->intercept_misc1 |= INTERCEPT_VINTR;
}

/* Why vcpu_run() gives up its CPU, which decides who queues the vCPU next. */
enum vcpu_leave {
	LEAVE_NONE,
	LEAVE_PREEMPT, /* runnable, slice over: vcpu_run() queues it again */
	LEAVE_WAIT,    /* BLOCKED or WAIT_SIPI: whoever wakes it queues it (vcpu_wake, vm_stop) */
	LEAVE_STOP,    /* its VM is stopping: retired here */
};

/* At the top of each round. The vCPU is RUNNABLE here, and nobody but this CPU changes a
 * RUNNABLE vCPU's state (wakers and vm_stop() only move BLOCKED and WAIT_SIPI vCPUs). The time
 * slice is the scheduler's business (sched_should_yield). */
static enum vcpu_leave vcpu_should_leave(struct vcpu *v)
{
	if (__atomic_load_n(&v->vm->state, __ATOMIC_ACQUIRE) != VM_RUNNING)
		return LEAVE_STOP;
	return sched_should_yield() ? LEAVE_PREEMPT : LEAVE_NONE;
}

/* Publishes BLOCKED or WAIT_SIPI. From this store on, a waker may queue the vCPU at any moment
 * (even before this CPU has put it), so vcpu_run() must not queue it again: only the CAS that
 * takes it out of the waiting state owns the next enqueue. A vm_stop() that ran before the store
 * saw the vCPU RUNNABLE and only kicked it: the VM state is read again after the store (both
 * sides store, then load, SEQ_CST), and then this CPU tries to take the vCPU back to retire it. */
static enum vcpu_leave vcpu_wait(struct vcpu *v, uint32_t state)
{
	if (state == VCPU_BLOCKED) {
		v->stats.event[EVENT_BLOCK]++;
		trace_record(v->trace, TRACE_BLOCK, v->vmcb->save.rip, v->vmcb->save.rflags, 0);
	}
	__atomic_store_n(&v->state, state, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->vm->state, __ATOMIC_SEQ_CST) == VM_RUNNING)
		return LEAVE_WAIT;
	if (__atomic_compare_exchange_n(&v->state, &state, VCPU_RUNNABLE, false, __ATOMIC_SEQ_CST,
					__ATOMIC_ACQUIRE))
		return LEAVE_STOP;
	return LEAVE_WAIT; /* woken (and queued) meanwhile: that queue entry retires it */
}

/* Runs v on this CPU until it blocks, its slice ends, or its VM stops. */
static enum vcpu_leave vcpu_run(struct vcpu *v)
{
	uint64_t host_vmcb = svm_host_vmcb_pa();
	enum vcpu_leave why;
	while ((why = vcpu_should_leave(v)) == LEAVE_NONE) {
		if (apic_process_init_sipi(v)) {
			why = vcpu_wait(v, VCPU_WAIT_SIPI);
			break;
		}
		if (v->halted) {
			if (!vcpu_has_wake_event(v)) {
				why = vcpu_wait(v, VCPU_BLOCKED);
				break;
			}
			/* AVIC delivers the pending vector itself at VMRUN: resume the guest */
			if (avic_enabled())
				v->halted = false;
		}
		vcpu_inject(v);
		if (event_get_valid(v->vmcb->control.event_inj))
			v->halted = false;
		if (v->halted) {
			/* woken but not yet deliverable (e.g. a masked window): keep waiting */
			why = vcpu_wait(v, VCPU_BLOCKED);
			break;
		}
		tpr_sync_entry(v);
		if (avic_enabled())
			vapic_icr_idle(v->vapic.page);
		v->vmcb->save.rax = v->regs.gpr[GPR_RAX];
		v->vmcb->save.rsp = v->regs.gpr[GPR_RSP];
		trace_record(v->trace, TRACE_ENTRY, v->vmcb->save.rip, v->vmcb->save.rflags,
			     v->vmcb->control.event_inj);
		spec_guest_enter(v->msrs.spec_ctrl);
		svm_world_switch((uintptr_t)v->vmcb, &v->regs, host_vmcb);
		spec_guest_exit(v->msrs.spec_ctrl); /* first after the exit: RSB, host SPEC_CTRL */
		v->stats.event[EVENT_RSB_FILL]++;
		trace_record(v->trace, TRACE_EXIT, v->vmcb->control.exit_code,
			     v->vmcb->control.exit_info1, v->vmcb->control.exit_info2);
		v->regs.gpr[GPR_RAX] = v->vmcb->save.rax;
		v->regs.gpr[GPR_RSP] = v->vmcb->save.rsp;
		v->vmcb->control.tlb_control = TLB_CONTROL_DO_NOTHING;
		tpr_sync_exit(v);
		/* Take the host interrupt that caused an INTR exit (timer, kick) right here. */
		take_pending_interrupts();
		switch (exit_dispatch(v)) {
		case EXIT_RESUME:
			break;
		case EXIT_HALT:
			/* the next round blocks it, or resumes it for an event it can take */
			v->halted = true;
			break;
		case EXIT_STOP:
			return LEAVE_STOP;
		}
	}
	return why;
}

/* The scheduler's view of a vCPU (kernel/sched.h). */
static void vcpu_switch_in(struct sched_entity *e)
{
	vcpu_load(container_of(e, struct vcpu, sched));
}

static enum sched_outcome vcpu_sched_run(struct sched_entity *e)
{
	switch (vcpu_run(container_of(e, struct vcpu, sched))) {
	case LEAVE_PREEMPT:
		return SCHED_PREEMPTED;
	case LEAVE_WAIT:
		return SCHED_WAITING;
	default:
		return SCHED_RETIRED;
	}
}

static void vcpu_switch_out(struct sched_entity *e, enum sched_outcome outcome)
{
	struct vcpu *v = container_of(e, struct vcpu, sched);
	/* A waiting vCPU's put re-checks for a wake-up that raced with its sleep (delivery.c). The
	 * state is not read again here: a waker may have made it RUNNABLE and queued it already. */
	if (outcome == SCHED_WAITING)
		test_race_delay(TEST_RACE_PUT);
	vcpu_put(v, outcome == SCHED_WAITING);
	if (outcome == SCHED_RETIRED) {
		lazy_regs_drop(&v->lazy);
		/* retired on its home CPU, where its timer object is: gone before vm_destroy() */
		sched_timer_remove(v->sched.home_cpu, &v->timer);
		vm_vcpu_stopped(v);
	} else if (outcome == SCHED_PREEMPTED)
		v->stats.event[EVENT_PREEMPT]++;
}

static void vcpu_describe(struct sched_entity *e, char *buf, size_t size)
{
	struct vcpu *v = container_of(e, struct vcpu, sched);
	format(buf, size, "%s/%u", v->vm->name, v->index);
}

static const struct sched_entity_ops vcpu_sched_ops = {
	.switch_in = vcpu_switch_in,
	.run = vcpu_sched_run,
	.switch_out = vcpu_switch_out,
	.describe = vcpu_describe,
};

void vcpu_sched_init(struct vcpu *v, unsigned home_cpu)
{
	sched_entity_init(&v->sched, &vcpu_sched_ops, home_cpu);
	v->timer.deadline = vcpu_timer_deadline;
	v->timer.fire = vcpu_timer_fire;
}

bool vcpu_sched_start(struct vcpu *v)
{
	return sched_timer_add(v->sched.home_cpu, &v->timer);
}
