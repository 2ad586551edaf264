// sources: kernel/sched.c kernel/format.c kernel/string.c
// cflags: -Itests/fake
/* The scheduler on the fake arch (tests/fake/README.md): two fake CPUs, entities that record
 * what the scheduler does to them, timer objects, time slices, housekeeping and the deadline.
 * The scheduler is the real kernel/sched.c; only the hardware under it is fake. */
#include "kernel/sched.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/lapic.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/timer.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "tests/unit/check.h"
#include <asm/prctl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- the fake machine ---------------------------------------------------------------------- */
#define TSC_HZ 1000000000ull /* 1 GHz: one microsecond is 1000 ticks */
#define US 1000ull
#define SLICE (SCHED_SLICE_US * US)

uint64_t fake_tsc = 1000000;
bool fake_irq_on;
uint64_t tsc_hz = TSC_HZ;
struct percpu *percpu_by_index[MAX_CPUS];
unsigned cpu_count = 2;
enum log_level console_level = LOG_INFO;

static struct percpu cpus[2];
static irq_handler_fn handlers[256];
static unsigned kicks[2];          /* VECTOR_KICK IPIs each CPU received */
static uint64_t armed_ticks = ~0ull; /* the last one-shot timer programmed */
static unsigned idles;
static char panic_message[256];
static jmp_buf panic_jump;
static char printed[4096];

static void become_cpu(unsigned i)
{
	syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&cpus[i]);
}

void trap_set_handler(uint8_t vector, irq_handler_fn fn)
{
	handlers[vector] = fn;
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	if (vector == VECTOR_KICK && apic_id < 2)
		kicks[apic_id]++;
}

void lapic_timer_oneshot(uint32_t ticks, uint8_t vector)
{
	(void)vector;
	armed_ticks = ticks;
}

uint32_t timer_us_to_lapic_ticks(uint64_t us)
{
	return (uint32_t)us;
}

uint64_t frame_alloc(void)
{
	void *p = aligned_alloc(4096, 4096);
	return (uint64_t)(uintptr_t)p;
}

void fake_interrupt_window(void)
{
}

void fake_idle(void)
{
	idles++;
	fake_tsc += 10 * US;
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = strlen(printed);
	vsnprintf(printed + n, sizeof(printed) - n, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(panic_message, sizeof(panic_message), fmt, ap);
	va_end(ap);
	longjmp(panic_jump, 1);
}

static void timer_interrupt(void)
{
	handlers[VECTOR_TIMER](NULL);
}

/* ---- entities that record what happens to them --------------------------------------------- */
struct test_entity {
	struct sched_entity sched;
	const char *name;
	enum sched_outcome next[8]; /* what each run returns, in order */
	unsigned runs, switched_in, switched_out;
	enum sched_outcome last_out;
	uint64_t run_for;           /* fake time each run takes */
	bool yield_checks;          /* during a run: ask sched_should_yield() until it says so */
};

static char order[64]; /* the names of the entities in the order they ran */

static struct test_entity *entity_of(struct sched_entity *e)
{
	return container_of(e, struct test_entity, sched);
}

static void t_switch_in(struct sched_entity *e)
{
	entity_of(e)->switched_in++;
}

static enum sched_outcome t_run(struct sched_entity *e)
{
	struct test_entity *t = entity_of(e);
	strncat(order, t->name, sizeof(order) - strlen(order) - 1);
	fake_tsc += t->run_for;
	if (t->yield_checks) {
		while (!sched_should_yield()) {
			fake_tsc += 500 * US;
			if (fake_tsc >= cpus[0].sched->slice_start_tsc + SLICE)
				timer_interrupt();
		}
	}
	return t->next[t->runs++ % 8];
}

static void t_switch_out(struct sched_entity *e, enum sched_outcome outcome)
{
	entity_of(e)->switched_out++;
	entity_of(e)->last_out = outcome;
}

static void t_describe(struct sched_entity *e, char *buf, size_t size)
{
	snprintf(buf, size, "t/%s", entity_of(e)->name);
}

static const struct sched_entity_ops t_ops = {t_switch_in, t_run, t_switch_out, t_describe};

static void entity_init(struct test_entity *t, const char *name, unsigned home)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	sched_entity_init(&t->sched, &t_ops, home);
}

/* The loop's condition: run until `budget` entities ran. */
static unsigned budget;
static bool runs_left(void)
{
	unsigned ran = (unsigned)strlen(order);
	return ran < budget;
}

static unsigned housekeeping_calls;
static void housekeeping(void)
{
	housekeeping_calls++;
}

/* ---- timer objects ------------------------------------------------------------------------- */
struct test_timer {
	struct sched_timer timer;
	uint64_t deadline;
	unsigned fired;
};

static uint64_t tt_deadline(struct sched_timer *t)
{
	return container_of(t, struct test_timer, timer)->deadline;
}

static void tt_fire(struct sched_timer *t, uint64_t now)
{
	struct test_timer *tt = container_of(t, struct test_timer, timer);
	tt->fired++;
	if (tt->deadline != SCHED_TIMER_NONE && tt->deadline <= now)
		tt->deadline = SCHED_TIMER_NONE; /* one-shot */
}

/* ---- the checks ---------------------------------------------------------------------------- */
static void fifo_and_outcomes(void)
{
	struct test_entity a, b, c;
	entity_init(&a, "a", 0);
	entity_init(&b, "b", 0);
	entity_init(&c, "c", 0);
	a.next[0] = SCHED_PREEMPTED; /* runs again after the others */
	a.next[1] = SCHED_RETIRED;
	b.next[0] = SCHED_WAITING;   /* never queued again by the scheduler */
	c.next[0] = SCHED_RETIRED;
	sched_enqueue(&a.sched);
	sched_enqueue(&b.sched);
	sched_enqueue(&c.sched);
	CHECK(a.sched.queued && b.sched.queued && c.sched.queued);
	order[0] = 0;
	budget = 4;
	housekeeping_calls = 0;
	sched_loop_until(UINT64_MAX, runs_left);
	CHECK(!strcmp(order, "abca"));
	CHECK_EQ(a.switched_in, 2);
	CHECK_EQ(a.switched_out, 2);
	CHECK_EQ(a.last_out, SCHED_RETIRED);
	CHECK_EQ(b.last_out, SCHED_WAITING);
	CHECK(!a.sched.queued && !b.sched.queued && !c.sched.queued);
	CHECK(cpus[0].sched->head == NULL);
	CHECK(cpus[0].sched->current == NULL);
	CHECK(housekeeping_calls >= 4); /* CPU 0 runs the hook between runs */
	/* the waiting entity is queued by whoever ends its wait, and then runs again */
	b.next[1] = SCHED_RETIRED;
	sched_enqueue(&b.sched);
	order[0] = 0;
	budget = 1;
	sched_loop_until(UINT64_MAX, runs_left);
	CHECK(!strcmp(order, "b"));
}

static void queued_twice_is_a_bug(void)
{
	struct test_entity a;
	entity_init(&a, "a", 0);
	sched_enqueue(&a.sched);
	panic_message[0] = 0;
	if (!setjmp(panic_jump))
		sched_enqueue(&a.sched);
	CHECK(strstr(panic_message, "t/a queued twice") != NULL);
	spin_unlock(&cpus[0].sched->lock); /* a real panic stops the machine with the lock held */
	/* take it out again */
	order[0] = 0;
	budget = 1;
	a.next[0] = SCHED_RETIRED;
	sched_loop_until(UINT64_MAX, runs_left);
	CHECK(cpus[0].sched->head == NULL);
}

static void kick_only_an_idle_other_cpu(void)
{
	struct test_entity a, b;
	entity_init(&a, "a", 1);
	entity_init(&b, "b", 1);
	unsigned before = kicks[1];
	cpus[1].sched->idle = false;
	sched_enqueue(&a.sched); /* CPU 1 busy: no kick */
	CHECK_EQ(kicks[1], before);
	cpus[1].sched->idle = true;
	sched_enqueue(&b.sched); /* CPU 1 idles in HLT: kicked */
	CHECK_EQ(kicks[1], before + 1);
	CHECK(cpus[1].sched->head == &a.sched && cpus[1].sched->tail == &b.sched);
	/* CPU 1 runs its queue */
	become_cpu(1);
	cpus[1].sched->idle = false;
	a.next[0] = SCHED_RETIRED;
	b.next[0] = SCHED_RETIRED;
	struct sched_cpu *s = cpus[1].sched;
	unsigned n = 0;
	while (s->head && n++ < 4) {
		struct sched_entity *e = s->head;
		s->head = e->runq_next;
		if (!s->head)
			s->tail = NULL;
		e->queued = false;
		e->ops->switch_in(e);
		e->ops->switch_out(e, e->ops->run(e));
	}
	become_cpu(0);
	CHECK_EQ(a.runs + b.runs, 2);
}

static void time_slices(void)
{
	struct sched_cpu *s0 = cpus[0].sched;
	/* a fresh slice: no yield */
	s0->need_resched = false;
	s0->slice_start_tsc = fake_tsc;
	CHECK(!sched_should_yield());
	/* the slice ends (the timer interrupt): CPU 0 always goes back to its loop */
	fake_tsc += SLICE;
	timer_interrupt();
	CHECK(s0->need_resched);
	CHECK(sched_should_yield());
	/* on another CPU with nobody waiting, the slice ends into a new one */
	become_cpu(1);
	struct sched_cpu *s1 = cpus[1].sched;
	s1->head = s1->tail = NULL;
	s1->slice_start_tsc = fake_tsc;
	fake_tsc += SLICE;
	timer_interrupt();
	CHECK(s1->need_resched);
	CHECK(!sched_should_yield());
	CHECK(!s1->need_resched);
	CHECK_EQ(s1->slice_start_tsc, fake_tsc);
	/* ... but with somebody waiting it yields */
	struct test_entity w;
	entity_init(&w, "w", 1);
	sched_enqueue(&w.sched);
	fake_tsc += SLICE;
	timer_interrupt();
	CHECK(sched_should_yield());
	s1->head = s1->tail = NULL;
	w.sched.queued = false;
	become_cpu(0);
	/* an entity that asks at each step is preempted at its slice's end, and queued again */
	struct test_entity y;
	entity_init(&y, "y", 0);
	y.yield_checks = true;
	y.next[0] = SCHED_PREEMPTED;
	y.next[1] = SCHED_RETIRED;
	sched_enqueue(&y.sched);
	order[0] = 0;
	budget = 1;
	uint64_t start = fake_tsc;
	sched_loop_until(UINT64_MAX, runs_left);
	CHECK(fake_tsc - start >= SLICE);
	CHECK(y.sched.queued); /* preempted: back in line */
	y.yield_checks = false;
	order[0] = 0;
	budget = 1;
	sched_loop_until(UINT64_MAX, runs_left);
	CHECK_EQ(y.last_out, SCHED_RETIRED);
}

static void timer_objects(void)
{
	struct test_timer due, later, none;
	memset(&due, 0, sizeof(due));
	memset(&later, 0, sizeof(later));
	memset(&none, 0, sizeof(none));
	struct sched_timer *ts[] = {&due.timer, &later.timer, &none.timer};
	for (unsigned i = 0; i < 3; i++) {
		ts[i]->deadline = tt_deadline;
		ts[i]->fire = tt_fire;
	}
	struct sched_cpu *s0 = cpus[0].sched;
	s0->slice_start_tsc = fake_tsc;
	due.deadline = fake_tsc + 100 * US;
	later.deadline = fake_tsc + 2 * SLICE;
	none.deadline = SCHED_TIMER_NONE;
	CHECK(sched_timer_add(0, &due.timer));
	CHECK(sched_timer_add(0, &later.timer));
	CHECK(sched_timer_add(0, &none.timer));
	/* the hardware timer follows the earliest deadline: the due timer, before the slice end */
	sched_timer_rearm();
	CHECK_EQ(armed_ticks, 100);
	fake_tsc += 100 * US;
	timer_interrupt();
	CHECK_EQ(due.fired, 1);
	CHECK_EQ(later.fired, 0);
	CHECK_EQ(none.fired, 1); /* "none" timers are looked at on every tick */
	/* next: the slice end (3900 us left), not the later timer */
	CHECK_EQ(armed_ticks, SCHED_SLICE_US - 100);
	fake_tsc += 2 * SLICE;
	timer_interrupt();
	CHECK_EQ(later.fired, 1);
	CHECK_EQ(due.fired, 2); /* done with its deadline: now looked at on every tick */
	CHECK_EQ(none.fired, 2);
	/* removed timers are neither fired nor looked at for the hardware timer */
	sched_timer_remove(0, &due.timer);
	sched_timer_remove(0, &none.timer);
	sched_timer_remove(0, &none.timer); /* twice: nothing */
	CHECK_EQ(s0->timer_count, 1);
	later.deadline = fake_tsc + 50 * US;
	s0->slice_start_tsc = fake_tsc;
	sched_timer_rearm();
	CHECK_EQ(armed_ticks, 50);
	unsigned due_before = due.fired, none_before = none.fired;
	fake_tsc += 50 * US;
	timer_interrupt();
	CHECK_EQ(later.fired, 2);
	CHECK_EQ(due.fired, due_before);
	CHECK_EQ(none.fired, none_before);
	sched_timer_remove(0, &later.timer);
	CHECK_EQ(s0->timer_count, 0);
	/* a full table says so */
	s0->timer_count = 0;
	unsigned added = 0;
	while (sched_timer_add(0, &none.timer))
		added++;
	CHECK_EQ(added, SCHED_MAX_TIMERS);
	s0->timer_count = 0;
}

static void deadline_and_idle(void)
{
	/* nothing queued: CPU 0 idles (HLT) until its deadline passes, then returns */
	struct sched_cpu *s0 = cpus[0].sched;
	s0->head = s0->tail = NULL;
	idles = 0;
	uint64_t deadline = fake_tsc + 100 * US;
	budget = ~0u;
	order[0] = 0;
	sched_loop_until(deadline, runs_left);
	CHECK(fake_tsc >= deadline);
	CHECK(idles >= 1);
	CHECK(!s0->idle);
	/* the run-queue dump names the entities through their describe() */
	struct test_entity q;
	entity_init(&q, "q", 0);
	sched_enqueue(&q.sched);
	printed[0] = 0;
	sched_print_queues();
	CHECK(strstr(printed, "debug cpu=0") && strstr(printed, "queue: t/q"));
	CHECK(strstr(printed, "debug cpu=1"));
}

int main(void)
{
	for (unsigned i = 0; i < 2; i++) {
		cpus[i].self = &cpus[i];
		cpus[i].index = i;
		cpus[i].apic_id = i;
		percpu_by_index[i] = &cpus[i];
		become_cpu(i);
		sched_init_cpu();
	}
	become_cpu(0);
	CHECK(handlers[VECTOR_TIMER] != NULL && handlers[VECTOR_KICK] != NULL);
	sched_set_housekeeping(housekeeping);
	fifo_and_outcomes();
	queued_twice_is_a_bug();
	kick_only_an_idle_other_cpu();
	time_slices();
	timer_objects();
	deadline_and_idle();
	return check_summary("sched");
}
