/* Floor 7, svm/platform/ (docs/architecture.md "Floors").
 * Owns: the virtual platform's devices: UART and its output log, PIT, IOAPIC, legacy ports, vPCI,
 * guest ACPI. May use: svm/emul/, svm/, avic/vlapic/, kernel/. */
/* The virtual platform a guest sees besides its CPUs and local APICs: the devices a bare-metal
 * test kernel written for QEMU's -kernel expects (docs/architecture.md "Guests and their
 * platform"). Port I/O goes through platform_io(); every port nobody claims reads all-ones and drops
 * writes, counted and logged once per VM. */
#ifndef SVM_PLATFORM_H
#define SVM_PLATFORM_H

#include "kernel/sched.h"
#include "kernel/types.h"
#include "svm/platform/acpi_pm.h"
#include "svm/platform/ioapic.h"
#include "svm/platform/legacy.h"
#include "svm/platform/pit.h"
#include "svm/platform/vm_log.h"

#define PLATFORM_LOG_SIZE 4096
#define PLATFORM_LINE_MAX 160

struct vcpu;

struct uart16550 {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo;         /* FCR bit 0: FIFOs enabled (a 16550A: IIR bits 7:6 set) */
	bool thre_pending; /* transmitter-empty interrupt not yet acknowledged */
	char line[PLATFORM_LINE_MAX]; /* current output line, printed with the VM's name */
	unsigned line_len;
};

struct platform {
	struct uart16550 uart;
	/* Output ring: filled on exits, drained to the console outside the exit path. */
	char log[PLATFORM_LOG_SIZE];
	volatile uint64_t log_head, log_tail;
	struct vm_log output; /* every line printed, kept for the VM's end (svm/platform/vm_log.h) */
	uint16_t fw_cfg_key;
	uint32_t fw_cfg_offset;
	struct pic8259 pic[2];
	struct pit pit;
	struct cmos cmos;
	struct acpi_pm acpi_pm;
	/* TSC of channel 0's next IRQ0 edge (pit_irq_deadline()), read without the lock by the
	 * timer object on vCPU 0's home CPU */
	volatile uint64_t timer_deadline;
	struct sched_timer timer;
	uint64_t unknown_port_accesses;
	uint8_t unknown_port_seen[65536 / 8]; /* logged once per port */
	volatile uint32_t unknown_port_new;   /* a port to report (+1), drained with the log */
	struct ioapic ioapic;                 /* at 0xfec00000, under the VM lock */
};

/* Handles an I/O port access; *value in/out. Returns false if the VM was stopped by it. */
bool platform_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value);
struct vm;
struct emulate_ops;
/* A device's registers in guest-physical memory: the emulation ops (svm/emul/emulate.h), their
 * context, and the device's name for a stop reason. */
struct mmio_device {
	const struct emulate_ops *ops;
	void *ctx;
	const char *name;
};
/* The device at guest-physical gpa outside RAM: the IOAPIC or an assigned device's BAR
 * (svm/platform/vpci.h); false if none is there. The local APIC page is the vCPU's and is decided
 * before, on the VM floor (svm/vm/mmio.c, which also runs the emulation). */
bool platform_mmio_device(struct vm *vm, uint64_t gpa, struct mmio_device *d);
/* A level-triggered interrupt's EOI reaches the IOAPIC (remote IRR). */
void platform_eoi(struct vm *vm, uint8_t vector);
/* The devices' power-on state; the IOAPIC's interrupt messages go to deliver(vm, ...), the VM's
 * local APICs (svm/vm/apic_emulate.h). */
void platform_init(struct vm *vm, ioapic_deliver_fn deliver);
/* At vm_start(): registers the platform's timed interrupts (the PIT's IRQ0) as a timer object on
 * vCPU 0's home CPU; false if that CPU's timer table is full. */
bool platform_start(struct vm *vm);
/* Once the VM has ended: its timer object leaves the scheduler before vm_destroy(). */
void platform_stop(struct vm *vm);
/* Moves the VM's finished output lines to the console and to its output log, and reports the
 * unemulated ports it used; outside the exit path, one caller at a time (vm_flush_output()). */
void platform_flush(struct vm *vm);
/* At a VM's end, after its last platform_flush(): its unfinished last line. */
void platform_finish_output(struct vm *vm);

#endif
