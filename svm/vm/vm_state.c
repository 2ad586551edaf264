/* A VM's run state: started (its vCPUs' timers registered, vCPU 0 queued), stopped once with a
 * reason, ended when its last vCPU has left its CPU; and whether any VM still runs. The ordering
 * with the vCPUs' own state words is explained at each step; tests/unit/test_vcpu.c runs it with
 * the run loop on the fake arch. */
#include "svm/vm/vm.h"
#include "kernel/format.h"
#include "kernel/lapic.h"
#include "kernel/percpu.h"
#include "kernel/qemu.h"
#include "kernel/sched.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "svm/platform/platform.h"
#include "svm/vm/vcpu.h"

volatile uint32_t vms_live;

bool vm_any_live(void)
{
	return __atomic_load_n(&vms_live, __ATOMIC_ACQUIRE) != 0;
}

void vm_start(struct vm *vm)
{
	vm->vcpus_live = vm->vcpu_count;
	vm->state = VM_RUNNING;
	vm->start_tsc = rdtsc();
	__atomic_fetch_add(&vms_live, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (!vcpu_sched_start(vm->vcpu[i])) {
			/* its guest timer would never fire: not the VM that was asked for */
			vm_stop(vm, QEMU_EXIT_VM_FAILED, false,
				"vCPU %u: host CPU %u already serves %u vCPUs (pin the VMs to other CPUs with cpus=)",
				i, vm->vcpu[i]->sched.home_cpu, SCHED_MAX_TIMERS);
			break;
		}
	}
	if (!platform_start(vm))
		vm_stop(vm, QEMU_EXIT_VM_FAILED, false,
			"the PIT's timer: host CPU %u already serves %u timers (pin the VMs to other "
			"CPUs with cpus=)",
			vm->vcpu[0]->sched.home_cpu, SCHED_MAX_TIMERS);
	sched_enqueue(&vm->vcpu[0]->sched);
}

void vm_stop(struct vm *vm, int exit_value, bool from_guest, const char *fmt, ...)
{
	spin_lock(&vm->lock);
	bool first = vm->state == VM_RUNNING;
	if (first) {
		vm->exit_value = exit_value;
		vm->exit_from_guest = from_guest;
		va_list ap;
		va_start(ap, fmt);
		format_v(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
		va_end(ap);
		vm->stop_tsc = rdtsc();
		__atomic_store_n(&vm->state, VM_STOPPING, __ATOMIC_SEQ_CST);
	}
	spin_unlock(&vm->lock);
	if (!first)
		return;
	/* Every vCPU must notice: running ones get a kick, waiting ones are queued so that their
	 * CPU retires them. */
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = vm->vcpu[i];
		uint32_t s = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
		while ((s == VCPU_BLOCKED || s == VCPU_WAIT_SIPI) &&
		       !__atomic_compare_exchange_n(&v->state, &s, VCPU_RUNNABLE, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE))
			;
		if (s == VCPU_BLOCKED || s == VCPU_WAIT_SIPI)
			sched_enqueue(&v->sched);
		else
			vcpu_kick_exit(v);
	}
}

void vm_vcpu_stopped(struct vcpu *v)
{
	__atomic_store_n(&v->state, VCPU_STOPPED, __ATOMIC_SEQ_CST);
	struct vm *vm = v->vm;
	if (__atomic_sub_fetch(&vm->vcpus_live, 1, __ATOMIC_SEQ_CST) == 0) {
		platform_stop(vm);
		__atomic_store_n(&vm->state, VM_STOPPED, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&vms_live, 1, __ATOMIC_SEQ_CST);
		/* CPU 0 reports when every VM has ended; wake it if it idles */
		struct percpu *bsp = percpu_by_index[0];
		if (bsp != this_cpu())
			lapic_send_ipi(bsp->apic_id, VECTOR_KICK);
	}
}
