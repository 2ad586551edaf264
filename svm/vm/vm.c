#include "svm/vm/vm.h"
#include "avic/avic.h"
#include "svm/vm/apic_emulate.h"
#include "svm/vm/intremap.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/frame.h"
#include "kernel/lapic.h"
#include "kernel/trap.h"
#include "kernel/percpu.h"
#include "kernel/qemu.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include "svm/cpu/cpuid.h"
#include "svm/svm.h"
#include "svm/vm/vcpu.h"

#define VM_MAX 16
#define GUEST_PAT_DEFAULT 0x0007040600070406ull /* power-on PAT (APM §7.8.2) */
#define IOPM_PAGES 3
#define MSRPM_PAGES 2

struct vm *vm_list[VM_MAX];
unsigned vm_count;
static uint32_t next_asid = 1;
static unsigned next_home_cpu;

/* Deny by default: every I/O port and every MSR exits (all permission bits set). Shared by all
 * VMs, read-only for the CPU. */
static uint64_t iopm_pa, msrpm_pa;

bool vm_init_global(void)
{
	if (iopm_pa)
		return true;
	cpuid_policy_init();
	iopm_pa = frame_alloc_pages(IOPM_PAGES, PAGE_SIZE, 0);
	msrpm_pa = frame_alloc_pages(MSRPM_PAGES, PAGE_SIZE, 0);
	if (!iopm_pa || !msrpm_pa)
		return false;
	memset((void *)(uintptr_t)iopm_pa, 0xff, IOPM_PAGES * PAGE_SIZE);
	memset((void *)(uintptr_t)msrpm_pa, 0xff, MSRPM_PAGES * PAGE_SIZE);
	return true;
}

static void vmcb_init(struct vcpu *v)
{
	struct vmcb *vmcb = v->vmcb;
	struct vmcb_control *c = &vmcb->control;
	memset(vmcb, 0, sizeof(*vmcb));
	/* #DB and #AC: svm/vm/exit.c exit_reflect (a delivery loop must exit); #MC: the host's */
	c->intercept_exceptions = BIT(1) | BIT(17) | BIT(18);
	/* CR0 and CR4 writes: checked against the guest's CPUID and the APM (svm/cpu/guest_state.h) */
	c->intercept_cr_write = BIT(0) | BIT(4);
	c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI | INTERCEPT_CPUID | INTERCEPT_RDPMC |
			     INTERCEPT_HLT | INTERCEPT_INVLPGA_ | INTERCEPT_IOIO_PROT |
			     INTERCEPT_MSR_PROT | INTERCEPT_SHUTDOWN | INTERCEPT_INVD;
	c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD |
			     INTERCEPT_VMSAVE | INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT |
			     INTERCEPT_MONITOR | INTERCEPT_MWAIT | INTERCEPT_XSETBV |
			     INTERCEPT_RDPRU | /* CPUID hides RDPRU (docs/cpuid.md): #UD */
			     INTERCEPT_ICEBP;  /* svm/vm/exit.c exit_icebp */
	c->iopm_base_pa = iopm_pa;
	c->msrpm_base_pa = msrpm_pa;
	c->asid = v->asid;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	/* V_INTR_MASKING: the guest's IF masks only virtual interrupts, host interrupts always
	 * exit (APM §15.21.1) */
	c->int_ctl = int_ctl_set_v_intr_masking(0, 1);
	c->np_control = NP_ENABLE;
	c->n_cr3 = v->vm->npt.root;
	vmcb->save.g_pat = GUEST_PAT_DEFAULT;
	vmcb->save.efer = EFER_SVME;
	vmcb->save.dr6 = 0xffff0ff0;
	vmcb->save.dr7 = 0x400;
	vmcb->save.rflags = 2;
}

static void vmcb_set_seg(struct vmcb_seg *s, uint16_t sel, uint64_t base, uint32_t limit,
			 uint16_t attrib)
{
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->attrib = attrib;
}

/* Real mode at CS = vector << 8, IP = 0: the state of an AP after INIT and a start-up IPI
 * (SDM vol. 3 §8.4.3; APM §14.1.5). */
void vm_vcpu_start_at_sipi(struct vcpu *v, uint8_t vector)
{
	struct vmcb_save *s = &v->vmcb->save;
	uint16_t data = SEG_ATTR(3, 1, 0, 1, 0, 0, 0);
	vmcb_set_seg(&s->cs, (uint16_t)(vector << 8), (uint64_t)vector << 12, 0xffff,
		     SEG_ATTR(0xb, 1, 0, 1, 0, 0, 0));
	vmcb_set_seg(&s->ds, 0, 0, 0xffff, data);
	vmcb_set_seg(&s->es, 0, 0, 0xffff, data);
	vmcb_set_seg(&s->fs, 0, 0, 0xffff, data);
	vmcb_set_seg(&s->gs, 0, 0, 0xffff, data);
	vmcb_set_seg(&s->ss, 0, 0, 0xffff, data);
	vmcb_set_seg(&s->gdtr, 0, 0, 0xffff, 0);
	vmcb_set_seg(&s->idtr, 0, 0, 0xffff, 0);
	vmcb_set_seg(&s->ldtr, 0, 0, 0xffff, SEG_ATTR(2, 0, 0, 1, 0, 0, 0));
	vmcb_set_seg(&s->tr, 0, 0, 0xffff, SEG_ATTR(0xb, 0, 0, 1, 0, 0, 0));
	s->cr0 = CR0_ET | CR0_NW | CR0_CD;
	s->cr3 = 0;
	s->cr4 = 0;
	s->efer = EFER_SVME;
	v->msrs.efer_lme = false;
	s->rflags = 2;
	s->rip = 0;
	s->cpl = 0;
	memset(&v->regs, 0, sizeof(v->regs));
	v->vmcb->control.event_inj = 0;
	v->vmcb->control.exit_int_info = 0;
	/* INIT: NMIs unmasked, no IRET being stepped */
	v->vmcb->control.intercept_misc1 &= ~INTERCEPT_IRET;
	v->nmi_masked = v->nmi_iret_step = false;
	v->halted = false;
}

void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, uint64_t len)
{
	if (gpa >= vm->mem_size || len > vm->mem_size - gpa)
		return NULL;
	return (void *)(uintptr_t)(vm->ram_hpa + gpa);
}

bool vm_read_gpa(void *ctx, gpa_t gpa, void *buf, size_t len)
{
	void *src = vm_gpa_to_hva(ctx, gpa, len);
	if (!src)
		return false;
	memcpy(buf, src, len);
	return true;
}

bool vm_write_gpa(struct vm *vm, gpa_t gpa, const void *buf, size_t len)
{
	void *dst = vm_gpa_to_hva(vm, gpa, len);
	if (!dst)
		return false;
	memcpy(dst, buf, len);
	return true;
}

static struct vcpu *vcpu_create(struct vm *vm, unsigned index)
{
	uint64_t pa = frame_alloc_pages(1, PAGE_SIZE, 0);
	uint64_t vmcb = frame_alloc(), apic_page = frame_alloc();
	if (!pa || !vmcb || !apic_page)
		return NULL;
	struct vcpu *v = (struct vcpu *)(uintptr_t)pa;
	_Static_assert(sizeof(struct vcpu) <= PAGE_SIZE, "struct vcpu fits a page");
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	v->vmcb = (struct vmcb *)(uintptr_t)vmcb;
	v->asid = __atomic_fetch_add(&next_asid, 1, __ATOMIC_RELAXED);
	if (svm_features.asids > 1)
		v->asid = 1 + (v->asid - 1) % (svm_features.asids - 1);
	v->running_on = -1;
	v->last_cpu = -1;
	v->avic_logical_index = -1;
	v->vapic.page = (uint8_t *)(uintptr_t)apic_page;
	memset(v->vapic.page, 0, PAGE_SIZE);
	vapic_reset(&v->vapic, index, index == 0);
	v->vapic.timer_min_period = VAPIC_TIMER_MIN_PERIOD_US * (tsc_hz / 1000000);
	vmcb_init(v);
	msr_vcpu_reset(&v->msrs);
	if (!lazy_regs_init(&v->lazy)) {
		frame_free_pages(vmcb, 1);
		frame_free_pages(apic_page, 1);
		frame_free_pages(pa, 1);
		return NULL;
	}
	avic_vcpu_init(&vm->avic, v->vmcb, v->index, v->vapic.page);
	/* home CPU: the lowest pinned CPU in round-robin order, or any CPU round robin */
	unsigned home = next_home_cpu++ % cpu_count;
	if (vm->pin_mask) {
		while (!(vm->pin_mask & BIT(home)))
			home = (home + 1) % cpu_count;
	}
	vcpu_sched_init(v, home);
	v->state = index == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
	v->wait_for_sipi = index != 0;
	return v;
}

/* The IOAPIC's interrupt messages (the platform's) reach the VM's local APICs. */
static void vm_ioapic_deliver(void *vm, uint32_t dest, bool logical, uint8_t vector,
			      unsigned delivery_mode, bool level)
{
	apic_deliver_message(vm, dest, logical, vector, delivery_mode, level);
}

struct vm *vm_create(const char *name, unsigned vcpus, uint64_t mem, uint64_t pin_mask)
{
	if (vm_count == VM_MAX || !iopm_pa)
		return NULL;
	uint64_t pa = frame_alloc_pages(ALIGN_UP(sizeof(struct vm), PAGE_SIZE) / PAGE_SIZE,
					PAGE_SIZE, 0);
	if (!pa)
		return NULL;
	struct vm *vm = (struct vm *)(uintptr_t)pa;
	memset(vm, 0, sizeof(*vm));
	strlcpy(vm->name, name, sizeof(vm->name));
	vm->id = vm_count;
	vm->mem_size = ALIGN_UP(mem, LARGE_PAGE_SIZE);
	vm->pin_mask = pin_mask;
	vm->test_passed = vm->test_failed = -1;
	vm->ram_hpa = frame_alloc_pages(vm->mem_size / PAGE_SIZE, LARGE_PAGE_SIZE, 0);
	if (!vm->ram_hpa || !npt_init(&vm->npt) ||
	    !npt_map(&vm->npt, 0, vm->ram_hpa, vm->mem_size)) {
		pr_err("vm %s: not enough memory for %lu MiB of guest RAM\n", name,
		       vm->mem_size >> 20);
		vm_destroy(vm);
		return NULL;
	}
	memset((void *)(uintptr_t)vm->ram_hpa, 0, vm->mem_size);
	if (!avic_vm_init(&vm->avic, &vm->npt, VM_MAX_VCPUS)) {
		pr_err("vm %s: out of memory for the AVIC tables\n", name);
		vm_destroy(vm);
		return NULL;
	}
	for (unsigned i = 0; i < vcpus; i++) {
		vm->vcpu[i] = vcpu_create(vm, i);
		if (!vm->vcpu[i]) {
			vm_destroy(vm);
			return NULL;
		}
		vm->vcpu_count++;
	}
	platform_init(vm, vm_ioapic_deliver);
	vm_list[vm_count++] = vm;
	return vm;
}

#define TRACE_RING_PAGES (ALIGN_UP(sizeof(struct trace_ring), PAGE_SIZE) / PAGE_SIZE)

bool vm_trace_enable(struct vm *vm, uint32_t mask)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		uint64_t pa = frame_alloc_pages(TRACE_RING_PAGES, PAGE_SIZE, 0);
		if (!pa)
			return false;
		struct trace_ring *ring = (struct trace_ring *)(uintptr_t)pa;
		memset(ring, 0, sizeof(*ring));
		ring->mask = mask;
		vm->vcpu[i]->trace = ring;
	}
	return true;
}

void vm_destroy(struct vm *vm)
{
	intremap_vm_destroy(vm); /* before the vCPUs its IRTEs point at are freed */
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
		struct vcpu *v = vm->vcpu[i];
		if (!v)
			continue;
		/* retired by vcpu_run(), so its registers are live nowhere (lazy_regs_drop) */
		lazy_regs_free(&v->lazy);
		if (v->trace)
			frame_free_pages((uintptr_t)v->trace, TRACE_RING_PAGES);
		frame_free_pages((uintptr_t)v->vmcb, 1);
		frame_free_pages((uintptr_t)v->vapic.page, 1);
		frame_free_pages((uintptr_t)v, 1);
		vm->vcpu[i] = NULL;
	}
	avic_vm_destroy(&vm->avic);
	passthrough_release(vm); /* no device DMA into the RAM freed below */
	npt_destroy(&vm->npt);
	if (vm->ram_hpa)
		frame_free_pages(vm->ram_hpa, vm->mem_size / PAGE_SIZE);
	for (unsigned i = 0; i < vm_count; i++) {
		if (vm_list[i] == vm)
			vm_list[i] = NULL;
	}
	frame_free_pages((uintptr_t)vm, ALIGN_UP(sizeof(struct vm), PAGE_SIZE) / PAGE_SIZE);
}
