/* A VM's options: the words after its module's name on the boot loader's module line, or after
 * its path in doorbell.cfg (README "VM options"), parsed and checked before the VM is created. */
#ifndef SVM_VM_VM_OPTIONS_H
#define SVM_VM_VM_OPTIONS_H

#include "kernel/boot_info.h"
#include "kernel/types.h"
#include "svm/vm/passthrough.h"
#include "svm/vm/vm.h"

#define VM_DEFAULT_MEM (32ull << 20)
#define VM_MIN_MEM (2ull << 20)

struct vm_options {
	char name[VM_NAME_MAX];
	unsigned vcpus;
	uint64_t mem;
	uint64_t pin_mask;
	char args[VM_ARGS_MAX];
	uint16_t pci[PASSTHROUGH_MAX_DEVICES]; /* pci=BB:DD.F, repeatable */
	unsigned pci_count;
	enum vm_log_replay replay;
	char initrd[BOOT_MODULE_NAME_MAX]; /* initrd=NAME: the module that is this VM's initrd */
	uint32_t trace;        /* trace= groups (svm/vm/trace.h), 0: no trace */
	uint64_t trace_dump;   /* trace-dump=: records per vCPU printed at the VM's end */
	bool trace_dump_given;
	const char *error; /* NULL, or what is wrong */
	char bad_key[32];  /* the unknown option, for the message */
	unsigned host_cpus; /* cpus= may name CPUs 0 to host_cpus - 1 */
};

/* Fills *o with the defaults, the module's name and then its option words, the first bad one
 * ending the parse. host_cpus: the CPUs online (cpus= may name 0 to host_cpus - 1, at most
 * MAX_CPUS = 64). o->error is NULL when every option was good. */
void vm_options_parse(struct vm_options *o, const char *name, const char *args,
		      unsigned host_cpus);

#endif
