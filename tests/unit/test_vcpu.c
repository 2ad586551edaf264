// sources: svm/vm/vcpu.c svm/vm/vm.c svm/npt.c svm/vm/tpr_sync.c svm/vm/vm_state.c svm/vm/trace.c kernel/sched.c avic/delivery.c avic/vlapic/vapic.c avic/avic_policy.c avic/avic_table.c kernel/format.c kernel/string.c tests/fake/machine.c
// cflags: -Itests/fake
/* The vCPU run loop, its scheduling and a VM's run state on the fake arch (tests/fake/README.md):
 * the real svm/vm/vcpu.c, svm/vm/vm_state.c, kernel/sched.c and the delivery protocol, with the
 * SVM layer faked. The fake guest is a script of exit outcomes per world switch; the test plays
 * the other CPUs. Checked: outcomes (resume, halt -> block, stop), wake-up by a posted interrupt
 * and its injection, time slices between two vCPUs, a VM stop with vCPUs running, blocked and
 * waiting for SIPI, that retired vCPUs leave no timer object behind, and vm_create() and
 * vm_destroy() (svm/vm/vm.c) around a VM stopped with its vCPUs blocked. */
#include "svm/vm/vcpu.h"
#include "avic/avic.h"
#include "avic/vlapic/vapic.h"
#include "kernel/frame.h"
#include "kernel/percpu.h"
#include "kernel/sched.h"
#include "svm/cpu/spec.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "svm/cpu/lazy_regs.h"
#include "svm/cpu/msr.h"
#include "svm/vm/exit.h"
#include "svm/platform/platform.h"
#include "svm/svm.h"
#include "svm/vm/apic_emulate.h"
#include "svm/vm/intremap.h"
#include "svm/vm/test_hooks.h"
#include "svm/vm/vm.h"
#include "tests/fake/machine.h"
#include "tests/unit/check.h"
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#define US FAKE_US

/* ---- the fake machine (tests/fake/machine.c) and the VM floor's neighbours ------------------ */
enum avic_policy avic_policy = AVIC_POLICY_SOFT;

const struct test_hooks *test_hooks(void)
{
	return NULL;
}

void avic_ring_doorbell(uint32_t host_apic_id)
{
	(void)host_apic_id;
}

volatile uint64_t *avic_physical_entry(const struct avic_vm *a, unsigned index)
{
	(void)a;
	(void)index;
	static volatile uint64_t entry;
	return &entry;
}

bool apic_process_init_sipi(struct vcpu *v)
{
	/* a vCPU created waiting for SIPI stays waiting (no SIPI in these scripts) */
	return v->wait_for_sipi;
}

unsigned intremap_vcpu_update(struct intremap_vcpu *s, int64_t host_apic_id, bool ga_log_intr)
{
	(void)s;
	(void)host_apic_id;
	(void)ga_log_intr;
	return 0;
}

bool lazy_regs_load(struct lazy_regs *l)
{
	int32_t me = (int32_t)this_cpu()->index;
	if (l->live_cpu >= 0 && l->live_cpu != me)
		return false; /* live on another CPU: the real one refuses too */
	l->live_cpu = me;
	return true;
}

void lazy_regs_drop(struct lazy_regs *l)
{
	l->live_cpu = -1;
}

void msr_vcpu_load(const struct vcpu_msrs *m)
{
	(void)m;
}

/* The speculation controls must bracket every world switch: enter right before, exit (the RSB
 * fill) right after (svm/cpu/spec.h). */
static int spec_phase; /* 0 host, 1 entered, 2 guest ran */
static unsigned spec_bracket_errors;
bool spec_vcpu_load(uint32_t vm_tag)
{
	(void)vm_tag;
	return false;
}

void spec_guest_enter(uint64_t guest_ctrl)
{
	(void)guest_ctrl;
	spec_bracket_errors += spec_phase != 0;
	spec_phase = 1;
}

void spec_guest_exit(uint64_t guest_ctrl)
{
	(void)guest_ctrl;
	spec_bracket_errors += spec_phase != 2;
	spec_phase = 0;
}

/* what vm_create() and vm_destroy() (svm/vm/vm.c) call besides the scheduler and the NPT */
struct svm_features svm_features;

void cpuid_policy_init(void)
{
}

void msr_vcpu_reset(struct vcpu_msrs *m)
{
	memset(m, 0, sizeof(*m));
}

static unsigned lazy_live; /* save areas allocated and not freed */
bool lazy_regs_init(struct lazy_regs *l)
{
	l->live_cpu = -1;
	lazy_live++;
	return true;
}

void lazy_regs_free(struct lazy_regs *l)
{
	(void)l;
	lazy_live--;
}

bool avic_vm_init(struct avic_vm *a, struct npt *npt, unsigned max_vcpus)
{
	(void)a;
	(void)npt;
	(void)max_vcpus;
	return true; /* the soft policy: no tables */
}

void avic_vm_destroy(struct avic_vm *a)
{
	(void)a;
}

void avic_vcpu_init(const struct avic_vm *a, struct vmcb *vmcb, unsigned index,
		    const void *backing_page)
{
	(void)a;
	(void)vmcb;
	(void)index;
	(void)backing_page;
}

void apic_deliver_message(struct vm *vm, uint32_t dest, bool logical, uint8_t vector,
			  unsigned delivery_mode, bool level)
{
	(void)vm, (void)dest, (void)logical, (void)vector, (void)delivery_mode, (void)level;
}

void intremap_vm_destroy(struct vm *vm)
{
	(void)vm;
}

void passthrough_release(struct vm *vm)
{
	(void)vm;
}

void platform_init(struct vm *vm, ioapic_deliver_fn deliver)
{
	(void)vm;
	(void)deliver;
}

uint64_t svm_host_vmcb_pa(void)
{
	return 0;
}

static unsigned platform_stops;
void platform_stop(struct vm *vm)
{
	(void)vm;
	platform_stops++;
}

bool platform_start(struct vm *vm)
{
	(void)vm;
	return true;
}

/* The fake guest: each VMRUN of a vCPU takes the next step of its script. */
#define STEPS 64
struct script {
	enum exit_outcome step[STEPS];
	unsigned n, at;
	uint64_t each;         /* fake time one guest run takes */
	uint64_t injected[8];  /* EVENTINJ seen at VMRUN when valid */
	unsigned injections;
	bool stop_vm_at_end;   /* the last step stops the VM (vm_stop in the handler) */
};
static struct vm vm;
static struct vcpu *vcpus[3];
static struct script scripts[3];
static unsigned world_switches;

static struct vm *guest_vm = &vm; /* the VM whose vCPUs the fake world switch runs */

static struct vcpu *vcpu_of_vmcb(uint64_t pa)
{
	for (unsigned i = 0; i < guest_vm->vcpu_count; i++)
		if ((uint64_t)(uintptr_t)guest_vm->vcpu[i]->vmcb == pa)
			return guest_vm->vcpu[i];
	abort();
}

void svm_world_switch(uint64_t guest_vmcb_pa, struct guest_regs *regs, uint64_t host_vmcb_pa)
{
	(void)regs;
	(void)host_vmcb_pa;
	struct vcpu *v = vcpu_of_vmcb(guest_vmcb_pa);
	struct script *s = &scripts[v->index];
	world_switches++;
	spec_bracket_errors += spec_phase != 1;
	spec_phase = 2;
	fake_tsc += s->each;
	uint64_t e = v->vmcb->control.event_inj;
	if (event_get_valid(e) && s->injections < 8)
		s->injections++, s->injected[s->injections - 1] = e;
	v->vmcb->control.event_inj = 0; /* delivered */
}

enum exit_outcome exit_dispatch(struct vcpu *v)
{
	struct script *s = &scripts[v->index];
	if (s->at >= s->n)
		return EXIT_HALT; /* out of script: the guest halts */
	enum exit_outcome o = s->step[s->at++];
	if (o == EXIT_STOP) {
		vm_stop(v->vm, 0, true, "script end");
		return EXIT_STOP;
	}
	return o;
}

/* ---- building the VM ----------------------------------------------------------------------- */
static void vm_free(void)
{
	for (unsigned i = 0; i < vm.vcpu_count; i++) {
		free(vcpus[i]->vmcb);
		free(vcpus[i]->vapic.page);
		free(vcpus[i]);
	}
	vm.vcpu_count = 0;
}

static void vm_build(unsigned n, const unsigned *homes)
{
	vm_free();
	memset(&vm, 0, sizeof(vm));
	memset(scripts, 0, sizeof(scripts));
	snprintf(vm.name, sizeof(vm.name), "t");
	for (unsigned i = 0; i < n; i++) {
		struct vcpu *v = calloc(1, sizeof(*v));
		v->vm = &vm;
		v->index = i;
		v->vmcb = (struct vmcb *)(uintptr_t)frame_alloc();
		v->vmcb->save.rflags = RFLAGS_IF;
		v->vapic.page = (uint8_t *)(uintptr_t)frame_alloc();
		vapic_reset(&v->vapic, i, i == 0);
		v->running_on = -1;
		v->lazy.live_cpu = -1;
		v->state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
		v->wait_for_sipi = i != 0;
		vcpu_sched_init(v, homes[i]);
		vcpus[i] = v;
		vm.vcpu[i] = v;
	}
	vm.vcpu_count = n;
}

static unsigned left;
/* The loop's condition, asked at the top of each round and again before idling: `left` rounds,
 * never wrapping below 0. */
static bool some_time_left(void)
{
	if (!left)
		return false;
	left--;
	return true;
}

static bool some_left(void)
{
	return some_time_left() && vm_any_live();
}

static void run_cpu0(unsigned rounds)
{
	left = rounds;
	sched_loop_until(UINT64_MAX, some_left);
}

/* ---- the checks ---------------------------------------------------------------------------- */
static void halt_block_wake_inject(void)
{
	const unsigned homes[] = {0};
	vm_build(1, homes);
	struct vcpu *v = vcpus[0];
	scripts[0] = (struct script){.step = {EXIT_RESUME, EXIT_RESUME, EXIT_HALT}, .n = 3, .each = US};
	world_switches = 0;
	vm_start(&vm);
	CHECK(vm_any_live());
	CHECK_EQ(fake_cpus[0].sched->timer_count, 1); /* its guest timer */
	run_cpu0(3);
	/* RESUME, RESUME, HALT with nothing pending: blocked, off the CPU, nobody queued it */
	CHECK_EQ(world_switches, 3);
	CHECK_EQ(v->stats.event[EVENT_RSB_FILL], 3);
	CHECK_EQ(spec_bracket_errors, 0);
	CHECK_EQ(v->state, VCPU_BLOCKED);
	CHECK(v->halted);
	CHECK_EQ(v->running_on, -1);
	CHECK(!v->sched.queued);
	CHECK_EQ(v->stats.event[EVENT_BLOCK], 1);
	/* CPU 1 posts vector 0x41 and fake_kicks it (delivery protocol): woken and queued on CPU 0 */
	fake_become_cpu(1);
	CHECK(vapic_set_irr(v->vapic.page, 0x41, false));
	vcpu_kick(v);
	fake_become_cpu(0);
	CHECK_EQ(v->state, VCPU_RUNNABLE);
	CHECK(v->sched.queued);
	CHECK_EQ(v->stats.event[EVENT_WAKE], 1);
	/* it runs again and the vector is injected at the next VMRUN (soft policy) */
	scripts[0].step[3] = EXIT_STOP;
	scripts[0].n = 4;
	run_cpu0(3);
	CHECK_EQ(scripts[0].injections, 1);
	CHECK_EQ(scripts[0].injected[0], event_make(EVENT_INTR, 0x41));
	CHECK(!v->halted);
	/* EXIT_STOP: retired at once, the VM ended, its timer object gone */
	CHECK_EQ(v->state, VCPU_STOPPED);
	CHECK_EQ(vm.state, VM_STOPPED);
	CHECK(!vm_any_live());
	CHECK_EQ(fake_cpus[0].sched->timer_count, 0);
	CHECK_EQ(platform_stops, 1);
	CHECK(!strcmp(vm.stop_reason, "script end"));
}

static void slices_between_two_vcpus(void)
{
	const unsigned homes[] = {0, 0};
	vm_build(2, homes);
	/* both runnable on CPU 0, each guest run 1 ms: a slice of 4 ms each, in turn */
	vcpus[1]->wait_for_sipi = false;
	vcpus[1]->state = VCPU_RUNNABLE;
	for (unsigned i = 0; i < 2; i++) {
		scripts[i].each = 1000 * US;
		scripts[i].n = 20;
	}
	scripts[1].step[19] = EXIT_STOP;
	vm_start(&vm);
	sched_enqueue(&vcpus[1]->sched);
	fake_cpus[0].sched->slice_start_tsc = fake_tsc;
	for (unsigned guard = 0; guard < 200 && vm_any_live(); guard++)
		run_cpu0(1);
	CHECK(vcpus[0]->stats.event[EVENT_PREEMPT] >= 1);
	CHECK(vcpus[1]->stats.event[EVENT_PREEMPT] >= 1);
	CHECK_EQ(vm.state, VM_STOPPED);
	CHECK_EQ(vcpus[0]->state, VCPU_STOPPED);
	CHECK_EQ(vcpus[1]->state, VCPU_STOPPED);
}

static void stop_with_running_blocked_and_waiting(void)
{
	const unsigned homes[] = {0, 1, 1};
	vm_build(3, homes);
	/* vCPU 0 runs on CPU 0; vCPU 1 (CPU 1) blocks in HLT; vCPU 2 waits for its SIPI */
	vcpus[1]->wait_for_sipi = false;
	vcpus[1]->state = VCPU_RUNNABLE;
	scripts[0] = (struct script){.step = {EXIT_RESUME, EXIT_RESUME, EXIT_RESUME}, .n = 3};
	scripts[1] = (struct script){.step = {EXIT_HALT}, .n = 1};
	vm_start(&vm);
	CHECK_EQ(fake_cpus[0].sched->timer_count, 1);
	CHECK_EQ(fake_cpus[1].sched->timer_count, 2);
	sched_enqueue(&vcpus[1]->sched);
	fake_run_queue(1, 16);
	CHECK_EQ(vcpus[1]->state, VCPU_BLOCKED);
	CHECK_EQ(vcpus[2]->state, VCPU_WAIT_SIPI);
	unsigned kicks_before = fake_kicks[1];
	/* the VM is stopped from CPU 0 (e.g. a fatal fault of vCPU 0's): the waiting vCPUs are
	 * queued on CPU 1 (which idles: kicked), vCPU 0 retires at its next round */
	fake_cpus[1].sched->idle = true;
	vm_stop(&vm, 0x7e, false, "a fault");
	vm_stop(&vm, 0x7f, false, "a second stop is ignored");
	CHECK(!strcmp(vm.stop_reason, "a fault"));
	CHECK_EQ(vm.exit_value, 0x7e);
	CHECK_EQ(vm.state, VM_STOPPING);
	CHECK(vcpus[1]->sched.queued && vcpus[2]->sched.queued);
	CHECK(fake_kicks[1] > kicks_before);
	fake_cpus[1].sched->idle = false;
	fake_run_queue(1, 16);
	CHECK_EQ(vcpus[1]->state, VCPU_STOPPED);
	CHECK_EQ(vcpus[2]->state, VCPU_STOPPED);
	CHECK_EQ(vm.state, VM_STOPPING); /* vCPU 0 has not left yet */
	CHECK(vm_any_live());
	run_cpu0(2);
	CHECK_EQ(vcpus[0]->state, VCPU_STOPPED);
	CHECK_EQ(vm.state, VM_STOPPED);
	CHECK(!vm_any_live());
	/* nothing of the VM is left in the scheduler: queues empty, no timer objects */
	CHECK(fake_cpus[0].sched->head == NULL && fake_cpus[1].sched->head == NULL);
	CHECK_EQ(fake_cpus[0].sched->timer_count, 0);
	CHECK_EQ(fake_cpus[1].sched->timer_count, 0);
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(vcpus[i]->running_on, -1);
}

/* A VM made by vm_create() whose vCPUs are blocked in HLT and waiting for SIPI when it is stopped
 * from outside (the runner's time limit): every vCPU leaves the scheduler, vm_destroy() frees all
 * the VM allocated, and the CPUs go on without touching it (ASan reports any use of a freed vCPU,
 * e.g. a timer object left registered or a vCPU left queued). */
static void destroy_with_vcpus_blocked(void)
{
	uint64_t frames_before = fake_frames_live;
	CHECK(vm_init_global());
	uint64_t frames_global = fake_frames_live;
	struct vm *d = vm_create("d", 3, 2ull << 20, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	memset(scripts, 0, sizeof(scripts));
	guest_vm = d;
	CHECK_EQ(d->vcpu[0]->sched.home_cpu, 0); /* round robin over the two CPUs */
	CHECK_EQ(d->vcpu[1]->sched.home_cpu, 1);
	CHECK_EQ(d->vcpu[2]->sched.home_cpu, 0);
	CHECK_EQ(lazy_live, 3);
	d->vcpu[1]->wait_for_sipi = false; /* vCPU 1 started, vCPU 2 still waits for its SIPI */
	d->vcpu[1]->state = VCPU_RUNNABLE;
	scripts[0] = (struct script){.step = {EXIT_RESUME, EXIT_HALT}, .n = 2, .each = US};
	scripts[1] = (struct script){.step = {EXIT_HALT}, .n = 1, .each = US};
	vm_start(d);
	sched_enqueue(&d->vcpu[1]->sched);
	run_cpu0(2);
	fake_run_queue(1, 4);
	for (unsigned i = 0; i < 2; i++) {
		CHECK_EQ(d->vcpu[i]->state, VCPU_BLOCKED);
		CHECK(!d->vcpu[i]->sched.queued);
	}
	CHECK_EQ(d->vcpu[2]->state, VCPU_WAIT_SIPI);
	CHECK_EQ(fake_cpus[0].sched->timer_count, 2);
	CHECK_EQ(fake_cpus[1].sched->timer_count, 1);

	vm_stop(d, 0x7e, false, "time limit");
	fake_run_queue(1, 4);
	run_cpu0(4);
	CHECK_EQ(d->state, VM_STOPPED);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(d->vcpu[i]->state, VCPU_STOPPED);
		CHECK_EQ(d->vcpu[i]->running_on, -1);
	}
	CHECK(fake_cpus[0].sched->head == NULL && fake_cpus[1].sched->head == NULL);
	CHECK_EQ(fake_cpus[0].sched->timer_count, 0);
	CHECK_EQ(fake_cpus[1].sched->timer_count, 0);
	CHECK(!vm_any_live());

	vm_destroy(d);
	guest_vm = &vm;
	CHECK_EQ(lazy_live, 0);
	CHECK_EQ(fake_frames_live, frames_global); /* vCPUs, VMCBs, APIC pages, NPT, RAM, the VM */
	CHECK(frames_global > frames_before);     /* the shared permission maps stay */
	/* the CPUs go on: timer interrupts and an idle loop past several slices */
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		fake_become_cpu(cpu);
		fake_tsc += 2 * SCHED_SLICE_US * US;
		fake_timer_interrupt();
	}
	fake_become_cpu(0);
	left = 3;
	sched_loop_until(fake_tsc + 3 * SCHED_SLICE_US * US, some_time_left);
	CHECK(fake_cpus[0].sched->current == NULL);
}

int main(void)
{
	fake_machine_start();
	vcpu_delivery_init();
	if (setjmp(fake_panic_jump)) {
		fprintf(stderr, "panic: %s\n", fake_panic_message);
		CHECK(false);
		return check_summary("vcpu");
	}
	halt_block_wake_inject();
	slices_between_two_vcpus();
	stop_with_running_blocked_and_waiting();
	destroy_with_vcpus_blocked();
	vm_free();
	return check_summary("vcpu");
}
