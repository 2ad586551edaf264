#include "svm/emul/guest_insn.h"
#include "kernel/x86.h"
#include "kernel/qemu.h"
#include "svm/emul/guest_walk.h"
#include "svm/svm.h"
#include "kernel/string.h"
#include "svm/vm/vm.h"

#define SEG_ATTR_L BIT(9)
#define SEG_ATTR_DB BIT(10)

static enum cpu_mode guest_mode(const struct vmcb_save *s)
{
	if (!(s->cr0 & CR0_PE))
		return CPU_MODE_REAL16;
	if ((s->efer & EFER_LMA) && (s->cs.attrib & SEG_ATTR_L))
		return CPU_MODE_LONG64;
	return (s->cs.attrib & SEG_ATTR_DB) ? CPU_MODE_PROT32 : CPU_MODE_PROT16;
}

static int guest_insn_read(struct vcpu *v, struct insn *insn, bool stop)
{
	const struct vmcb_save *s = &v->vmcb->save;
	struct guest_paging p = {s->cr0, s->cr3, s->cr4, s->efer};
	enum cpu_mode mode = guest_mode(s);
	uint64_t linear = s->rip + (mode == CPU_MODE_LONG64 ? 0 : s->cs.base);
	if (mode != CPU_MODE_LONG64)
		linear &= 0xffffffffu;
	uint8_t bytes[15];
	uint32_t pf_error = 0;
	size_t got;
	const struct vmcb_control *c = &v->vmcb->control;
	if (svm_features.decode_assists && c->insn_len && c->insn_len <= sizeof(bytes)) {
		/* Decode assists: on #NPF the CPU saved the bytes it fetched (APM §15.33.3) */
		memcpy(bytes, c->insn_bytes, c->insn_len);
		got = c->insn_len;
	} else {
		got = guest_read_virt(&p, linear, bytes, sizeof(bytes), WALK_FETCH, vm_read_gpa,
				      v->vm, &pf_error);
	}
	if (!got) {
		if (!stop)
			return -1;
		vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
			"vCPU %u: cannot fetch the instruction at RIP 0x%lx (linear 0x%lx)", v->index,
			s->rip, linear);
		return -1;
	}
	int err = decode_insn(bytes, got, mode, insn);
	if (err) {
		if (!stop)
			return -1;
		vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
			"vCPU %u: cannot decode the instruction at RIP 0x%lx (%02x %02x %02x %02x)",
			v->index, s->rip, bytes[0], bytes[1], bytes[2], bytes[3]);
		return -1;
	}
	return 0;
}

int guest_insn_fetch(struct vcpu *v, struct insn *insn)
{
	return guest_insn_read(v, insn, true);
}

int guest_insn_peek(struct vcpu *v, struct insn *insn)
{
	return guest_insn_read(v, insn, false);
}
