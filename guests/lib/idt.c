#include "guests/lib/idt.h"
#include "guests/lib/boot.h"
#include "guests/lib/printf.h"
#include "guests/lib/test.h"

#define IDT_STUB_SIZE 16
#define GATE_INTR32   0x8e /* present, DPL 0, 32-bit interrupt gate (SDM vol. 3, 6.11) */
#define VEC_SPURIOUS  0xff /* the local APIC's spurious vector (guests/lib/apic.c) */

struct idt_gate {
	uint16_t offset_low;  /* 0x0 */
	uint16_t selector;    /* 0x2 */
	uint8_t zero;         /* 0x4 */
	uint8_t type_attr;    /* 0x5 */
	uint16_t offset_high; /* 0x6 */
} PACKED;
_Static_assert(sizeof(struct idt_gate) == 8, "32-bit IDT gate");

struct idt_pointer {
	uint16_t limit;
	uint32_t base;
} PACKED;

extern const char idt_stubs[];
void idt_dispatch(struct trap_frame *frame);

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(8)));
static idt_handler_fn handlers[IDT_VECTORS];
volatile uint32_t idt_fixup_eip;
volatile int idt_fixup_vector = -1;

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "res", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "res", "res", "res", "res", "res", "res", "#HV", "#VC", "#SX", "res",
};

void idt_init(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++) {
		uint32_t stub = (uint32_t)(uintptr_t)(idt_stubs + v * IDT_STUB_SIZE);
		idt[v] = (struct idt_gate){.offset_low = (uint16_t)stub,
		                           .selector = BOOT_CS,
		                           .type_attr = GATE_INTR32,
		                           .offset_high = (uint16_t)(stub >> 16)};
	}
	idt_load();
}

void idt_load(void)
{
	struct idt_pointer p = {sizeof(idt) - 1, (uint32_t)(uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(p));
}

void idt_set_handler(unsigned vector, idt_handler_fn fn)
{
	if (vector < IDT_VECTORS)
		__atomic_store_n(&handlers[vector], fn, __ATOMIC_RELEASE);
}

int idt_fixup_take(void)
{
	int v = idt_fixup_vector;
	idt_fixup_eip = 0;
	idt_fixup_vector = -1;
	return v;
}

void idt_dispatch(struct trap_frame *frame)
{
	unsigned v = frame->vector;
	idt_handler_fn fn = __atomic_load_n(&handlers[v], __ATOMIC_ACQUIRE);
	if (fn) {
		fn(frame);
		return;
	}
	if (v < VEC_FIRST_INTERRUPT && idt_fixup_eip) {
		frame->eip = idt_fixup_eip;
		idt_fixup_eip = 0;
		idt_fixup_vector = (int)v;
		return;
	}
	if (v == VEC_SPURIOUS) /* no EOI for a spurious interrupt (SDM vol. 3, 10.9) */
		return;
	if (v < VEC_FIRST_INTERRUPT)
		printf_unlocked(
		    "guest-%s: unexpected exception %u (%s) error code 0x%x at EIP 0x%x\n",
		    guest_name, v, exception_names[v], frame->error_code, frame->eip);
	else
		printf_unlocked("guest-%s: unexpected interrupt vector %u at EIP 0x%x\n",
		                guest_name, v, frame->eip);
	test_abort("unexpected exception or interrupt");
}
