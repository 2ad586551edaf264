/* Floor 9, svm/vm/ (docs/architecture.md "Floors").
 * Owns: VMs and vCPUs: objects, run loop, exit handlers, scheduling entity, loader, runner, IRTE
 *       binding.
 * May use: every floor below it. Of the floors below only svm/platform/ still reaches its VM
 *          object (tools/layers_allowed.txt). */
/* VMs and vCPUs: the objects, their lifecycle, and where each vCPU runs.
 *
 * Lifecycle: vm_create() -> vm_start() (vCPUs queued on their CPUs) -> running -> vm_stop()
 * with a reason (debug-exit code, triple fault, bad access, ...) -> every vCPU leaves its CPU ->
 * vm_destroy() frees memory. A VM's failure never touches another VM. */
#ifndef SVM_VM_H
#define SVM_VM_H

#include "avic/avic.h"
#include "avic/vlapic/vapic.h"
#include "svm/vm/intremap.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"
#include "svm/exit_stats.h"
#include "svm/cpu/msr.h"
#include "svm/npt.h"
#include "svm/vm/passthrough.h"
#include "svm/platform/platform.h"
#include "svm/cpu/lazy_regs.h"
#include "svm/cpu/regs.h"
#include "svm/vmcb.h"
#include "svm/vm/trace.h"

#define VM_MAX_VCPUS 16
#define VM_NAME_MAX 32
#define VM_REASON_MAX 160
#define VM_ARGS_MAX 256

enum vcpu_state {
	VCPU_RUNNABLE,  /* queued on its CPU or running there */
	VCPU_BLOCKED,   /* HLT with nothing pending: waits for an interrupt */
	VCPU_WAIT_SIPI, /* an AP after INIT: waits for a start-up IPI */
	VCPU_STOPPED,   /* its VM stopped */
};

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;    /* 0 = bootstrap processor */
	struct vmcb *vmcb; /* one page, identity mapped: its address is its physical address */
	struct guest_regs regs;
	struct lazy_regs lazy; /* FPU/SSE/AVX, XCR0, DR0-DR3: live on one CPU at a time */
	struct vapic vapic; /* local APIC state: vapic.page is the AVIC-format backing page */
	volatile uint32_t state; /* enum vcpu_state, changed with atomics */
	/* Host APIC ID of the CPU this vCPU is loaded on, or -1. Written only by vcpu_load() and
	 * vcpu_put(); read by everyone who must reach the vCPU (IPIs, the IOMMU). */
	volatile int32_t running_on;
	bool nmi_pending, nmi_masked;
	/* The NMI handler's IRET is being single-stepped (svm/vm/exit.c, exit_iret): NMIs unmask at
	 * the trap after it. The guest's own TF and DR6 from before the step. */
	bool nmi_iret_step, nmi_step_guest_tf;
	uint64_t nmi_step_dr6;
	bool halted;       /* in HLT: resumes only through a deliverable event */
	uint8_t v_tpr_entry; /* V_TPR as the last VMRUN started with (svm/vm/tpr_sync.h) */
	/* INIT/SIPI (svm/vm/apic_emulate.c). Under start_lock: senders decide whether a SIPI is
	 * accepted and the vCPU consumes INIT and SIPI, so a SIPI can never restart an AP that
	 * already started. The vCPU reads its own wait_for_sipi without the lock. */
	struct spinlock start_lock;
	bool init_pending;  /* an INIT IPI arrived: reset to wait-for-SIPI at the next entry */
	bool wait_for_sipi; /* an AP between INIT (or creation) and its start-up IPI */
	bool sipi_pending;  /* a start-up IPI was accepted: start at sipi_vector */
	uint8_t sipi_vector;
	uint32_t asid;
	struct vcpu_msrs msrs; /* MSRs kept outside the VMCB and the APIC (svm/cpu/msr.h) */
	/* What the scheduler sees of it (kernel/sched.h): its home CPU (pinning or round robin)
	 * and run-queue link, and its guest LAPIC timer as a timer object on that CPU. */
	struct sched_entity sched;
	struct sched_timer timer;
	uint64_t load_tsc, put_tsc; /* TSC at the last vcpu_load() and vcpu_put() (diagnostics) */
	int32_t last_cpu;           /* host CPU index of the last vcpu_load(), -1: never ran */
	/* The AVIC logical APIC ID table entry that names this vCPU (apic_logical_update()), -1:
	 * none */
	int32_t avic_logical_index;
	/* The lost wake-up watch (vcpu_watch_stuck(), CPU 0 only): since when it is seen blocked
	 * with a deliverable vector, in which block (EVENT_BLOCK count), reported yet */
	uint64_t stuck_since_tsc, stuck_block;
	bool stuck_reported;
	struct exit_stats stats;
	struct intremap_vcpu intremap; /* guest-mode IRTEs that target this vCPU (iommu/) */
	struct trace_ring *trace;       /* trace= (svm/vm/trace.h), NULL when the VM does not trace */
};

enum vm_state { VM_CREATED, VM_RUNNING, VM_STOPPING, VM_STOPPED };

struct vm {
	char name[VM_NAME_MAX];
	unsigned id;
	volatile uint32_t state;
	uint64_t mem_size; /* guest RAM [0, mem_size) */
	uint64_t ram_hpa;  /* host physical base of the contiguous guest RAM */
	struct npt npt;
	struct vcpu *vcpu[VM_MAX_VCPUS];
	unsigned vcpu_count;
	volatile uint32_t vcpus_live; /* vCPUs not yet STOPPED */
	struct spinlock lock;         /* this VM's devices and stop; never held across VMRUN */
	int exit_value;              /* QEMU-style exit value: the debug-exit code, or QEMU_EXIT_* */
	bool exit_from_guest;        /* exit_value came from the guest (debug-exit / HC_EXIT) */
	char stop_reason[VM_REASON_MAX];
	uint64_t start_tsc, stop_tsc;
	int64_t test_passed, test_failed; /* HC_TEST_RESULT, -1 if never reported */
	char args[VM_ARGS_MAX];       /* the guest's command line */
	uint64_t pin_mask;            /* cpus= */
	uint8_t replay;               /* replay= (enum vm_log_replay) */
	uint32_t trace_dump;          /* trace-dump=: trace records per vCPU printed at its end */
	struct platform platform;     /* virtual devices */
	struct passthrough pci;       /* assigned PCI functions (pci=), their DMA domain */
	struct avic_vm avic;          /* AVIC tables and APIC access page (avic/avic.c) */
	/* vCPUs whose state HC_DEBUG_VCPU asked for (bit = index), printed outside the exit path
	 * by vcpu_dump_requested() */
	volatile uint32_t debug_requests;
	/* the TSC the last HC_DEBUG_VCPU named (RDX:RCX), 0 if none: the trace is printed from it */
	volatile uint64_t debug_trace_tsc;
	struct intremap_table *intremap; /* interrupt tables of assigned devices */
};

/* The I/O and MSR permission maps all VMs share; once, before the first vm_create(). */
bool vm_init_global(void);
struct vm *vm_create(const char *name, unsigned vcpus, uint64_t mem, uint64_t pin_mask);
/* Loads nothing; marks vCPU 0 runnable at the state the loader left and the APs waiting for
 * SIPI, and queues vCPU 0 on its CPU. */
void vm_start(struct vm *vm);
/* Stops the VM (first reason wins); vCPUs leave their CPUs at their next exit. */
void vm_stop(struct vm *vm, int exit_value, bool from_guest, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void vm_destroy(struct vm *vm);
/* trace=: gives each vCPU a trace ring recording the groups in mask; false if out of memory. */
bool vm_trace_enable(struct vm *vm, uint32_t mask);
/* Called by the vCPU's CPU when it leaves a stopping VM for good. */
void vm_vcpu_stopped(struct vcpu *v);
/* Real-mode entry of an AP at a start-up IPI vector. */
void vm_vcpu_start_at_sipi(struct vcpu *v, uint8_t vector);

/* Guest-physical memory access (RAM only); false outside RAM. */
void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, uint64_t len);
bool vm_read_gpa(void *vm, gpa_t gpa, void *buf, size_t len);
bool vm_write_gpa(struct vm *vm, gpa_t gpa, const void *buf, size_t len);

extern struct vm *vm_list[];
extern unsigned vm_count;
extern volatile uint32_t vms_live;
/* True while some VM still runs (CPU 0's scheduler loop condition). */
bool vm_any_live(void);

#endif
