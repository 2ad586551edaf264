#include "kernel/sched.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/frame.h"
#include "kernel/lapic.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "svm/platform/platform.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"

static struct sched_cpu *sched_of(unsigned cpu)
{
	return percpu_by_index[cpu]->sched;
}

static void sched_timer_interrupt(struct trap_frame *f)
{
	(void)f;
	struct sched_cpu *s = this_cpu()->sched;
	uint64_t now = rdtsc();
	if (now - s->slice_start_tsc >= SCHED_SLICE_US * (tsc_hz / 1000000))
		s->need_resched = true;
	/* vCPUs living here: post their due guest LAPIC timer interrupts, wake the halted, and
	 * wake the blocked that a posted device interrupt missed (vcpu_poll_posted()). */
	for (unsigned i = 0; i < s->homed_count; i++) {
		vcpu_poll_timer(s->homed[i], now);
		vcpu_poll_posted(s->homed[i]);
	}
	/* One-shot: the next event (slice end or the next guest timer) needs a new arming, or a
	 * guest timer that fired before the slice ended would leave the slice without an end. */
	sched_arm_timer();
}

static void sched_kick_interrupt(struct trap_frame *f)
{
	(void)f; /* the interrupt itself ended HLT or VMRUN: the loop re-checks its state */
}

void sched_init_cpu(void)
{
	uint64_t pa = frame_alloc();
	if (!pa)
		panic("sched: out of memory");
	struct sched_cpu *s = (struct sched_cpu *)(uintptr_t)pa;
	memset(s, 0, sizeof(*s));
	this_cpu()->sched = s;
	trap_set_handler(VECTOR_TIMER, sched_timer_interrupt);
	trap_set_handler(VECTOR_KICK, sched_kick_interrupt);
}

void sched_add_home(struct vcpu *v)
{
	struct sched_cpu *s = sched_of(v->home_cpu);
	spin_lock(&s->lock);
	if (s->homed_count < ARRAY_SIZE(s->homed))
		s->homed[s->homed_count++] = v;
	spin_unlock(&s->lock);
}

void sched_enqueue(struct vcpu *v)
{
	struct sched_cpu *s = sched_of(v->home_cpu);
	uint64_t flags = irq_save();
	spin_lock(&s->lock);
	/* Exactly one party queues a vCPU: the CPU that preempts it, or whoever takes it out of
	 * BLOCKED/WAIT_SIPI with a CAS (svm/vm/vcpu.c). A second entry would cut the list behind the
	 * first one, and the vCPUs there would never run again. */
	if (v->queued)
		panic("sched: vCPU %u of VM %s queued twice", v->index, v->vm->name);
	v->queued = true;
	v->runq_next = NULL;
	if (s->tail)
		s->tail->runq_next = v;
	else
		s->head = v;
	s->tail = v;
	/* Store (the queue), full barrier, load (idle); the idle CPU does the mirror image. The
	 * lock does not order them: its acquire comes before the stores and x86 may satisfy a load
	 * before earlier stores are visible, so without the fence both sides could miss each other
	 * and the CPU would sleep until its next timer tick with a vCPU in its queue. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	bool idle = __atomic_load_n(&s->idle, __ATOMIC_RELAXED);
	spin_unlock(&s->lock);
	irq_restore(flags);
	struct percpu *home = percpu_by_index[v->home_cpu];
	if (idle && home != this_cpu())
		lapic_send_ipi(home->apic_id, VECTOR_KICK);
}

static struct vcpu *sched_dequeue(struct sched_cpu *s)
{
	spin_lock(&s->lock);
	struct vcpu *v = s->head;
	if (v) {
		v->queued = false;
		s->head = v->runq_next;
		if (!s->head)
			s->tail = NULL;
	}
	spin_unlock(&s->lock);
	return v;
}

void sched_print_queues(void)
{
	for (unsigned cpu = 0; cpu < cpu_count; cpu++) {
		struct percpu *p = percpu_by_index[cpu];
		struct sched_cpu *s = p->sched;
		struct vcpu *cur = p->current;
		char queue[64];
		unsigned len = 0;
		uint64_t flags = irq_save();
		spin_lock(&s->lock);
		for (struct vcpu *v = s->head; v && len + 8 < sizeof(queue); v = v->runq_next)
			len += (unsigned)format(queue + len, sizeof(queue) - len, " %s/%u", v->vm->name,
			                        v->index);
		if (len >= sizeof(queue))
			len = sizeof(queue) - 1;
		spin_unlock(&s->lock);
		irq_restore(flags);
		queue[len] = 0;
		printk("debug cpu=%u idle=%d need_resched=%d current=%s/%d queue:%s\n", cpu, s->idle,
		       s->need_resched, cur ? cur->vm->name : "-", cur ? (int)cur->index : -1,
		       len ? queue : " empty");
	}
}

void sched_arm_timer(void)
{
	struct sched_cpu *s = this_cpu()->sched;
	uint64_t now = rdtsc();
	uint64_t tick = tsc_hz / 1000000;
	uint64_t next = s->slice_start_tsc + SCHED_SLICE_US * tick;
	for (unsigned i = 0; i < s->homed_count; i++) {
		uint64_t d = vcpu_timer_deadline(s->homed[i]);
		if (d < next)
			next = d;
	}
	uint64_t us = next > now ? (next - now) / tick : 0;
	lapic_timer_oneshot(timer_us_to_lapic_ticks(us ? us : 1), VECTOR_TIMER);
}

static void sched_run_until(uint64_t deadline_tsc, bool bsp)
{
	struct sched_cpu *s = this_cpu()->sched;
	for (;;) {
		if (bsp) {
			if (!__atomic_load_n(&vms_live, __ATOMIC_ACQUIRE) || rdtsc() >= deadline_tsc)
				return;
			platform_flush_output();
		}
		struct vcpu *v = sched_dequeue(s);
		if (!v) {
			/* Idle: sleep until a kick, a guest timer or the flush tick. The queue is
			 * re-checked with interrupts off after announcing idleness, so an enqueue
			 * in between either sees idle (and kicks) or is seen here. */
			s->slice_start_tsc = rdtsc();
			s->idle = true;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (!s->head && __atomic_load_n(&vms_live, __ATOMIC_ACQUIRE)) {
				sched_arm_timer();
				__asm__ volatile("sti; hlt; cli" ::: "memory");
			} else if (!__atomic_load_n(&vms_live, __ATOMIC_ACQUIRE)) {
				__asm__ volatile("sti; hlt; cli" ::: "memory");
			}
			s->idle = false;
			continue;
		}
		s->need_resched = false;
		s->slice_start_tsc = rdtsc();
		sched_arm_timer();
		vcpu_run(v);
	}
}

void sched_loop(void)
{
	sched_run_until(UINT64_MAX, false);
	for (;;)
		halt();
}

void sched_loop_until(uint64_t deadline_tsc)
{
	sched_run_until(deadline_tsc, true);
}
