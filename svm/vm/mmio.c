/* The #NPF exit's dispatch to the local APIC page and the platform's devices (svm/vm/mmio.h). */
#include "svm/vm/mmio.h"
#include "avic/vlapic/apic_regs.h"
#include "kernel/qemu.h"
#include "svm/emul/decode.h"
#include "svm/emul/emulate.h"
#include "svm/platform/platform.h"
#include "svm/vm/apic_emulate.h"
#include "svm/vm/vcpu.h"
#include "svm/vm/vm.h"

/* The xAPIC page of a local APIC that is globally disabled or in x2APIC mode is no longer the
 * APIC (SDM vol. 3, 10.4.3 and 10.12.2): nothing claims the access, so a read returns all ones and
 * a write goes nowhere, as on a bus without a device there. */
static bool unclaimed_read_op(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
	(void)ctx, (void)gpa;
	*val = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
	return true;
}

static bool unclaimed_write_op(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
	(void)ctx, (void)gpa, (void)size, (void)val;
	return true;
}

/* Emulates the instruction that touched the device's memory at gpa (advancing RIP); one it cannot
 * emulate stops the VM, naming the device. */
static void vcpu_emulate_mmio(struct vcpu *v, uint64_t gpa, const struct mmio_device *d)
{
	struct insn insn;
	if (vcpu_fetch_insn(v, &insn))
		return; /* stopped with the reason */
	int r = emulate_mmio(&insn, &v->regs, &v->vmcb->save.rflags, gpa, d->ops, d->ctx);
	if (r < 0) {
		vm_stop(v->vm, QEMU_EXIT_GUEST_FAULT, false,
			"vCPU %u: unsupported instruction on %s at RIP 0x%lx", v->index, d->name,
			v->vmcb->save.rip);
		return;
	}
	if (r == EMULATE_DONE)
		vcpu_advance_rip(v, insn.len);
}

bool vcpu_mmio(struct vcpu *v, uint64_t gpa)
{
	uint64_t apic = v->vapic.base_addr;
	bool apic_page = gpa >= apic && gpa < apic + PAGE_SIZE;
	/* the default page an APIC was relocated away from (IA32_APIC_BASE): nothing is there */
	bool old_page = gpa >= APIC_BASE_DEFAULT_ADDR && gpa < APIC_BASE_DEFAULT_ADDR + PAGE_SIZE;
	if (v->vapic.enabled_hw && !v->vapic.x2apic && apic_page)
		return apic_emulate_mmio(v, gpa);
	struct mmio_device d;
	if (apic_page || old_page) {
		static const struct emulate_ops ops = {unclaimed_read_op, unclaimed_write_op, NULL};
		d = (struct mmio_device){&ops, NULL, "the disabled local APIC's page"};
	} else if (!platform_mmio_device(v->vm, gpa, &d)) {
		return false;
	}
	vcpu_emulate_mmio(v, gpa, &d);
	return true;
}
