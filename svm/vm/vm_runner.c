/* Runs the VMs the loader handed over as modules: parses each module's VM options, creates and
 * loads the VM (a bad image or option stops only that VM from starting), runs the scheduler on
 * every CPU until all VMs have ended, and prints each VM's result and exit counters. */
#include "kernel/boot_info.h"
#include "kernel/cmdline.h"
#include "kernel/config.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/frame.h"
#include "kernel/pci.h"
#include "kernel/percpu.h"
#include "kernel/qemu.h"
#include "kernel/sched.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include "svm/vm/loader.h"
#include "avic/avic.h"
#include "svm/platform/platform.h"
#include "svm/cpu/lazy_regs.h"
#include "svm/svm.h"
#include "svm/cpu/spec.h"
#include "svm/vm/test_hooks.h"
#include "svm/vm/vm_options.h"
#include "svm/vm/vm_runner.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vcpu_dump.h"
#include "svm/vm/vm.h"
#include "svm/vm/intremap.h"
#include "iommu/iommu.h"

/* The module named by initrd=, or NULL (the name is not a module). */
static const struct boot_module *module_by_name(const struct boot_info *info, const char *name)
{
	for (unsigned i = 0; i < info->module_count; i++) {
		if (!strcmp(info->module[i].name, name))
			return &info->module[i];
	}
	return NULL;
}

static struct vm *vm_from_module(const struct boot_module *m, struct vm_options *opts,
				 const struct boot_info *info)
{
	struct vm_options o = *opts;
	if (o.error) {
		pr_err("vm %s: %s%s%s; this VM is not started\n", o.name, o.error,
		       o.bad_key[0] ? " " : "", o.bad_key);
		return NULL;
	}
	const struct boot_module *initrd = NULL;
	if (o.initrd[0] && !(initrd = module_by_name(info, o.initrd))) {
		pr_err("vm %s: initrd=%s: no module of that name (GRUB: a module2 line whose first "
		       "word is %s; doorbell.cfg: a 'module' line); this VM is not started\n",
		       o.name, o.initrd, o.initrd);
		return NULL;
	}
	struct vm *vm = vm_create(o.name, o.vcpus, o.mem, o.pin_mask);
	if (!vm) {
		pr_err("vm %s: cannot create (out of memory?); this VM is not started\n", o.name);
		return NULL;
	}
	strlcpy(vm->args, o.args, sizeof(vm->args));
	vm->replay = (uint8_t)o.replay;
	vm->trace_dump = (uint32_t)o.trace_dump;
	if (o.trace && !vm_trace_enable(vm, o.trace)) {
		pr_err("vm %s: out of memory for the trace rings (trace=); this VM is not started\n",
		       o.name);
		vm_destroy(vm);
		return NULL;
	}
	const char *err = loader_load(vm, (const void *)(uintptr_t)m->base, m->size, m->name, o.args,
				      initrd ? (const void *)(uintptr_t)initrd->base : NULL,
				      initrd ? initrd->size : 0);
	if (err) {
		pr_err("vm %s: cannot load %s: %s; this VM is not started\n", o.name, m->name, err);
		vm_destroy(vm);
		return NULL;
	}
	for (unsigned i = 0; i < o.pci_count; i++) {
		char why[240];
		if (!passthrough_assign(vm, o.pci[i], why, sizeof(why))) {
			pr_err("vm %s: pci=" PCI_BDF_FMT ": %s; this VM is not started\n", o.name,
			       PCI_BDF_ARGS(o.pci[i]), why);
			vm_destroy(vm);
			return NULL;
		}
	}
	printk("vm %s: %u vCPU(s), %lu MiB, image %s (%lu bytes)%s%s%s%s\n", vm->name,
	       vm->vcpu_count, vm->mem_size >> 20, m->name, m->size, initrd ? ", initrd " : "",
	       initrd ? initrd->name : "", o.args[0] ? ", args: " : "", o.args);
	return vm;
}

static void ap_init(void)
{
	svm_enable_cpu();
	lazy_regs_cpu_init(); /* this CPU's CR4 bits for the guests' FPU state */
	spec_cpu_init();      /* this CPU's host SPEC_CTRL */
	sched_init_cpu();
}

static void replay_line(void *ctx, const char *line)
{
	printk("vm %s| %s\n", ((struct vm *)ctx)->name, line);
}

/* Prints the VM's output log again, in one piece (replay=): by default its last lines when
 * doorbell stopped the VM, since those usually explain why and may be interleaved on the
 * console with other VMs' output. */
static void vm_replay_output(struct vm *vm)
{
	const struct vm_log *log = &vm->platform.output;
	uint64_t max = vm->replay == VM_LOG_REPLAY_ALL ? UINT64_MAX : VM_LOG_REPLAY_TAIL;
	if (vm->replay == VM_LOG_REPLAY_OFF ||
	    (vm->replay == VM_LOG_REPLAY_FAILURE && vm->exit_from_guest))
		return;
	uint64_t kept = vm_log_kept_lines(log), shown = kept < max ? kept : max;
	printk("vm %s: output log, last %lu of %lu lines (%lu older lines dropped):\n", vm->name,
	       shown, kept, vm_log_dropped_lines(log));
	vm_log_each(log, max, replay_line, vm);
	printk("vm %s: end of output log\n", vm->name);
}

/* CPU 0's housekeeping between vCPU runs, never on an exit path: every VM's output moves to the
 * console and its output log, and the vCPU states HC_DEBUG_VCPU asked for are printed. */
static void vm_flush_output(void)
{
	static struct spinlock flush_lock = SPINLOCK_INIT;
	if (!spin_trylock(&flush_lock))
		return; /* another CPU is flushing */
	for (unsigned i = 0; i < vm_count; i++) {
		if (vm_list[i]) {
			platform_flush(vm_list[i]);
			vcpu_dump_requested(vm_list[i]);
			vcpu_watch_stuck(vm_list[i]);
		}
	}
	spin_unlock(&flush_lock);
}

static void vm_report(struct vm *vm)
{
	vm_flush_output();
	platform_finish_output(vm);
	uint64_t us = (vm->stop_tsc - vm->start_tsc) / (tsc_hz / 1000000);
	printk("vm %s: ended: %s; exit value 0x%x (%s), %lu ms\n", vm->name, vm->stop_reason,
	       vm->exit_value, vm->exit_from_guest ? "from the guest" : "set by doorbell",
	       us / 1000);
	if (vm->test_passed >= 0)
		printk("vm %s: guest reported %ld passed, %ld failed\n", vm->name, vm->test_passed,
		       vm->test_failed);
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		exit_stats_print(vm->name, i, &vm->vcpu[i]->stats);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (vm->vcpu[i]->trace && vm->trace_dump)
			trace_print(vm->vcpu[i]->trace, vm->name, i, vm->trace_dump);
	}
	vm_replay_output(vm);
}

int kernel_run_vms(const struct acpi_info *acpi)
{
	(void)acpi;
	struct boot_info *info = kernel_config.boot;
	if (!info->module_count) {
		printk("doorbell: no guests given (GRUB module2 lines or guest lines in "
		       "doorbell.cfg); nothing to run\n");
		return QEMU_EXIT_SUCCESS;
	}
	char why[200];
	if (!svm_check(why, sizeof(why))) {
		pr_err("doorbell: cannot run guests: %s\n", why);
		return QEMU_EXIT_PANIC;
	}
	printk("svm: revision %u, %u ASIDs, NRIP save %s, decode assists %s, AVIC %s\n",
	       svm_features.revision, svm_features.asids, svm_features.nrips ? "yes" : "no",
	       svm_features.decode_assists ? "yes" : "no (RIP advanced by decoding)",
	       svm_features.avic ? "yes" : "no");
	if (!avic_choose_policy(kernel_config.policy))
		return QEMU_EXIT_CONFIG;
	iommu_ga_init(avic_policy != AVIC_POLICY_SOFT);
	intremap_init();
	if (test_hooks())
		test_hooks()->after_intremap_init();
	vcpu_delivery_init();
	spec_init();
	if (test_hooks())
		test_hooks()->adjust_spec_caps(&spec_caps);
	spec_print();
	svm_enable_cpu();
	lazy_regs_cpu_init(); /* this CPU's CR4 bits for the guests' FPU state */
	spec_cpu_init();      /* this CPU's host SPEC_CTRL */
	sched_init_cpu();
	iommu_poll_start();
	for (unsigned i = 1; i < MAX_CPUS; i++) {
		if (percpu_by_index[i])
			smp_call(i, (void (*)(void *))ap_init, NULL);
	}
	if (!vm_init_global()) {
		pr_err("doorbell: out of memory for the I/O and MSR permission maps\n");
		return QEMU_EXIT_PANIC;
	}
	uint64_t free_before = frame_free_count();
	unsigned failed_to_start = 0;
	struct vm *vms[BOOT_MAX_MODULES];
	unsigned n = 0;
	/* A module some VM names with initrd= is that VM's data, not a VM of its own. */
	static struct vm_options opts[BOOT_MAX_MODULES];
	bool is_initrd[BOOT_MAX_MODULES] = {false};
	for (unsigned i = 0; i < info->module_count; i++)
		vm_options_parse(&opts[i], info->module[i].name, info->module[i].args, cpu_count);
	for (unsigned i = 0; i < info->module_count; i++) {
		const struct boot_module *r = opts[i].initrd[0] ? module_by_name(info, opts[i].initrd)
								: NULL;
		if (r)
			is_initrd[r - info->module] = true;
	}
	for (unsigned i = 0; i < info->module_count; i++) {
		if (is_initrd[i])
			continue;
		struct vm *vm = vm_from_module(&info->module[i], &opts[i], info);
		if (vm)
			vms[n++] = vm;
		else
			failed_to_start++;
	}
	sched_set_housekeeping(vm_flush_output);
	for (unsigned i = 0; i < n; i++)
		vm_start(vms[i]);

	uint64_t deadline = kernel_config.vm_timeout_s ? rdtsc() + kernel_config.vm_timeout_s * tsc_hz
						       : UINT64_MAX;
	while (__atomic_load_n(&vms_live, __ATOMIC_ACQUIRE)) {
		sched_loop_until(deadline, vm_any_live);
		if (rdtsc() >= deadline) {
			/* A hang is diagnosed, not only ended: each live VM's vCPUs as they are */
			for (unsigned i = 0; i < n; i++) {
				if (__atomic_load_n(&vms[i]->state, __ATOMIC_ACQUIRE) != VM_RUNNING)
					continue;
				vcpu_dump_all(vms[i], "timeout");
				vm_stop(vms[i], QEMU_EXIT_TIMEOUT, false,
					"still running after the timeout of %lu s (timeout=)",
					kernel_config.vm_timeout_s);
			}
			deadline = UINT64_MAX;
		}
	}

	int status = QEMU_EXIT_SUCCESS;
	for (unsigned i = 0; i < n; i++) {
		vm_report(vms[i]);
		bool passed = vms[i]->exit_from_guest && vms[i]->exit_value == 0;
		if (n == 1 && !failed_to_start)
			status = vms[i]->exit_value; /* exactly what the guest asked QEMU for */
		else if (!passed)
			status = QEMU_EXIT_VM_FAILED;
	}
	if (failed_to_start)
		status = QEMU_EXIT_VM_FAILED;
	/* Every VM is destroyed: its RAM, NPT, AVIC tables, vCPUs go back to the allocator. */
	for (unsigned i = 0; i < n; i++)
		vm_destroy(vms[i]);
	uint64_t free_after = frame_free_count();
	if (free_after == free_before)
		printk("doorbell: VMs destroyed, all their memory returned (%lu pages free)\n",
		       free_after);
	else
		pr_err("doorbell: VMs destroyed but %ld pages were not returned\n",
		       (long)(free_before - free_after));
	printk("doorbell: %u VM(s) ran, %u could not start\n", n, failed_to_start);
	if (test_hooks())
		test_hooks()->after_vms();
	return status;
}
