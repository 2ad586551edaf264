/* Port I/O dispatch and the small devices: the 16550A UART at 0x3f8 (IRQ 4), isa-debug-exit at
 * 0xf4, fw_cfg at 0x510/0x511, the 8259 mask registers, port 0x80, the ACPI fixed hardware at
 * 0x600 (svm/platform/acpi_pm.h), and the PIT's IRQ0 timing. */
#include "svm/platform/platform.h"
#include "kernel/console.h"
#include "kernel/percpu.h"
#include "kernel/qemu.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include "svm/platform/guest_acpi.h"
#include "svm/vm/vm.h"
#include "svm/emul/emulate.h"
#include "svm/platform/vpci.h"

#define PORT_DEBUG_EXIT QEMU_DEBUG_EXIT_PORT
#define PORT_POST 0x80
#define PORT_COM1 0x3f8
#define PORT_FW_CFG_SEL 0x510
#define PORT_FW_CFG_DATA 0x511
#define PORT_PIC1_CMD 0x20
#define PORT_PIC1_DATA 0x21
#define PORT_PIC2_CMD 0xa0
#define PORT_PIC2_DATA 0xa1
#define PORT_PIT_FIRST 0x40
#define PORT_PIT_LAST 0x43
#define PORT_B 0x61
#define PORT_CMOS_INDEX 0x70
#define PORT_CMOS_DATA 0x71

#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MAX_CPUS 0x0f

#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LCR_DLAB 0x80
#define UART_IER_THRI 0x02
#define UART_IIR_NONE 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_FIFO 0xc0 /* FIFOs enabled (16550A) */
#define UART_FCR_FIFO 0x01
#define UART_MCR_LOOP 0x10
#define UART_MSR_IDLE 0xb0 /* CTS, DSR, DCD */
#define UART_IRQ_PIN 4 /* COM1 is ISA IRQ 4, IOAPIC pin 4 */
#define PIT_IRQ_PIN 2  /* ISA IRQ 0, by the MADT's interrupt source override */

/* The UART's interrupt line: asserted while a transmitter-empty interrupt is enabled and not
 * acknowledged (16550 data sheet, IIR priorities). The receiver has no input source, so its
 * interrupts (IER bits 0 and 2) are kept as the guest sets them but never pending. Wired to
 * IOAPIC pin 4. Called with the VM lock held. */
static void uart_update_irq(struct vm *vm)
{
	struct uart16550 *u = &vm->platform.uart;
	bool level = (u->ier & UART_IER_THRI) && u->thre_pending;
	ioapic_set_irq(&vm->platform.ioapic, UART_IRQ_PIN, level);
}

static void log_putc(struct vm *vm, char c)
{
	struct platform *p = &vm->platform;
	uint64_t head = p->log_head;
	if (head - p->log_tail >= PLATFORM_LOG_SIZE)
		return; /* the console is behind: drop rather than stall the guest */
	p->log[head % PLATFORM_LOG_SIZE] = c;
	__atomic_store_n(&p->log_head, head + 1, __ATOMIC_RELEASE);
}

static void uart_write(struct vm *vm, unsigned reg, uint8_t v)
{
	struct uart16550 *u = &vm->platform.uart;
	switch (reg) {
	case 0:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = v;
		} else {
			if (v != '\r')
				log_putc(vm, (char)v);
			u->thre_pending = true; /* sent at once: the holding register is empty again */
			uart_update_irq(vm);
		}
		break;
	case 1:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = v;
		} else {
			/* enabling THRE interrupts with an empty transmitter raises one at once */
			if (!(u->ier & UART_IER_THRI) && (v & UART_IER_THRI))
				u->thre_pending = true;
			u->ier = v & 0x0f;
			uart_update_irq(vm);
		}
		break;
	case 2:
		u->fifo = v & UART_FCR_FIFO; /* FCR; the FIFOs themselves never fill */
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		u->mcr = v & 0x1f;
		break;
	case 7:
		u->scr = v;
		break;
	}
}

static uint8_t uart_read(struct vm *vm, unsigned reg)
{
	struct uart16550 *u = &vm->platform.uart;
	switch (reg) {
	case 0:
		return u->lcr & UART_LCR_DLAB ? u->dll : 0; /* no input */
	case 1:
		return u->lcr & UART_LCR_DLAB ? u->dlm : u->ier;
	case 2: {
		uint8_t fifo = u->fifo ? UART_IIR_FIFO : 0;
		if ((u->ier & UART_IER_THRI) && u->thre_pending) {
			u->thre_pending = false; /* reading IIR acknowledges THRE */
			uart_update_irq(vm);
			return UART_IIR_THRI | fifo;
		}
		return UART_IIR_NONE | fifo;
	}
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		return UART_LSR_THRE | UART_LSR_TEMT; /* transmitter always ready */
	case 6:
		/* MSR; in loopback the modem inputs are the outputs: RTS -> CTS, DTR -> DSR,
		 * OUT1 -> RI, OUT2 -> DCD, as the 16550 wires them */
		if (u->mcr & UART_MCR_LOOP)
			return (uint8_t)((u->mcr & 0x0f) << 4);
		return UART_MSR_IDLE;
	default:
		return u->scr;
	}
}

static uint8_t fw_cfg_read(struct vm *vm)
{
	struct platform *p = &vm->platform;
	uint64_t item = 0;
	unsigned len = 0;
	switch (p->fw_cfg_key) {
	case FW_CFG_SIGNATURE:
		item = 0x554d4551; /* "QEMU" */
		len = 4;
		break;
	case FW_CFG_ID:
		item = 1; /* traditional interface only */
		len = 4;
		break;
	case FW_CFG_RAM_SIZE:
		item = vm->mem_size;
		len = 8;
		break;
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS:
		item = vm->vcpu_count;
		len = 2;
		break;
	}
	uint8_t b = p->fw_cfg_offset < len ? (uint8_t)(item >> (8 * p->fw_cfg_offset)) : 0;
	p->fw_cfg_offset++;
	return b;
}

static void unknown_port(struct vm *vm, uint16_t port)
{
	struct platform *p = &vm->platform;
	p->unknown_port_accesses++;
	uint8_t bit = (uint8_t)(1u << (port & 7));
	if (!(p->unknown_port_seen[port / 8] & bit)) {
		p->unknown_port_seen[port / 8] |= bit;
		/* reported by platform_flush(), not here on the exit path */
		__atomic_store_n(&p->unknown_port_new, (uint32_t)port + 1, __ATOMIC_RELEASE);
	}
}

bool platform_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value)
{
	struct vm *vm = v->vm;
	struct platform *p = &vm->platform;
	if (port >= PORT_COM1 && port < PORT_COM1 + 8) {
		spin_lock(&vm->lock);
		if (in)
			*value = uart_read(vm, port - PORT_COM1);
		else
			uart_write(vm, port - PORT_COM1, (uint8_t)*value);
		spin_unlock(&vm->lock);
		return true;
	}
	if (port == VPCI_PORT_ADDRESS || (port >= VPCI_PORT_DATA && port < VPCI_PORT_DATA + 4)) {
		vpci_io(&vm->pci, port, size, in, value);
		return true;
	}
	switch (port) {
	case PORT_DEBUG_EXIT:
		if (in) {
			*value = 0xffffffffu;
			return true;
		}
		vm_stop(vm, (int)*value, true, "guest wrote 0x%x to isa-debug-exit", *value);
		return false;
	case PORT_POST:
		if (in)
			*value = 0xffffffffu;
		return true;
	case PORT_FW_CFG_SEL:
		if (!in) {
			spin_lock(&vm->lock);
			p->fw_cfg_key = (uint16_t)*value;
			p->fw_cfg_offset = 0;
			spin_unlock(&vm->lock);
		} else {
			*value = 0xffffffffu;
		}
		return true;
	case PORT_FW_CFG_DATA:
		if (in) {
			spin_lock(&vm->lock);
			*value = fw_cfg_read(vm);
			spin_unlock(&vm->lock);
		}
		return true;
	case PORT_PIC1_CMD:
	case PORT_PIC1_DATA:
	case PORT_PIC2_CMD:
	case PORT_PIC2_DATA: {
		struct pic8259 *pic = &p->pic[port >= PORT_PIC2_CMD];
		bool data = port & 1;
		spin_lock(&vm->lock);
		if (in)
			*value = pic_read(pic, data);
		else
			pic_write(pic, data, (uint8_t)*value);
		spin_unlock(&vm->lock);
		return true;
	}
	case PORT_PIT_FIRST ... PORT_PIT_LAST:
	case PORT_B:
		spin_lock(&vm->lock);
		if (in)
			*value = pit_read(&p->pit, port, rdtsc());
		else
			pit_write(&p->pit, port, (uint8_t)*value, rdtsc());
		uint64_t deadline = pit_irq_deadline(&p->pit);
		bool sooner = deadline < p->timer_deadline;
		__atomic_store_n(&p->timer_deadline, deadline, __ATOMIC_RELAXED);
		spin_unlock(&vm->lock);
		/* vCPU 0's home CPU raises IRQ0: re-arm its timer now if that is this CPU */
		if (sooner && this_cpu()->index == vm->vcpu[0]->sched.home_cpu)
			sched_timer_rearm();
		return true;
	case ACPI_PM_BASE ... ACPI_PM_BASE + ACPI_PM_PORTS - 1: {
		bool off;
		spin_lock(&vm->lock);
		if (in)
			*value = acpi_pm_read(&p->acpi_pm, port - ACPI_PM_BASE, size, rdtsc());
		off = !in && acpi_pm_write(&p->acpi_pm, port - ACPI_PM_BASE, size, *value);
		spin_unlock(&vm->lock);
		if (off) {
			/* a clean power-off ends the VM as a guest that passed (exit value 0) */
			vm_stop(vm, 0, true, "guest powered off (ACPI S5: SLP_EN with SLP_TYP %u)",
				ACPI_S5_SLP_TYP);
			return false;
		}
		return true;
	}
	case PORT_CMOS_INDEX:
	case PORT_CMOS_DATA:
		spin_lock(&vm->lock);
		if (in)
			*value = port == PORT_CMOS_DATA ? cmos_read(&p->cmos, rdtsc()) : 0xff;
		else if (port == PORT_CMOS_INDEX)
			cmos_write_index(&p->cmos, (uint8_t)*value);
		else
			cmos_write_data(&p->cmos, (uint8_t)*value);
		spin_unlock(&vm->lock);
		return true;
	}
	(void)size;
	unknown_port(vm, port);
	if (in)
		*value = 0xffffffffu;
	return true;
}

/* One finished line of guest output: to the console with the VM's name, and to its log. */
static void emit_line(struct vm *vm)
{
	struct uart16550 *u = &vm->platform.uart;
	u->line[u->line_len] = 0;
	printk("[%s] %s\n", vm->name, u->line);
	vm_log_append(&vm->platform.output, u->line, u->line_len);
	u->line_len = 0;
}

void platform_flush(struct vm *vm)
{
	struct platform *p = &vm->platform;
	uint32_t port = __atomic_exchange_n(&p->unknown_port_new, 0, __ATOMIC_ACQUIRE);
	if (port)
		printk("[%s] doorbell: guest used unemulated I/O port 0x%x (reads all-ones, writes "
		       "dropped; logged once per port)\n",
		       vm->name, port - 1);
	uint64_t head = __atomic_load_n(&p->log_head, __ATOMIC_ACQUIRE);
	struct uart16550 *u = &p->uart;
	for (; p->log_tail < head; p->log_tail++) {
		char c = p->log[p->log_tail % PLATFORM_LOG_SIZE];
		if (c == '\n' || u->line_len == PLATFORM_LINE_MAX - 1) {
			emit_line(vm);
			if (c == '\n')
				continue;
		}
		u->line[u->line_len++] = c;
	}
}

void platform_finish_output(struct vm *vm)
{
	if (vm->platform.uart.line_len)
		emit_line(vm);
}

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_SIZE 0x1000ull

void platform_init(struct vm *vm, ioapic_deliver_fn deliver)
{
	struct platform *p = &vm->platform;
	vm_log_init(&p->output);
	ioapic_init(&p->ioapic, deliver, vm);
	pic_init(&p->pic[0]);
	pic_init(&p->pic[1]);
	pit_init(&p->pit, tsc_hz);
	cmos_init(&p->cmos, rdtsc(), tsc_hz, vm->mem_size);
	acpi_pm_init(&p->acpi_pm, rdtsc(), tsc_hz);
	p->timer_deadline = PIT_IRQ_NONE;
	guest_acpi_write(vm_gpa_to_hva(vm, GUEST_ACPI_BASE, GUEST_ACPI_END - GUEST_ACPI_BASE),
			 vm->vcpu_count);
}

/* The platform's timer object on vCPU 0's home CPU: its deadline is the PIT's next IRQ0 edge. */
static uint64_t platform_timer_deadline(struct sched_timer *t)
{
	struct vm *vm = container_of(t, struct vm, platform.timer);
	if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_RUNNING)
		return SCHED_TIMER_NONE;
	uint64_t d = __atomic_load_n(&vm->platform.timer_deadline, __ATOMIC_RELAXED);
	return d == PIT_IRQ_NONE ? SCHED_TIMER_NONE : d;
}

static void platform_timer_fire(struct sched_timer *t, uint64_t now)
{
	struct vm *vm = container_of(t, struct vm, platform.timer);
	struct platform *p = &vm->platform;
	spin_lock(&vm->lock);
	if (pit_irq_poll(&p->pit, now)) {
		/* IRQ0 is edge-triggered: one rising edge per period */
		ioapic_set_irq(&p->ioapic, PIT_IRQ_PIN, true);
		ioapic_set_irq(&p->ioapic, PIT_IRQ_PIN, false);
	}
	__atomic_store_n(&p->timer_deadline, pit_irq_deadline(&p->pit), __ATOMIC_RELAXED);
	spin_unlock(&vm->lock);
}

bool platform_start(struct vm *vm)
{
	struct platform *p = &vm->platform;
	p->timer.deadline = platform_timer_deadline;
	p->timer.fire = platform_timer_fire;
	return sched_timer_add(vm->vcpu[0]->sched.home_cpu, &p->timer);
}

void platform_stop(struct vm *vm)
{
	sched_timer_remove(vm->vcpu[0]->sched.home_cpu, &vm->platform.timer);
}

void platform_eoi(struct vm *vm, uint8_t vector)
{
	spin_lock(&vm->lock);
	ioapic_eoi(&vm->platform.ioapic, vector);
	spin_unlock(&vm->lock);
}

static bool ioapic_read_op(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
	struct vm *vm = ctx;
	spin_lock(&vm->lock);
	*val = ioapic_mmio_read(&vm->platform.ioapic, (unsigned)(gpa - IOAPIC_BASE), size);
	spin_unlock(&vm->lock);
	return true;
}

static bool ioapic_write_op(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
	struct vm *vm = ctx;
	spin_lock(&vm->lock);
	ioapic_mmio_write(&vm->platform.ioapic, (unsigned)(gpa - IOAPIC_BASE), size, (uint32_t)val);
	spin_unlock(&vm->lock);
	return true;
}

bool platform_mmio_device(struct vm *vm, uint64_t gpa, struct mmio_device *d)
{
	if (gpa >= IOAPIC_BASE && gpa < IOAPIC_BASE + IOAPIC_SIZE) {
		static const struct emulate_ops ops = {ioapic_read_op, ioapic_write_op, NULL};
		*d = (struct mmio_device){&ops, vm, "the IOAPIC"};
		return true;
	}
	return vpci_mmio_device(&vm->pci, gpa, d);
}
