/* Per-CPU data, reached through the GS base. Each CPU owns exactly one struct percpu; the first
 * field points at the structure itself so that this_cpu() is a single load from %gs:0. */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include "kernel/types.h"
#include "kernel/desc.h"

#define MAX_CPUS 64

struct vcpu;
struct sched_cpu;

struct percpu {
	struct percpu *self;  /* 0x00: read by this_cpu() */
	uint64_t scratch;     /* 0x08: used by the world switch */
	unsigned index;       /* dense CPU number, 0 = boot CPU */
	uint32_t apic_id;     /* host local APIC ID */
	volatile bool online; /* set by the CPU itself once it runs kernel code */
	bool abandoned;       /* smp_boot() gave up waiting for this CPU */
	uint64_t cr0_at_start; /* CR0 as INIT/firmware left it, before smp_cpu_control_init() */
	uint64_t cr0, cr4;     /* read back after smp_cpu_control_init() */
	uint64_t stack_top;
	struct tss tss;
	struct gdt gdt;
	struct vcpu *current;  /* vCPU loaded on this CPU (vcpu_load/vcpu_put), or NULL */
	struct sched_cpu *sched;
	void *svm;             /* svm/svm.c per-CPU state: host save area, ASID */
	uint32_t spec_last_vm;  /* tag of the VM whose vCPU ran here last (svm/cpu/spec.h) */
	uint64_t spec_host_ctrl; /* the host's SPEC_CTRL on this CPU */
	void *lazy_owner;      /* struct lazy_regs live in this CPU's FPU/debug registers (svm/cpu/lazy_regs.c) */
	/* cross-CPU call mailbox, see smp_call() */
	void (*volatile call_fn)(void *);
	void *volatile call_arg;
	volatile uint32_t call_done;
};

extern struct percpu *percpu_by_index[MAX_CPUS];
extern unsigned cpu_count; /* CPUs online */

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* Makes p the calling CPU's per-CPU area (writes GS base). */
void percpu_install(struct percpu *p);

#endif
