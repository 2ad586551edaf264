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

static struct sched_cpu *sched_of(unsigned cpu)
{
	return percpu_by_index[cpu]->sched;
}

/* The timer objects of this CPU, copied under its lock (a fire() may queue an entity here, which
 * takes the lock; another CPU may remove one meanwhile). Interrupts are off. */
static unsigned sched_timers_copy(struct sched_cpu *s, struct sched_timer **out)
{
	spin_lock(&s->lock);
	unsigned n = s->timer_count;
	for (unsigned i = 0; i < n; i++)
		out[i] = s->timer[i];
	spin_unlock(&s->lock);
	return n;
}

static void sched_timer_interrupt(struct trap_frame *f)
{
	(void)f;
	struct sched_cpu *s = this_cpu()->sched;
	uint64_t now = rdtsc();
	if (now - s->slice_start_tsc >= SCHED_SLICE_US * (tsc_hz / 1000000))
		s->need_resched = true;
	/* Every timer object of this CPU whose deadline has passed. A timer object is also fired on
	 * every tick where its deadline is "none": owners use that to look at their state once a
	 * slice at least (svm/vm/vcpu.c: a posted interrupt's late wake-up). */
	struct sched_timer *timers[SCHED_MAX_TIMERS];
	unsigned n = sched_timers_copy(s, timers);
	for (unsigned i = 0; i < n; i++) {
		struct sched_timer *t = timers[i];
		uint64_t d = t->deadline(t);
		if (d <= now || d == SCHED_TIMER_NONE)
			t->fire(t, now);
	}
	/* One-shot: the next event (slice end or the next timer) needs a new arming, or a timer
	 * that fired before the slice ended would leave the slice without an end. */
	sched_timer_rearm();
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

void sched_entity_init(struct sched_entity *e, const struct sched_entity_ops *ops,
		       unsigned home_cpu)
{
	e->ops = ops;
	e->runq_next = NULL;
	e->home_cpu = home_cpu;
	e->queued = false;
}

bool sched_timer_add(unsigned cpu, struct sched_timer *t)
{
	struct sched_cpu *s = sched_of(cpu);
	bool added = false;
	uint64_t flags = irq_save();
	spin_lock(&s->lock);
	if (s->timer_count < ARRAY_SIZE(s->timer)) {
		s->timer[s->timer_count++] = t;
		added = true;
	}
	spin_unlock(&s->lock);
	irq_restore(flags);
	return added;
}

void sched_timer_remove(unsigned cpu, struct sched_timer *t)
{
	struct sched_cpu *s = sched_of(cpu);
	uint64_t flags = irq_save();
	spin_lock(&s->lock);
	for (unsigned i = 0; i < s->timer_count; i++) {
		if (s->timer[i] == t) {
			s->timer[i] = s->timer[s->timer_count - 1];
			s->timer_count--;
			break;
		}
	}
	spin_unlock(&s->lock);
	irq_restore(flags);
}


void sched_enqueue(struct sched_entity *e)
{
	struct sched_cpu *s = sched_of(e->home_cpu);
	uint64_t flags = irq_save();
	spin_lock(&s->lock);
	/* Exactly one party queues an entity: the CPU that preempts it, or whoever ends its wait
	 * (for a vCPU: the CAS out of BLOCKED/WAIT_SIPI in svm/vm/vcpu.c). A second entry would cut
	 * the list behind the first one, and the entities there would never run again. */
	if (e->queued) {
		char name[32];
		e->ops->describe(e, name, sizeof(name));
		panic("sched: %s queued twice", name);
	}
	e->queued = true;
	e->runq_next = NULL;
	if (s->tail)
		s->tail->runq_next = e;
	else
		s->head = e;
	s->tail = e;
	/* Store (the queue), full barrier, load (idle); the idle CPU does the mirror image. The
	 * lock does not order them: its acquire comes before the stores and x86 may satisfy a load
	 * before earlier stores are visible, so without the fence both sides could miss each other
	 * and the CPU would sleep until its next timer tick with a vCPU in its queue. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	bool idle = __atomic_load_n(&s->idle, __ATOMIC_RELAXED);
	spin_unlock(&s->lock);
	irq_restore(flags);
	struct percpu *home = percpu_by_index[e->home_cpu];
	if (idle && home != this_cpu())
		lapic_send_ipi(home->apic_id, VECTOR_KICK);
}

static struct sched_entity *sched_dequeue(struct sched_cpu *s)
{
	spin_lock(&s->lock);
	struct sched_entity *e = s->head;
	if (e) {
		e->queued = false;
		s->head = e->runq_next;
		if (!s->head)
			s->tail = NULL;
	}
	spin_unlock(&s->lock);
	return e;
}

void sched_print_queues(void)
{
	for (unsigned cpu = 0; cpu < cpu_count; cpu++) {
		struct percpu *p = percpu_by_index[cpu];
		struct sched_cpu *s = p->sched;
		char queue[64], cur[32] = "-/-1";
		unsigned len = 0;
		uint64_t flags = irq_save();
		spin_lock(&s->lock);
		for (struct sched_entity *e = s->head; e && len + 8 < sizeof(queue); e = e->runq_next) {
			char name[32];
			e->ops->describe(e, name, sizeof(name));
			len += (unsigned)format(queue + len, sizeof(queue) - len, " %s", name);
		}
		if (len >= sizeof(queue))
			len = sizeof(queue) - 1;
		struct sched_entity *c = __atomic_load_n(&s->current, __ATOMIC_ACQUIRE);
		if (c)
			c->ops->describe(c, cur, sizeof(cur));
		spin_unlock(&s->lock);
		irq_restore(flags);
		queue[len] = 0;
		printk("debug cpu=%u idle=%d need_resched=%d current=%s queue:%s\n", cpu, s->idle,
		       s->need_resched, cur, len ? queue : " empty");
	}
}

void sched_timer_rearm(void)
{
	struct sched_cpu *s = this_cpu()->sched;
	uint64_t now = rdtsc();
	uint64_t tick = tsc_hz / 1000000;
	uint64_t next = s->slice_start_tsc + SCHED_SLICE_US * tick;
	struct sched_timer *timers[SCHED_MAX_TIMERS];
	uint64_t flags = irq_save();
	unsigned n = sched_timers_copy(s, timers);
	irq_restore(flags);
	for (unsigned i = 0; i < n; i++) {
		uint64_t d = timers[i]->deadline(timers[i]);
		if (d < next)
			next = d;
	}
	uint64_t us = next > now ? (next - now) / tick : 0;
	lapic_timer_oneshot(timer_us_to_lapic_ticks(us ? us : 1), VECTOR_TIMER);
}

static void (*sched_housekeeping)(void);

void sched_set_housekeeping(void (*fn)(void))
{
	sched_housekeeping = fn;
}

bool sched_should_yield(void)
{
	struct sched_cpu *s = this_cpu()->sched;
	if (s->need_resched && !__atomic_load_n(&s->head, __ATOMIC_ACQUIRE) &&
	    this_cpu()->index != 0) {
		/* The slice ended but nobody waits for this CPU: keep going, a new slice. CPU 0
		 * always goes back to its loop, which runs the housekeeping and watches the
		 * deadline. */
		s->need_resched = false;
		s->slice_start_tsc = rdtsc();
		sched_timer_rearm();
	}
	return s->need_resched;
}

static void sched_run(struct sched_cpu *s, struct sched_entity *e)
{
	s->need_resched = false;
	s->slice_start_tsc = rdtsc();
	sched_timer_rearm();
	__atomic_store_n(&s->current, e, __ATOMIC_RELEASE);
	e->ops->switch_in(e);
	enum sched_outcome outcome = e->ops->run(e);
	e->ops->switch_out(e, outcome);
	__atomic_store_n(&s->current, NULL, __ATOMIC_RELEASE);
	/* Waiting and retired entities are queued by whoever ends the wait, or never. */
	if (outcome == SCHED_PREEMPTED)
		sched_enqueue(e);
}

static bool sched_forever(void)
{
	return true;
}

static void sched_run_until(uint64_t deadline_tsc, bool (*keep_going)(void), bool bsp)
{
	struct sched_cpu *s = this_cpu()->sched;
	for (;;) {
		if (bsp) {
			if (!keep_going() || rdtsc() >= deadline_tsc)
				return;
			if (sched_housekeeping)
				sched_housekeeping();
		}
		struct sched_entity *e = sched_dequeue(s);
		if (!e) {
			/* Idle: sleep until a kick, a guest timer or the flush tick. The queue is
			 * re-checked with interrupts off after announcing idleness, so an enqueue
			 * in between either sees idle (and kicks) or is seen here. */
			s->slice_start_tsc = rdtsc();
			s->idle = true;
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			bool going = keep_going();
			if (!s->head && going) {
				sched_timer_rearm();
				idle_until_interrupt();
			} else if (!going) {
				idle_until_interrupt();
			}
			s->idle = false;
			continue;
		}
		sched_run(s, e);
	}
}

void sched_loop(void)
{
	sched_run_until(UINT64_MAX, sched_forever, false);
	for (;;)
		halt();
}

void sched_loop_until(uint64_t deadline_tsc, bool (*keep_going)(void))
{
	sched_run_until(deadline_tsc, keep_going, true);
}
