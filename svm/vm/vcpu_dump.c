/* The state of a vCPU that may be running on another CPU, read without stopping it: the values
 * printed may be a mix of moments, which is fine for their purpose (telling an interrupt that
 * waits in the IRR, in the ISR, in EVENTINJ or nowhere apart). Lines start with "debug vm=". */
#include "svm/vm/vcpu_dump.h"
#include "avic/avic.h"
#include "avic/avic_table.h"
#include "avic/vlapic/apic_regs.h"
#include "avic/vlapic/vapic.h"
#include "kernel/console.h"
#include "kernel/sched.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include "svm/vm/vm.h"

/* the last trace records of each vCPU in a stuck-vCPU report (trace=) */
#define VCPU_DUMP_TRACE_RECORDS 32

static const char *const state_names[] = {
	[VCPU_RUNNABLE] = "runnable",
	[VCPU_BLOCKED] = "blocked",
	[VCPU_WAIT_SIPI] = "wait_sipi",
	[VCPU_STOPPED] = "stopped",
};

/* A 256-bit vector register (IRR, ISR, TMR) as 64 hex digits, vector 255 first. */
static void dump_vectors(const uint8_t *page, unsigned base, char out[APIC_VECTOR_WORDS * 8 + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < APIC_VECTOR_WORDS; i++) {
		uint32_t w = __atomic_load_n(
		    (const uint32_t *)(const void *)(page + base +
		                                     (APIC_VECTOR_WORDS - 1 - i) * APIC_REG_STRIDE),
		    __ATOMIC_RELAXED);
		for (unsigned d = 0; d < 8; d++)
			out[i * 8 + d] = hex[(w >> (28 - 4 * d)) & 0xf];
	}
	out[APIC_VECTOR_WORDS * 8] = 0;
}

static uint64_t us_since(uint64_t then, uint64_t now)
{
	return then && now > then ? (now - then) / (tsc_hz / 1000000) : 0;
}

static void dump_vcpu(const struct vcpu *v)
{
	const char *vm = v->vm->name;
	const struct vmcb_control *c = &v->vmcb->control;
	const uint8_t *page = v->vapic.page;
	uint32_t state = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
	uint64_t now = rdtsc();
	char irr[APIC_VECTOR_WORDS * 8 + 1], isr[sizeof(irr)], tmr[sizeof(irr)];

	printk("debug vm=%s vcpu=%u state=%s halted=%d running_on=%d home_cpu=%u last_cpu=%d "
	       "nmi_pending=%d nmi_masked=%d init_pending=%d sipi_pending=%d load_us_ago=%lu "
	       "put_us_ago=%lu\n",
	       vm, v->index, state < ARRAY_SIZE(state_names) ? state_names[state] : "?", v->halted,
	       v->running_on, v->sched.home_cpu, v->last_cpu, v->nmi_pending, v->nmi_masked,
	       v->init_pending, v->sipi_pending, us_since(v->load_tsc, now),
	       us_since(v->put_tsc, now));
	dump_vectors(page, APIC_IRR, irr);
	dump_vectors(page, APIC_ISR, isr);
	dump_vectors(page, APIC_TMR, tmr);
	printk("debug vm=%s vcpu=%u irr=%s\n", vm, v->index, irr);
	printk("debug vm=%s vcpu=%u isr=%s\n", vm, v->index, isr);
	printk("debug vm=%s vcpu=%u tmr=%s\n", vm, v->index, tmr);
	printk("debug vm=%s vcpu=%u tpr=0x%x ppr=0x%x pending_vector=%d timer_deadline_us=%ld\n", vm,
	       v->index, apic_reg_read(page, APIC_TPR), vapic_ppr(page), vapic_pending_vector(page),
	       vapic_timer_deadline(&v->vapic) == VAPIC_TIMER_NONE
	           ? -1L
	           : (long)us_since(now, vapic_timer_deadline(&v->vapic)));
	printk("debug vm=%s vcpu=%u rip=0x%lx rflags=0x%lx if=%d int_shadow=%d event_inj=0x%lx "
	       "exit_int_info=0x%lx v_irq=%d vintr_intercept=%d last_exit=0x%lx\n",
	       vm, v->index, v->vmcb->save.rip, v->vmcb->save.rflags,
	       (v->vmcb->save.rflags & RFLAGS_IF) != 0, int_state_get_shadow(c->int_state) != 0,
	       c->event_inj, c->exit_int_info, int_ctl_get_v_irq(c->int_ctl) != 0,
	       (c->intercept_misc1 & INTERCEPT_VINTR) != 0, c->exit_code);
	if (avic_enabled()) {
		uint64_t e = *avic_physical_entry(&v->vm->avic, v->index);
		printk("debug vm=%s vcpu=%u avic_physical_entry=0x%lx is_running=%lu\n", vm,
		       v->index, e, avic_physical_entry_get_is_running(e));
	}
	const struct exit_stats *s = &v->stats;
	printk("debug vm=%s vcpu=%u exits=%lu intr=%lu vintr=%lu hlt=%lu npf=%lu wake=%lu "
	       "block=%lu sched_in=%lu sched_out=%lu preempt=%lu kick_sent=%lu irq_injected=%lu\n",
	       vm, v->index, s->total, s->exit[VMEXIT_INTR], s->exit[VMEXIT_VINTR],
	       s->exit[VMEXIT_HLT], s->exit[EXIT_SLOT_NPF_BASE], s->event[EVENT_WAKE],
	       s->event[EVENT_BLOCK], s->event[EVENT_SCHED_IN], s->event[EVENT_SCHED_OUT],
	       s->event[EVENT_PREEMPT], s->event[EVENT_KICK_SENT], s->event[EVENT_IRQ_INJECTED]);
}

void vcpu_dump_requested(struct vm *vm)
{
	uint32_t req = __atomic_exchange_n(&vm->debug_requests, 0, __ATOMIC_ACQUIRE);
	if (!req)
		return;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (req & (1u << i))
			dump_vcpu(vm->vcpu[i]);
	sched_print_queues();
	/* The moment the guest named would be overwritten in the rings by the VM's end
	 * (docs/trace.md, "Snapshots"): each vCPU's trace-dump= records from it. */
	uint64_t from = __atomic_exchange_n(&vm->debug_trace_tsc, 0, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; from && i < vm->vcpu_count; i++)
		if (vm->vcpu[i]->trace)
			trace_print_from(vm->vcpu[i]->trace, vm->name, i, from, vm->trace_dump);
}

void vcpu_dump_all(struct vm *vm, const char *why)
{
	printk("debug vm=%s: %s: the state of its %u vCPU(s) before it is stopped\n", vm->name, why,
	       vm->vcpu_count);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		dump_vcpu(vm->vcpu[i]);
		if (vm->vcpu[i]->trace)
			trace_print(vm->vcpu[i]->trace, vm->name, i, VCPU_DUMP_TRACE_RECORDS);
	}
	sched_print_queues();
}

/* Blocked in HLT with IF set and a vector the APIC would deliver now: nothing is meant to leave a
 * vCPU there, since whoever set that IRR bit also wakes it (or, under AVIC, the CPU exits so that
 * doorbell does), except a wake-up that was lost, as AMD erratum #1235 loses one under the
 * standard policy (docs/avic.md). Seen in the same block for VCPU_STUCK_MS, it is printed once. */
void vcpu_watch_stuck(struct vm *vm)
{
	uint64_t now = rdtsc();
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = vm->vcpu[i];
		uint64_t block = v->stats.event[EVENT_BLOCK];
		int vector = vapic_pending_vector(v->vapic.page);
		bool stuck = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_BLOCKED &&
		             v->halted && (v->vmcb->save.rflags & RFLAGS_IF) && vector >= 0;
		if (!stuck || block != v->stuck_block || !v->stuck_since_tsc) {
			v->stuck_since_tsc = stuck ? now : 0;
			v->stuck_block = block;
			v->stuck_reported = false;
			continue;
		}
		if (v->stuck_reported || now - v->stuck_since_tsc < VCPU_STUCK_MS * (tsc_hz / 1000))
			continue;
		v->stuck_reported = true;
		/* one line, the facts as they are now: a full dump would hold CPU 0 at the console
		 * for a fraction of a second, while guests' own HC_DEBUG_VCPU reports wait */
		int running_on = __atomic_load_n(&v->running_on, __ATOMIC_ACQUIRE);
		long is_running = -1;
		if (avic_enabled())
			is_running = (long)avic_physical_entry_get_is_running(
			    *avic_physical_entry(&vm->avic, i));
		uint64_t deadline = vapic_timer_deadline(&v->vapic);
		long timer_ms = deadline == VAPIC_TIMER_NONE ? -1L
		                                             : (long)(us_since(now, deadline) / 1000);
		printk("debug vm=%s vcpu=%u stuck: blocked in HLT with IF=1 for %lu ms, vector %d "
		       "deliverable in its IRR, running_on=%d is_running=%ld timer_in_ms=%ld: a lost "
		       "wake-up\n",
		       vm->name, i, us_since(v->stuck_since_tsc, now) / 1000, vector, running_on,
		       is_running, timer_ms);
	}
}
