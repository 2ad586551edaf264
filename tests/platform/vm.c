/*
 * SVM guest setup for the platform probes (APM vol. 2, 15.5 and appendix B).
 */
#include "tests/platform/vm.h"

/* boot.S */
extern uint8_t pml4[];
void vm_run(uint64_t vmcb_pa, struct vm_gprs *gprs);

/* VMCB segment attributes: type | S<<4 | DPL<<5 | P<<7 | L<<9 | DB<<10 | G<<11 */
#define SEG_ATTR_CODE64 0x029b
#define SEG_ATTR_DATA   0x0c93
#define SEL_CODE64      0x08
#define SEL_DATA        0x10

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

uint64_t vm_read(struct vm *vm, unsigned off)
{
	return *(volatile uint64_t *)&vm->vmcb[off];
}

void vm_write(struct vm *vm, unsigned off, uint64_t v)
{
	*(volatile uint64_t *)&vm->vmcb[off] = v;
}

static void vm_write32(struct vm *vm, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)&vm->vmcb[off] = v;
}

static void vm_set_seg(struct vm *vm, unsigned off, uint16_t sel, uint16_t attr)
{
	*(volatile uint16_t *)&vm->vmcb[off] = sel;
	*(volatile uint16_t *)&vm->vmcb[off + 2] = attr;
	vm_write32(vm, off + 4, 0xffffffff);
	vm_write(vm, off + 8, 0);
}

void vm_cpu_init(struct vm *vm)
{
	hw_wrmsr(MSR_EFER, hw_rdmsr(MSR_EFER) | EFER_SVME);
	hw_wrmsr(MSR_VM_HSAVE_PA, (uint64_t)vm->hsave);
}

void vm_init(struct vm *vm, void (*entry)(void))
{
	struct desc_ptr gdtr, idtr;
	uint64_t cr0, cr3, cr4;

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
	__asm__ volatile("mov %%cr0, %0; mov %%cr3, %1; mov %%cr4, %2"
	                 : "=r"(cr0), "=r"(cr3), "=r"(cr4));
	hw_memset(vm->vmcb, 0, sizeof(vm->vmcb));
	hw_memset(&vm->gprs, 0, sizeof(vm->gprs));

	vm_write32(vm, VMCB_INTERCEPT_MISC2, INTERCEPT_MISC2_VMRUN | INTERCEPT_MISC2_VMMCALL);
	vm_write32(vm, VMCB_ASID, 1);
	vm_write32(vm, VMCB_INT_CTL, INT_CTL_V_INTR_MASKING);
	/* identity nested paging: the boot page tables have U=1 everywhere */
	vm_write(vm, VMCB_NP_ENABLE, 1);
	vm_write(vm, VMCB_N_CR3, (uint64_t)pml4);

	vm_set_seg(vm, VMCB_CS, SEL_CODE64, SEG_ATTR_CODE64);
	vm_set_seg(vm, VMCB_SS, SEL_DATA, SEG_ATTR_DATA);
	vm_set_seg(vm, VMCB_DS, SEL_DATA, SEG_ATTR_DATA);
	vm_set_seg(vm, VMCB_ES, SEL_DATA, SEG_ATTR_DATA);
	vm_write32(vm, VMCB_GDTR + 4, gdtr.limit);
	vm_write(vm, VMCB_GDTR + 8, gdtr.base);
	vm_write32(vm, VMCB_IDTR + 4, idtr.limit);
	vm_write(vm, VMCB_IDTR + 8, idtr.base);
	vm_write(vm, VMCB_EFER, hw_rdmsr(MSR_EFER));
	vm_write(vm, VMCB_CR0, cr0);
	vm_write(vm, VMCB_CR3, cr3);
	vm_write(vm, VMCB_CR4, cr4);
	vm_write(vm, VMCB_G_PAT, 0x0007040600070406ULL);
	vm_write(vm, VMCB_RFLAGS, 0x2);
	vm_write(vm, VMCB_RIP, (uint64_t)entry);
	/* as if called: RSP + 8 is 16-byte aligned at function entry */
	vm_write(vm, VMCB_RSP, (uint64_t)(vm->stack + VM_STACK_SIZE - 8));
}

uint32_t vm_enter(struct vm *vm)
{
	vm_run((uint64_t)vm->vmcb, &vm->gprs);
	return (uint32_t)vm_read(vm, VMCB_EXIT_CODE);
}

void vm_skip_vmmcall(struct vm *vm)
{
	vm_write(vm, VMCB_RIP, vm_read(vm, VMCB_RIP) + 3);
}
