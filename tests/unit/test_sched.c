// sources: kernel/sched.c kernel/format.c kernel/string.c tests/fake/machine.c
// cflags: -Itests/fake
/* The scheduler on the fake arch (tests/fake/README.md): two fake CPUs, entities that record
 * what the scheduler does to them, timer objects, time slices, housekeeping and the deadline.
 * The scheduler is the real kernel/sched.c; only the hardware under it is fake. */
#include "kernel/sched.h"
#include "kernel/percpu.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "tests/fake/machine.h"
#include "tests/unit/check.h"
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#define US FAKE_US /* the fake machine (tests/fake/machine.c) */
#define SLICE (SCHED_SLICE_US * US)

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
			if (fake_tsc >= fake_cpus[0].sched->slice_start_tsc + SLICE)
				fake_timer_interrupt();
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
	CHECK(fake_cpus[0].sched->head == NULL);
	CHECK(fake_cpus[0].sched->current == NULL);
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
	fake_panic_message[0] = 0;
	if (!setjmp(fake_panic_jump))
		sched_enqueue(&a.sched);
	CHECK(strstr(fake_panic_message, "t/a queued twice") != NULL);
	spin_unlock(&fake_cpus[0].sched->lock); /* a real panic stops the machine with the lock held */
	/* take it out again */
	order[0] = 0;
	budget = 1;
	a.next[0] = SCHED_RETIRED;
	sched_loop_until(UINT64_MAX, runs_left);
	CHECK(fake_cpus[0].sched->head == NULL);
}

static void kick_only_an_idle_other_cpu(void)
{
	struct test_entity a, b;
	entity_init(&a, "a", 1);
	entity_init(&b, "b", 1);
	unsigned before = fake_kicks[1];
	fake_cpus[1].sched->idle = false;
	sched_enqueue(&a.sched); /* CPU 1 busy: no kick */
	CHECK_EQ(fake_kicks[1], before);
	fake_cpus[1].sched->idle = true;
	sched_enqueue(&b.sched); /* CPU 1 idles in HLT: kicked */
	CHECK_EQ(fake_kicks[1], before + 1);
	CHECK(fake_cpus[1].sched->head == &a.sched && fake_cpus[1].sched->tail == &b.sched);
	/* CPU 1 runs its queue */
	fake_cpus[1].sched->idle = false;
	a.next[0] = SCHED_RETIRED;
	b.next[0] = SCHED_RETIRED;
	CHECK_EQ(fake_run_queue(1, 4), 2);
	CHECK_EQ(a.runs + b.runs, 2);
}

static void time_slices(void)
{
	struct sched_cpu *s0 = fake_cpus[0].sched;
	/* a fresh slice: no yield */
	s0->need_resched = false;
	s0->slice_start_tsc = fake_tsc;
	CHECK(!sched_should_yield());
	/* the slice ends (the timer interrupt): CPU 0 always goes back to its loop */
	fake_tsc += SLICE;
	fake_timer_interrupt();
	CHECK(s0->need_resched);
	CHECK(sched_should_yield());
	/* on another CPU with nobody waiting, the slice ends into a new one */
	fake_become_cpu(1);
	struct sched_cpu *s1 = fake_cpus[1].sched;
	s1->head = s1->tail = NULL;
	s1->slice_start_tsc = fake_tsc;
	fake_tsc += SLICE;
	fake_timer_interrupt();
	CHECK(s1->need_resched);
	CHECK(!sched_should_yield());
	CHECK(!s1->need_resched);
	CHECK_EQ(s1->slice_start_tsc, fake_tsc);
	/* ... but with somebody waiting it yields */
	struct test_entity w;
	entity_init(&w, "w", 1);
	sched_enqueue(&w.sched);
	fake_tsc += SLICE;
	fake_timer_interrupt();
	CHECK(sched_should_yield());
	s1->head = s1->tail = NULL;
	w.sched.queued = false;
	fake_become_cpu(0);
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
	struct sched_cpu *s0 = fake_cpus[0].sched;
	s0->slice_start_tsc = fake_tsc;
	due.deadline = fake_tsc + 100 * US;
	later.deadline = fake_tsc + 2 * SLICE;
	none.deadline = SCHED_TIMER_NONE;
	CHECK(sched_timer_add(0, &due.timer));
	CHECK(sched_timer_add(0, &later.timer));
	CHECK(sched_timer_add(0, &none.timer));
	/* the hardware timer follows the earliest deadline: the due timer, before the slice end */
	sched_timer_rearm();
	CHECK_EQ(fake_armed_ticks, 100);
	fake_tsc += 100 * US;
	fake_timer_interrupt();
	CHECK_EQ(due.fired, 1);
	CHECK_EQ(later.fired, 0);
	CHECK_EQ(none.fired, 1); /* "none" timers are looked at on every tick */
	/* next: the slice end (3900 us left), not the later timer */
	CHECK_EQ(fake_armed_ticks, SCHED_SLICE_US - 100);
	fake_tsc += 2 * SLICE;
	fake_timer_interrupt();
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
	CHECK_EQ(fake_armed_ticks, 50);
	unsigned due_before = due.fired, none_before = none.fired;
	fake_tsc += 50 * US;
	fake_timer_interrupt();
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
	/* nothing queued: CPU 0 fake_idles (HLT) until its deadline passes, then returns */
	struct sched_cpu *s0 = fake_cpus[0].sched;
	s0->head = s0->tail = NULL;
	fake_idles = 0;
	uint64_t deadline = fake_tsc + 100 * US;
	budget = ~0u;
	order[0] = 0;
	sched_loop_until(deadline, runs_left);
	CHECK(fake_tsc >= deadline);
	CHECK(fake_idles >= 1);
	CHECK(!s0->idle);
	/* the run-queue dump names the entities through their describe() */
	struct test_entity q;
	entity_init(&q, "q", 0);
	sched_enqueue(&q.sched);
	fake_printed[0] = 0;
	sched_print_queues();
	CHECK(strstr(fake_printed, "debug cpu=0") && strstr(fake_printed, "queue: t/q"));
	CHECK(strstr(fake_printed, "debug cpu=1"));
}

int main(void)
{
	fake_machine_start();
	CHECK(fake_handlers[VECTOR_TIMER] != NULL && fake_handlers[VECTOR_KICK] != NULL);
	sched_set_housekeeping(housekeeping);
	fifo_and_outcomes();
	queued_twice_is_a_bug();
	kick_only_an_idle_other_cpu();
	time_slices();
	timer_objects();
	deadline_and_idle();
	return check_summary("sched");
}
