/* The instruction at a vCPU's RIP (svm/emul/guest_insn.c on its VMCB and its VM's memory). */
#include "kernel/qemu.h"
#include "svm/emul/guest_insn.h"
#include "svm/svm.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"

static int vcpu_read_insn(struct vcpu *v, struct insn *insn, bool stop)
{
	char why[96];
	if (!guest_insn_read(v->vmcb, svm_features.decode_assists, vm_read_gpa, v->vm, insn, why,
			     sizeof(why)))
		return 0;
	if (stop)
		vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false, "vCPU %u: %s", v->index, why);
	return -1;
}

int vcpu_fetch_insn(struct vcpu *v, struct insn *insn)
{
	return vcpu_read_insn(v, insn, true);
}

int vcpu_peek_insn(struct vcpu *v, struct insn *insn)
{
	return vcpu_read_insn(v, insn, false);
}
