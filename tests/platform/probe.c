/*
 * Entry point of the platform probes: pick the probe named on the multiboot
 * command line, run it, print one line per failed check and a closing
 * "PASS name" or "FAIL name" line, and exit QEMU through isa-debug-exit.
 */
#include "tests/platform/probe.h"

#define MB_INFO_CMDLINE  (1U << 2)
#define CMDLINE_MAX      256
#define AP_TRAMPOLINE    0x8000
#define AP_STACK_SIZE    16384
#define SIPI_VECTOR      (AP_TRAMPOLINE >> 12)
#define AP_START_TIMEOUT 100000000U

struct multiboot_info {
	uint32_t flags;       // 0x00
	uint32_t mem_lower;   // 0x04
	uint32_t mem_upper;   // 0x08
	uint32_t boot_device; // 0x0c
	uint32_t cmdline;     // 0x10
};
_Static_assert(offsetof(struct multiboot_info, cmdline) == 0x10, "multiboot v1 layout");

struct probe {
	const char *name;
	void (*run)(void);
};

static const struct probe probes[] = {
    {.name = "avic-vmrun", .run = avic_probe_vmrun_checks},
    {.name = "avic-accel", .run = avic_probe_accel},
    {.name = "avic-trap-fault", .run = avic_probe_trap_fault},
    {.name = "avic-ipi", .run = avic_probe_ipi},
    {.name = "avic-ipi-smp", .run = avic_probe_ipi_smp},
    {.name = "avic-doorbell-msr", .run = avic_probe_doorbell_msr},
    {.name = "avic-erratum", .run = avic_probe_erratum},
    {.name = "avic-erratum-smp", .run = avic_probe_erratum_smp},
    {.name = "avic-shadow", .run = avic_probe_shadow},
    {.name = "iommu-ga-post", .run = iommu_probe_ga_post},
    {.name = "iommu-event-log", .run = iommu_probe_event_log},
    {.name = "svm-efer-lme", .run = cpu_probe_efer_lme},
    {.name = "svm-v86-tss", .run = cpu_probe_v86_tss},
    {.name = "svm-fpu-race", .run = cpu_probe_fpu_race},
};

static char cmdline[CMDLINE_MAX];
static unsigned failures;
static const char *probe_name = "?";

/* Interrupt gate (APM vol. 2, 4.8.4, Figure 4-24), 16 bytes in long mode */
struct idt_gate {
	uint16_t offset_lo;  // 0x00
	uint16_t selector;   // 0x02
	uint8_t ist;         // 0x04
	uint8_t type_attr;   // 0x05: P | DPL 0 | type 0xE (64-bit interrupt gate)
	uint16_t offset_mid; // 0x06
	uint32_t offset_hi;  // 0x08
	uint32_t reserved;   // 0x0c
};
_Static_assert(sizeof(struct idt_gate) == 16, "long-mode gate size");

#define IDT_VECTORS      256
#define IDT_STUB_SIZE    16
#define GATE_INTERRUPT64 0x8e
#define SEL_CODE64       0x08

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

/* boot.S */
extern uint8_t idt_stubs[];
extern uint8_t ap_trampoline[], ap_trampoline_end[];
extern uint64_t ap_stack_top;
static uint8_t ap_stack[AP_STACK_SIZE] __attribute__((aligned(16)));
static void (*volatile ap_entry)(void);
static volatile bool ap_alive;

void probe_check(bool ok, const char *what)
{
	if (ok)
		return;
	failures++;
	hw_puts("  check failed: ");
	hw_puts(what);
	hw_puts("\n");
}

void probe_check_eq(uint64_t got, uint64_t want, const char *what)
{
	if (got == want)
		return;
	failures++;
	hw_puts("  check failed: ");
	hw_puts(what);
	hw_puts(": got ");
	hw_put_hex(got);
	hw_puts(", want ");
	hw_put_hex(want);
	hw_puts("\n");
}

static bool probe_streq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static size_t probe_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* The word starting at @prefix's match, e.g. "probe=" -> "avic-ipi" */
static const char *probe_find(const char *prefix, size_t *len)
{
	size_t n = probe_strlen(prefix), i = 0;

	while (cmdline[i]) {
		size_t end = i;

		while (cmdline[end] && cmdline[end] != ' ')
			end++;
		if (end - i >= n && probe_streq(&cmdline[i], prefix, n)) {
			*len = end - i - n;
			return &cmdline[i + n];
		}
		i = cmdline[end] ? end + 1 : end;
	}
	return NULL;
}

bool probe_arg(const char *word)
{
	size_t len;
	const char *rest = probe_find(word, &len);

	return rest && len == 0;
}

void probe_exception(uint64_t vector, uint64_t info)
{
	hw_puts("  unexpected exception ");
	hw_put_hex(vector);
	hw_puts(" (");
	hw_put_hex(info);
	hw_puts(")\nFAIL ");
	hw_puts(probe_name);
	hw_puts("\n");
	hw_exit(HW_EXIT_FAIL);
}

void probe_ap_main(void)
{
	struct idt_ptr ptr = {sizeof(idt) - 1, (uint64_t)idt};

	__asm__ volatile("lidt %0" : : "m"(ptr));
	ap_alive = true;
	ap_entry();
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* INIT-SIPI-SIPI to APIC ID 1 (Intel SDM vol. 3, 9.4.4.1; AMD APM vol. 2, 16.4) */
void probe_start_ap(void (*fn)(void))
{
	unsigned i;

	hw_memcpy((void *)AP_TRAMPOLINE, ap_trampoline,
	          (size_t)(ap_trampoline_end - ap_trampoline));
	ap_stack_top = (uint64_t)(ap_stack + AP_STACK_SIZE);
	ap_entry = fn;
	hw_write32(APIC_BASE + APIC_SPIV, 0x1ff);
	hw_write32(APIC_BASE + APIC_ICR_HI, 1U << 24);
	hw_write32(APIC_BASE + APIC_ICR_LO, ICR_INIT | ICR_ASSERT);
	hw_delay(100000);
	/*
	 * A second SIPI only if the first was lost: QEMU 7.2 ends a HLT of a
	 * running AP for a SIPI it then ignores, which would wake the probes'
	 * halted guests spuriously.
	 */
	for (i = 0; i < 2 * AP_START_TIMEOUT && !ap_alive; i++) {
		if (i % AP_START_TIMEOUT == 0) {
			hw_write32(APIC_BASE + APIC_ICR_HI, 1U << 24);
			hw_write32(APIC_BASE + APIC_ICR_LO, ICR_STARTUP | SIPI_VECTOR);
		}
		__asm__ volatile("pause");
	}
	probe_check(ap_alive, "AP started");
	if (!ap_alive) {
		hw_puts("FAIL ");
		hw_puts(probe_name);
		hw_puts("\n");
		hw_exit(HW_EXIT_FAIL);
	}
}

/* One IDT for the host and every guest: stub n sits at idt_stubs + 16 n. */
static void probe_load_idt(void)
{
	struct idt_ptr ptr = {sizeof(idt) - 1, (uint64_t)idt};
	unsigned v;

	for (v = 0; v < IDT_VECTORS; v++) {
		uint64_t a = (uint64_t)idt_stubs + v * IDT_STUB_SIZE;

		idt[v] = (struct idt_gate){
		    .offset_lo = (uint16_t)a,
		    .selector = SEL_CODE64,
		    .type_attr = GATE_INTERRUPT64,
		    .offset_mid = (uint16_t)(a >> 16),
		    .offset_hi = (uint32_t)(a >> 32),
		};
	}
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

static void probe_copy_cmdline(const struct multiboot_info *mbi)
{
	const char *src;
	size_t i;

	if (!(mbi->flags & MB_INFO_CMDLINE))
		return;
	src = (const char *)(uint64_t)mbi->cmdline;
	for (i = 0; i + 1 < CMDLINE_MAX && src[i]; i++)
		cmdline[i] = src[i];
	cmdline[i] = 0;
}

void probe_main(uint32_t mbi_addr)
{
	static char name[CMDLINE_MAX];
	const char *want;
	size_t len, i;

	hw_serial_init();
	probe_load_idt();
	probe_copy_cmdline((const struct multiboot_info *)(uint64_t)mbi_addr);
	want = probe_find("probe=", &len);
	if (want) {
		hw_memcpy(name, want, len);
		name[len] = 0;
		probe_name = name;
	}
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if (!want || probe_strlen(probes[i].name) != len ||
		    !probe_streq(probes[i].name, want, len))
			continue;
		probes[i].run();
		hw_puts(failures ? "FAIL " : "PASS ");
		hw_puts(probe_name);
		hw_puts("\n");
		hw_exit(failures ? HW_EXIT_FAIL : HW_EXIT_PASS);
	}
	hw_puts("FAIL no probe named '");
	hw_puts(probe_name);
	hw_puts("'\n");
	hw_exit(HW_EXIT_FAIL);
}
