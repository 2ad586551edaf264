#include "svm/vcpu.h"
#include "avic/apic_emulate.h"
#include "avic/avic.h"
#include "kernel/lapic.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "svm/exit.h"
#include "svm/svm.h"
#include "svm/vm.h"

bool vcpu_has_wake_event(struct vcpu *v)
{
	if (__atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&v->init_pending, __ATOMIC_ACQUIRE))
		return true;
	if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_WAIT_SIPI)
		return __atomic_load_n(&v->sipi_pending, __ATOMIC_ACQUIRE);
	/* HLT with IF=0 is only left through NMI, INIT or SIPI (APM vol. 3, HLT) */
	return (v->vmcb->save.rflags & RFLAGS_IF) && vapic_pending_vector(v->vapic.page) >= 0;
}

void vcpu_load(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();
	cpu->current = v;
	v->stats.event[EVENT_SCHED_IN]++;
	/* A different vCPU (or VM) may have run here since: start with a clean TLB. */
	v->vmcb->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	avic_vcpu_load(v, cpu->apic_id);
	__atomic_store_n(&v->running_on, (int32_t)cpu->apic_id, __ATOMIC_SEQ_CST);
}

void vcpu_put(struct vcpu *v, bool blocking)
{
	this_cpu()->current = NULL;
	v->stats.event[EVENT_SCHED_OUT]++;
	avic_vcpu_put(v);
	/* Clear running_on, full barrier, then look at the APIC page again. A sender sets the IRR
	 * bit, full barrier, then reads running_on: if it read our APIC ID it kicked a CPU that is
	 * leaving guest mode anyway, so either it saw running_on == -1 and wakes us (state is
	 * already BLOCKED), or we see its IRR bit here. Without this order an IPI sent while we
	 * go to sleep is lost until some unrelated event wakes the vCPU. */
	__atomic_store_n(&v->running_on, -1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (blocking && vcpu_has_wake_event(v))
		vcpu_wake(v);
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
	sched_enqueue(v);
	return true;
}

void vcpu_kick(struct vcpu *v)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the IRR write is visible before we look */
	int32_t where = __atomic_load_n(&v->running_on, __ATOMIC_SEQ_CST);
	struct percpu *self = this_cpu();
	if (where >= 0) {
		if ((uint32_t)where != self->apic_id) {
			/* AVIC: the doorbell makes the target evaluate its IRR without an exit
			 * (and its next VMRUN does if it is in the hypervisor just now) */
			if (avic_enabled())
				avic_ring_doorbell((uint32_t)where);
			else
				lapic_send_ipi((uint32_t)where, VECTOR_KICK);
			if (self->current)
				self->current->stats.event[avic_enabled() ? EVENT_DOORBELL
									: EVENT_KICK_SENT]++;
		}
		return;
	}
	vcpu_wake(v);
}

void vcpu_poll_timer(struct vcpu *v, uint64_t now_tsc)
{
	if (v->state == VCPU_STOPPED)
		return;
	if (vapic_timer_poll(&v->vapic, now_tsc))
		vcpu_kick(v);
}

uint64_t vcpu_timer_deadline(struct vcpu *v)
{
	return v->state == VCPU_STOPPED ? VAPIC_TIMER_NONE : vapic_timer_deadline(&v->vapic);
}

void vcpu_advance_rip(struct vcpu *v, unsigned len)
{
	v->vmcb->save.rip += len;
	v->vmcb->control.int_state &= ~INT_SHADOW;
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	uint64_t e = EVENT_VALID | EVENT_TYPE_EXCEPTION | vector;
	if (has_error)
		e |= EVENT_ERROR_VALID | ((uint64_t)error << 32);
	v->vmcb->control.event_inj = e;
}

void vcpu_inject_nmi(struct vcpu *v)
{
	__atomic_store_n(&v->nmi_pending, true, __ATOMIC_RELEASE);
	vcpu_kick(v);
}

/* Chooses what to inject before VMRUN: an event that an exit interrupted, an NMI, or the
 * highest-priority APIC interrupt the guest can take now; else asks for an interrupt window. */
static void vcpu_inject(struct vcpu *v)
{
	struct vmcb_control *c = &v->vmcb->control;
	if (c->exit_int_info & EVENT_VALID) {
		/* Re-deliver what the exit interrupted (APM §15.7.2). */
		if (!(c->event_inj & EVENT_VALID))
			c->event_inj = c->exit_int_info;
		c->exit_int_info = 0;
	}
	c->int_ctl &= ~V_IRQ;
	c->intercept_misc1 &= ~INTERCEPT_VINTR;
	if (c->event_inj & EVENT_VALID)
		return;
	bool shadow = c->int_state & INT_SHADOW;
	if (v->nmi_pending && !v->nmi_masked && !shadow) {
		v->nmi_pending = false;
		v->nmi_masked = true; /* until the guest's IRET */
		c->intercept_misc1 |= INTERCEPT_IRET;
		c->event_inj = EVENT_VALID | EVENT_TYPE_NMI | 2;
		return;
	}
	if (avic_enabled())
		return; /* AVIC delivers from the backing page's IRR itself */
	int vector = vapic_pending_vector(v->vapic.page);
	if (vector < 0)
		return;
	if ((v->vmcb->save.rflags & RFLAGS_IF) && !shadow) {
		vapic_accept(v->vapic.page, (uint8_t)vector);
		c->event_inj = EVENT_VALID | EVENT_TYPE_INTR | (uint64_t)vector;
		v->stats.event[EVENT_IRQ_INJECTED]++;
		return;
	}
	/* Not now: a virtual interrupt that only opens the window and makes a VINTR exit. */
	c->int_ctl |= V_IRQ | V_IGN_TPR | (0xfull << V_INTR_PRIO_SHIFT);
	c->intercept_misc1 |= INTERCEPT_VINTR;
}

static bool vcpu_can_continue(struct vcpu *v, struct sched_cpu *s)
{
	if (s->need_resched && !__atomic_load_n(&s->head, __ATOMIC_ACQUIRE) &&
	    this_cpu()->index != 0) {
		/* The slice ended but nobody waits for this CPU: keep going, a new slice. CPU 0
		 * always goes back to its loop, which drains guest output and watches timeout=. */
		s->need_resched = false;
		s->slice_start_tsc = rdtsc();
		sched_arm_timer();
	}
	return __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_RUNNABLE &&
	       v->vm->state == VM_RUNNING && !s->need_resched;
}

void vcpu_run(struct vcpu *v)
{
	struct sched_cpu *s = this_cpu()->sched;
	uint64_t host_vmcb = svm_host_vmcb_pa();
	vcpu_load(v);
	while (vcpu_can_continue(v, s)) {
		apic_process_init_sipi(v);
		if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) != VCPU_RUNNABLE)
			break;
		if (v->halted && !vcpu_has_wake_event(v)) {
			__atomic_store_n(&v->state, VCPU_BLOCKED, __ATOMIC_SEQ_CST);
			v->stats.event[EVENT_BLOCK]++;
			break;
		}
		vcpu_inject(v);
		if (v->vmcb->control.event_inj & EVENT_VALID)
			v->halted = false;
		if (v->halted) {
			/* woken but not yet deliverable (e.g. a masked window): keep waiting */
			__atomic_store_n(&v->state, VCPU_BLOCKED, __ATOMIC_SEQ_CST);
			v->stats.event[EVENT_BLOCK]++;
			break;
		}
		v->vmcb->save.rax = v->regs.gpr[GPR_RAX];
		v->vmcb->save.rsp = v->regs.gpr[GPR_RSP];
		svm_world_switch((uintptr_t)v->vmcb, &v->regs, host_vmcb);
		v->regs.gpr[GPR_RAX] = v->vmcb->save.rax;
		v->regs.gpr[GPR_RSP] = v->vmcb->save.rsp;
		v->vmcb->control.tlb_control = TLB_CONTROL_DO_NOTHING;
		/* Take the host interrupt that caused an INTR exit (timer, kick) right here. */
		__asm__ volatile("sti; nop; cli" ::: "memory");
		exit_dispatch(v);
	}
	/* Only a vCPU that left while runnable goes back in line here; a blocked or waiting one
	 * is queued by whoever wakes it (possibly already, on another CPU). */
	uint32_t state = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
	vcpu_put(v, state == VCPU_BLOCKED);
	if (v->vm->state != VM_RUNNING) {
		vm_vcpu_stopped(v);
		return;
	}
	if (state == VCPU_RUNNABLE) {
		v->stats.event[EVENT_PREEMPT]++;
		sched_enqueue(v);
	}
}
