#include "svm/exit_stats.h"
#include "kernel/console.h"
#include "kernel/format.h"

static const char *const exit_names[EXIT_SLOTS] = {
	[0x10] = "cr0_write", [0x14] = "cr4_write", [0x18] = "cr8_write", [0x60] = "intr", [0x61] = "nmi", [0x63] = "init", [0x64] = "vintr",
	[0x6f] = "rdpmc", [0x72] = "cpuid", [0x74] = "iret", [0x76] = "invd", [0x77] = "pause", [0x78] = "hlt",
	[0x7a] = "invlpga", [0x7b] = "ioio", [0x7c] = "msr", [0x7d] = "task_switch",
	[0x7f] = "shutdown", [0x80] = "vmrun", [0x81] = "vmmcall", [0x82] = "vmload",
	[0x83] = "vmsave", [0x84] = "stgi", [0x85] = "clgi", [0x86] = "skinit",
	[0x87] = "rdtscp", [0x88] = "icebp", [0x89] = "wbinvd", [0x8a] = "monitor", [0x8b] = "mwait",
	[0x8d] = "xsetbv", [0x8e] = "rdpru", [EXIT_SLOT_NPF_BASE] = "npf",
	[EXIT_SLOT_NPF_BASE + 1] = "avic_incomplete_ipi", [EXIT_SLOT_NPF_BASE + 2] = "avic_noaccel",
	[EXIT_SLOT_NPF_BASE + 3] = "vmgexit", [EXIT_SLOT_OTHER] = "other",
};

static const char *const event_names[EVENT_COUNT] = {
	[EVENT_WAKE] = "wake", [EVENT_BLOCK] = "block", [EVENT_SCHED_IN] = "sched_in",
	[EVENT_SCHED_OUT] = "sched_out", [EVENT_PREEMPT] = "preempt",
	[EVENT_KICK_SENT] = "kick_sent", [EVENT_IPI_SENT] = "ipi_sent",
	[EVENT_IRQ_INJECTED] = "irq_injected", [EVENT_DOORBELL] = "doorbell",
	[EVENT_IRTE_SCHED_IN] = "irte_sched_in", [EVENT_IRTE_SCHED_OUT] = "irte_sched_out",
	[EVENT_GA_LOG_WAKE] = "ga_log_wake", [EVENT_IRQ_REMAPPED] = "irq_remapped",
	[EVENT_POSTED_RESCUE] = "posted_rescue",
	[EVENT_XSTATE_SWITCH] = "xstate_switch",
	[EVENT_IBPB] = "ibpb",
	[EVENT_RSB_FILL] = "rsb_fill",
};

const char *exit_stats_slot_name(unsigned slot, char *buf, size_t size)
{
	if (slot < EXIT_SLOTS && exit_names[slot])
		return exit_names[slot];
	if (slot >= 0x40 && slot < 0x60) {
		format(buf, size, "exception_%u", slot - 0x40);
		return buf;
	}
	format(buf, size, "code_0x%x", slot);
	return buf;
}

const char *exit_stats_event_name(enum exit_event e)
{
	return event_names[e];
}

void exit_stats_print(const char *vm_name, unsigned vcpu, const struct exit_stats *s)
{
	char buf[24];
	printk("stats vm=%s vcpu=%u exit=total count=%lu\n", vm_name, vcpu, s->total);
	for (unsigned i = 0; i < EXIT_SLOTS; i++) {
		if (s->exit[i])
			printk("stats vm=%s vcpu=%u exit=%s count=%lu\n", vm_name, vcpu,
			       exit_stats_slot_name(i, buf, sizeof(buf)), s->exit[i]);
	}
	static const char *const ipi_causes[AVIC_IPI_IDS] = {
		"invalid_int_type", "target_not_running", "invalid_target", "invalid_backing_page",
		"invalid_vector", "unaccelerated"};
	for (unsigned i = 0; i < AVIC_IPI_IDS; i++) {
		if (s->avic_ipi[i])
			printk("stats vm=%s vcpu=%u exit=avic_incomplete_ipi id=%s count=%lu\n",
			       vm_name, vcpu, ipi_causes[i], s->avic_ipi[i]);
	}
	for (unsigned r = 0; r < 256; r++) {
		if (s->avic_noaccel[r])
			printk("stats vm=%s vcpu=%u exit=avic_noaccel reg=0x%03x count=%u\n", vm_name,
			       vcpu, r << 4, s->avic_noaccel[r]);
	}
	static const char *const ioio_names[IOIO_DEVS] = {
		[IOIO_PIC] = "pic",	      [IOIO_PIT] = "pit",
		[IOIO_PORT61] = "port61",     [IOIO_CMOS] = "cmos",
		[IOIO_UART_DATA] = "uart_data", [IOIO_UART_LSR] = "uart_lsr",
		[IOIO_UART] = "uart_other",   [IOIO_PM_TIMER] = "pm_timer",
		[IOIO_ACPI] = "acpi_pm1",     [IOIO_PCI] = "pci",
		[IOIO_DEBUG_EXIT] = "debug_exit", [IOIO_OTHER] = "other"};
	for (unsigned d = 0; d < IOIO_DEVS; d++) {
		if (s->ioio_dev[d])
			printk("stats vm=%s vcpu=%u exit=ioio dev=%s count=%u\n", vm_name, vcpu,
			       ioio_names[d], s->ioio_dev[d]);
	}
	for (unsigned e = 0; e < EVENT_COUNT; e++) {
		if (s->event[e])
			printk("stats vm=%s vcpu=%u event=%s count=%lu\n", vm_name, vcpu,
			       event_names[e], s->event[e]);
	}
}

enum ioio_dev exit_stats_ioio_dev(uint16_t port)
{
	if (port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1)
		return IOIO_PIC;
	if (port >= 0x40 && port <= 0x43)
		return IOIO_PIT;
	if (port == 0x61)
		return IOIO_PORT61;
	if (port == 0x70 || port == 0x71)
		return IOIO_CMOS;
	if (port == 0x3f8)
		return IOIO_UART_DATA;
	if (port == 0x3fd)
		return IOIO_UART_LSR;
	if (port >= 0x3f9 && port <= 0x3ff)
		return IOIO_UART;
	if (port >= 0x608 && port <= 0x60b)
		return IOIO_PM_TIMER;
	if (port >= 0x600 && port <= 0x607)
		return IOIO_ACPI;
	if (port >= 0xcf8 && port <= 0xcff)
		return IOIO_PCI;
	if (port == 0xf4)
		return IOIO_DEBUG_EXIT;
	return IOIO_OTHER;
}
