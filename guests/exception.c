/* The guest takes #UD, #DE, #BP and #GP, handles each in its own handler and continues: each check
 * compares the vector, error code and EIP the handler saw with the faulting instruction. */
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/x86.h"

const char guest_name[] = "exception";

#define UD2_LENGTH       2 /* 0F 0B */
#define DIV_ECX_LENGTH   2 /* F7 F1 */
#define MOV_DS_AX_LENGTH 2 /* 8E D8 */
/* GDT index 0x246, TI = 0, RPL = 0: far beyond boot_gdt's limit, so loading it into DS raises
 * #GP with the selector's index as error code (SDM vol. 3, 6.13: error code format). */
#define BAD_SELECTOR 0x1230u
#define MARKER       0x5afec0deu /* must survive the handler in EBX */

/* Labels on the instructions that fault, placed by the inline assembly below (in functions that
 * are never inlined, so that each label is defined once). */
extern const char ud_insn[], de_insn[], bp_after[], gp_insn[];

struct taken {
	uint32_t count, vector, error_code, eip;
};

static struct taken taken[VEC_FIRST_INTERRUPT];
static uint32_t skip_length[VEC_FIRST_INTERRUPT];

/* Records what the CPU pushed and resumes after the faulting instruction; #BP is a trap whose
 * EIP already points past INT3 (SDM vol. 3, 6.5). */
static void record(struct trap_frame *f)
{
	struct taken *t = &taken[f->vector];
	t->count++;
	t->vector = f->vector;
	t->error_code = f->error_code;
	t->eip = f->eip;
	f->eip += skip_length[f->vector];
}

static void expect(unsigned vector, uint32_t length)
{
	taken[vector] = (struct taken){0};
	skip_length[vector] = length;
	idt_set_handler(vector, record);
}

static void check_taken(unsigned vector, const char *name, const void *eip, uint32_t error_code)
{
	struct taken *t = &taken[vector];
	test_check(t->count == 1, "%s: handler ran once", name);
	test_check(t->eip == (uint32_t)(uintptr_t)eip, "%s: EIP of the frame", name);
	test_check(t->error_code == error_code, "%s: error code 0x%x", name, error_code);
	idt_set_handler(vector, NULL);
}

__attribute__((noinline, noclone)) static void take_ud(void)
{
	uint32_t ebx = MARKER;
	expect(VEC_UD, UD2_LENGTH);
	__asm__ volatile(".globl ud_insn\nud_insn: ud2" : "+b"(ebx)::"memory");
	check_taken(VEC_UD, "#UD from UD2", ud_insn, 0);
	test_check(ebx == MARKER, "#UD: EBX preserved across the handler");
}

__attribute__((noinline, noclone)) static void take_de(void)
{
	uint32_t eax = 1, edx = 0, divisor = 0;
	expect(VEC_DE, DIV_ECX_LENGTH);
	__asm__ volatile(".globl de_insn\nde_insn: divl %%ecx"
	                 : "+a"(eax), "+d"(edx)
	                 : "c"(divisor)
	                 : "memory");
	check_taken(VEC_DE, "#DE from DIV by zero", de_insn, 0);
	test_check(eax == 1 && edx == 0, "#DE: EDX:EAX unchanged by the faulting DIV");
}

__attribute__((noinline, noclone)) static void take_bp(void)
{
	expect(VEC_BP, 0);
	__asm__ volatile("int3\n.globl bp_after\nbp_after:" ::: "memory");
	check_taken(VEC_BP, "#BP from INT3", bp_after, 0);
}

__attribute__((noinline, noclone)) static void take_gp(void)
{
	uint32_t selector = BAD_SELECTOR;
	expect(VEC_GP, MOV_DS_AX_LENGTH);
	__asm__ volatile(".globl gp_insn\ngp_insn: movw %%ax, %%ds" ::"a"(selector) : "memory");
	check_taken(VEC_GP, "#GP from loading a selector beyond the GDT", gp_insn, BAD_SELECTOR);
	uint16_t ds;
	__asm__ volatile("movw %%ds, %0" : "=r"(ds));
	test_check(ds == 0x10, "#GP: DS kept its old selector");
}

void guest_main(const struct multiboot_info *mbi)
{
	(void)mbi;
	take_ud();
	take_de();
	take_bp();
	take_gp();
	/* a second round: handlers are reusable and nothing was left in a bad state */
	take_ud();
	take_gp();
	printf("info: all exceptions handled, continuing to the end\n");
}
