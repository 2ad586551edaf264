/* Per-vCPU exit counters: every exit counted by reason, plus scheduling events. Written only by
 * the CPU running the vCPU (no atomics needed on the hot path), read when the VM has ended.
 * Printed at VM end as one line per non-zero counter (docs/stats.md):
 *   stats vm=<name> vcpu=<n> exit=<reason> count=<n>
 *   stats vm=<name> vcpu=<n> event=<event> count=<n> */
#ifndef SVM_EXIT_STATS_H
#define SVM_EXIT_STATS_H

#include "kernel/types.h"

/* Exit codes 0x000-0x09f map to themselves, 0x400-0x403 (NPF, AVIC) follow, then "other". */
#define EXIT_SLOT_NPF_BASE 0xa0
#define EXIT_SLOT_OTHER 0xa4
#define EXIT_SLOTS 0xa5

enum exit_event {
	EVENT_WAKE,         /* woken from HLT by an interrupt */
	EVENT_BLOCK,        /* blocked in HLT */
	EVENT_SCHED_IN,     /* vcpu_load */
	EVENT_SCHED_OUT,    /* vcpu_put */
	EVENT_PREEMPT,      /* time slice ended while runnable */
	EVENT_KICK_SENT,    /* host IPI sent to the CPU running a target vCPU */
	EVENT_IPI_SENT,     /* guest IPIs this vCPU sent (per destination) */
	EVENT_IRQ_INJECTED, /* interrupts injected into this vCPU */
	EVENT_DOORBELL,     /* AVIC doorbells rung for targets running elsewhere */
	EVENT_IRTE_SCHED_IN,  /* guest-mode IRTEs pointed at this CPU by vcpu_load */
	EVENT_IRTE_SCHED_OUT, /* guest-mode IRTEs set not running by vcpu_put */
	EVENT_GA_LOG_WAKE,    /* GA log entries for this vCPU (kicked by the GA log handler) */
	EVENT_IRQ_REMAPPED,   /* device interrupts remapped to a host vector and posted (GA off) */
	EVENT_POSTED_RESCUE,  /* woken by its home CPU's tick: a posted interrupt nobody woke it for */
	EVENT_XSTATE_SWITCH,  /* vcpu_load restored its FPU/XSAVE/DR0-3 state (svm/cpu/lazy_regs.c) */
	EVENT_IBPB,           /* vcpu_load issued an IBPB: another VM ran on this CPU before */
	EVENT_RSB_FILL,       /* return stack buffer overwritten after a #VMEXIT (svm/cpu/spec.h) */
	EVENT_COUNT
};

#define AVIC_IPI_IDS 6 /* AVIC_INCOMPLETE_IPI causes 0-5 */

/* IOIO exits by the device the port belongs to (the platform's ports, docs/linux.md) */
enum ioio_dev {
	IOIO_PIC,        /* 20h-21h, A0h-A1h */
	IOIO_PIT,        /* 40h-43h */
	IOIO_PORT61,     /* 61h: PIT channel 2 gate and output */
	IOIO_CMOS,       /* 70h-71h */
	IOIO_UART_DATA,  /* 3F8h: THR/RBR (or the divisor latch) */
	IOIO_UART_LSR,   /* 3FDh */
	IOIO_UART,       /* 3F9h-3FCh, 3FEh-3FFh */
	IOIO_PM_TIMER,   /* 608h-60Bh: the ACPI PM timer */
	IOIO_ACPI,       /* 600h-607h: PM1 event and control */
	IOIO_PCI,        /* CF8h-CFFh */
	IOIO_DEBUG_EXIT, /* F4h */
	IOIO_OTHER,
	IOIO_DEVS
};

struct exit_stats {
	uint64_t total;
	uint64_t exit[EXIT_SLOTS];
	uint64_t event[EVENT_COUNT];
	uint64_t avic_ipi[AVIC_IPI_IDS]; /* #VMEXIT 401h by cause (EXITINFO2[63:32]) */
	uint32_t avic_noaccel[256];     /* #VMEXIT 402h by APIC register (offset >> 4) */
	uint32_t ioio_dev[IOIO_DEVS];   /* #VMEXIT 7Bh by device (enum ioio_dev) */
};

static inline unsigned exit_stats_slot(uint64_t code)
{
	code &= 0xffffffffu;
	if (code < EXIT_SLOT_NPF_BASE)
		return (unsigned)code;
	if (code >= 0x400 && code <= 0x403)
		return EXIT_SLOT_NPF_BASE + (unsigned)(code - 0x400);
	return EXIT_SLOT_OTHER;
}

static inline void exit_stats_count(struct exit_stats *s, uint64_t code)
{
	s->total++;
	s->exit[exit_stats_slot(code)]++;
}

enum ioio_dev exit_stats_ioio_dev(uint16_t port);

const char *exit_stats_slot_name(unsigned slot, char *buf, size_t size);
const char *exit_stats_event_name(enum exit_event e);
void exit_stats_print(const char *vm_name, unsigned vcpu, const struct exit_stats *s);

#endif
