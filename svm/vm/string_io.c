#include "svm/vm/string_io.h"
#include "kernel/qemu.h"
#include "kernel/x86.h"
#include "svm/emul/decode.h"
#include "svm/emul/decode.h"
#include "svm/emul/guest_walk.h"
#include "svm/platform/platform.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"

#define RFLAGS_DF      BIT(10)

/* One byte of guest-linear memory at va: its guest-physical address, or false after injecting the
 * #PF (or stopping the VM) the access gets. */
static bool string_io_byte(struct vcpu *v, uint64_t va, bool write, gpa_t *gpa)
{
	const struct vmcb_save *s = &v->vmcb->save;
	struct guest_paging p = {s->cr0, s->cr3, s->cr4, s->efer};
	unsigned access = (write ? WALK_WRITE : WALK_READ) | (s->cpl == 3 ? WALK_USER : 0);
	uint32_t pf_error = GUEST_WALK_NO_PF;
	if (!guest_walk(&p, va, access, vm_read_gpa, v->vm, gpa, &pf_error))
		return true;
	if (pf_error != GUEST_WALK_NO_PF) {
		v->vmcb->save.cr2 = va;
		vcpu_inject_exception(v, VECTOR_PF, true, pf_error);
	} else {
		vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
			"vCPU %u: string I/O at RIP 0x%lx: linear 0x%lx cannot be translated",
			v->index, s->rip, va);
	}
	return false;
}

/* size bytes at va through the guest's paging, byte by byte (an element may cross a page). */
static bool string_io_mem(struct vcpu *v, uint64_t va, unsigned size, bool write, uint32_t *val)
{
	uint8_t *bytes = (uint8_t *)val;
	for (unsigned i = 0; i < size; i++) {
		gpa_t gpa;
		if (!string_io_byte(v, va + i, write, &gpa))
			return false;
		bool ok = write ? vm_write_gpa(v->vm, gpa, &bytes[i], 1)
		                : vm_read_gpa(v->vm, gpa, &bytes[i], 1);
		if (!ok) {
			vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
				"vCPU %u: string I/O at RIP 0x%lx on guest-physical 0x%lx, which is not "
				"RAM (device memory is not a string I/O operand here)",
				v->index, v->vmcb->save.rip, gpa);
			return false;
		}
	}
	return true;
}

void string_io(struct vcpu *v, uint64_t info)
{
	struct vmcb_save *s = &v->vmcb->save;
	uint64_t *r = v->regs.gpr;
	uint16_t port = (uint16_t)ioio_info_get_port(info);
	unsigned size = ioio_info_size(info);
	bool in = ioio_info_get_in(info), rep = ioio_info_get_rep(info);
	uint64_t amask = ioio_info_address_mask(info);
	bool long64 = amask == ~0ull || ((s->efer & EFER_LMA) && (s->cs.attrib & BIT(9)));
	/* OUTS reads DS:rSI unless a segment prefix says otherwise; INS writes ES:rDI */
	const struct vmcb_seg *segs[] = {&s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs};
	const struct vmcb_seg *seg = in ? &s->es : &s->ds;
	if (!in) {
		struct insn insn;
		if (vcpu_fetch_insn(v, &insn))
			return;
		if ((insn.prefixes & INSN_PFX_SEG) && insn.seg_override <= INSN_SEG_GS)
			seg = segs[insn.seg_override];
	}
	uint64_t base = long64 && seg != &s->fs && seg != &s->gs ? 0 : seg->base;
	unsigned reg = in ? GPR_RDI : GPR_RSI;
	int64_t step = s->rflags & RFLAGS_DF ? -(int64_t)size : (int64_t)size;
	for (unsigned done = 0; done < STRING_IO_BATCH; done++) {
		if (rep && !(r[GPR_RCX] & amask))
			break;
		uint64_t va = base + (r[reg] & amask);
		if (!long64)
			va &= 0xffffffffull;
		uint32_t val = 0;
		if (in) {
			if (!platform_io(v, port, size, true, &val) || !string_io_mem(v, va, size, true, &val))
				return;
		} else {
			if (!string_io_mem(v, va, size, false, &val) || !platform_io(v, port, size, false, &val))
				return;
		}
		/* the address-size part of rSI/rDI and rCX changes, the rest is kept */
		r[reg] = (r[reg] & ~amask) | ((r[reg] + (uint64_t)step) & amask);
		if (!rep)
			break;
		r[GPR_RCX] = (r[GPR_RCX] & ~amask) | ((r[GPR_RCX] - 1) & amask);
	}
	if (rep && (r[GPR_RCX] & amask))
		return; /* not done: the instruction runs again and exits for the next batch */
	/* EXITINFO2 holds the RIP of the next instruction for IOIO (APM 15.10.2) */
	vcpu_complete_insn(v, v->vmcb->control.exit_info2);
}
