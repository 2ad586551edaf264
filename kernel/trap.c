#include "kernel/trap.h"
#include "kernel/console.h"
#include "kernel/lapic.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/x86.h"

static irq_handler_fn irq_handlers[256];

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
	"coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 floating point", "#AC alignment check", "#MC machine check",
	"#XF SIMD floating point", "reserved 20", "#CP control protection", "reserved 22",
	"reserved 23", "reserved 24", "reserved 25", "reserved 26", "reserved 27",
	"#HV hypervisor injection", "#VC VMM communication", "#SX security", "reserved 31",
};

void trap_set_handler(uint8_t vector, irq_handler_fn fn)
{
	irq_handlers[vector] = fn;
}

void backtrace_print(uint64_t rbp)
{
	printk("backtrace:\n");
	/* Frame pointers are kept (-fno-omit-frame-pointer): each frame is [saved rbp, return rip]. */
	for (unsigned depth = 0; depth < 16 && rbp && !(rbp & 7); depth++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
		if (!frame[1])
			break;
		printk("  #%u  0x%016lx\n", depth, frame[1]);
		if (frame[0] <= rbp)
			break; /* stacks grow down: a caller's frame is always higher */
		rbp = frame[0];
	}
}

void trap_dump(const struct trap_frame *f)
{
	printk("rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	printk("rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	printk("r8 =%016lx r9 =%016lx r10=%016lx r11=%016lx\n", f->r8, f->r9, f->r10, f->r11);
	printk("r12=%016lx r13=%016lx r14=%016lx r15=%016lx\n", f->r12, f->r13, f->r14, f->r15);
	printk("rip=%016lx cs=%04lx rflags=%08lx ss=%04lx\n", f->rip, f->cs, f->rflags, f->ss);
	printk("cr0=%016lx cr2=%016lx cr3=%016lx cr4=%016lx\n", read_cr0(), read_cr2(), read_cr3(),
	       read_cr4());
	/* the interrupted function's own frame first, then its callers */
	printk("  at  0x%016lx\n", f->rip);
	backtrace_print(f->rbp);
}

static NORETURN void trap_fatal(struct trap_frame *f)
{
	panic_begin();
	struct percpu *cpu = this_cpu();
	printk("\n*** hypervisor exception %lu (%s) error code 0x%lx on CPU %u (APIC ID %u)\n",
	       f->vector, exception_names[f->vector & 31], f->error_code, cpu ? cpu->index : 0,
	       cpu ? cpu->apic_id : 0);
	trap_dump(f);
	panic_end();
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector == 2 && panic_in_progress())
		panic_park(); /* another CPU panicked and stops everyone */
	if (f->vector < 32)
		trap_fatal(f);
	irq_handler_fn fn = irq_handlers[f->vector];
	if (fn)
		fn(f);
	if (f->vector != VECTOR_SPURIOUS)
		lapic_eoi();
}
