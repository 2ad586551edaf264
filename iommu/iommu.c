/* AMD IOMMU bring-up, command queue, event and GA logs (AMD IOMMU spec #48882 §2.4, §2.5, §3.3
 * "Initialization", §3.4 registers; reference §4 for the GA parts). */
#include "iommu/iommu.h"
#include "iommu/command.h"
#include "iommu/event_log.h"
#include "iommu/iommu_regs.h"
#include "iommu/ivrs.h"
#include "iommu/ivrs_apply.h"
#include "kernel/boot_info.h"
#include "kernel/acpi.h"
#include "kernel/console.h"
#include "kernel/format.h"
#include "kernel/frame.h"
#include "kernel/lapic.h"
#include "kernel/paging.h"
#include "kernel/pci.h"
#include "kernel/percpu.h"
#include "kernel/ratelimit.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

/* Events printed per IOMMU and second; the rest are counted and the count printed once. A
 * device that faults on every DMA would otherwise keep the CPU in the interrupt printing at
 * 115200 baud (about 11 lines of 100 characters a second). */
#define IOMMU_EVENTS_PER_SECOND 10
/* The GA log is also polled at this interval: a lost or unconfigured MSI must not lose wake-ups
 * of vCPUs waiting for a device interrupt. */
#define IOMMU_POLL_US 10000

/* Rings of one page each: 256 commands or events of 16 bytes (ComLen = EventLen = 8), 512 GA log
 * entries of 8 bytes (GALogLen = 8: 2^(8+1) entries). */
#define RING_BYTES             PAGE_SIZE
#define RING_LENGTH_256        8ull
#define GA_LOG_LENGTH_512      8ull
#define GA_LOG_ENTRY_BYTES     8
#define GA_LOG_TYPE_SHIFT      60
#define GA_LOG_GUEST_NR        1 /* GA log entry type: interrupt for a vCPU not running */
#define GA_LOG_DEVICE_SHIFT    32
#define MSI_ADDRESS_BASE       0xfee00000u
#define MSI_ADDRESS_DEST_SHIFT 12
#define DEVICE_TABLE_PAGES     (DTE_TABLE_BYTES / PAGE_SIZE)
/* Per the spec the status bits that report interrupts and overflows are write-1-to-clear. */
#define STATUS_W1C                                                                                 \
	(IOMMU_STATUS_EVENT_OVERFLOW | IOMMU_STATUS_EVENT_LOG_INT | IOMMU_STATUS_COM_WAIT_INT |    \
	 IOMMU_STATUS_PPR_OVERFLOW | IOMMU_STATUS_PPR_INT | IOMMU_STATUS_GA_LOG_OVERFLOW |         \
	 IOMMU_STATUS_GA_INT)

struct iommu {
	unsigned index;
	unsigned ivrs_index; /* its IVHD: ivrs.iommu[ivrs_index] */
	uint16_t segment;
	uint16_t device_id; /* the IOMMU's own PCI function */
	uint64_t mmio;      /* identity-mapped register base */
	uint64_t efr;
	uint64_t control; /* last value written to the control register */
	struct iommu_command *commands;
	uint32_t command_tail;
	uint64_t *events;
	uint32_t event_head;
	uint64_t *ga_log;
	uint32_t ga_log_head;
	/* one page: the COMPLETION_WAIT semaphore at 0, the GA log tail copy at 64 */
	volatile uint64_t *completion;
	uint64_t completion_sequence;
	struct spinlock command_lock; /* command ring and semaphore */
	struct spinlock log_lock;     /* event and GA log heads */
	struct ratelimit event_limit; /* under log_lock */
};

/* One device table per PCI segment (device IDs are per segment), shared by the segment's
 * IOMMUs. */
#define IOMMU_MAX_SEGMENTS 4
static struct segment {
	uint16_t id;
	struct dte *table;
	struct ivrs_unity unity;
} segments[IOMMU_MAX_SEGMENTS];
static unsigned segment_count;

static struct ivrs_info ivrs;
static struct iommu iommus[IVRS_MAX_IOMMUS];
static unsigned iommu_count;
static int enabled_index[IVRS_MAX_IOMMUS]; /* ivrs.iommu[i] -> iommus[] index, -1 if not up */
static struct dte *device_table;           /* segment 0's: the one VMs' devices are in */
static bool ga_enabled;
static iommu_ga_log_fn ga_log_handler;
static unsigned interrupt_events; /* events printed by the event interrupt */

static uint64_t mmio_read(const struct iommu *u, unsigned reg)
{
	return *(volatile uint64_t *)(uintptr_t)(u->mmio + reg);
}

static void mmio_write(const struct iommu *u, unsigned reg, uint64_t v)
{
	*(volatile uint64_t *)(uintptr_t)(u->mmio + reg) = v;
}

static void control_write(struct iommu *u, uint64_t control)
{
	u->control = control;
	mmio_write(u, IOMMU_MMIO_CONTROL, control);
}

static void *page_zalloc(void)
{
	uint64_t pa = frame_alloc();
	if (pa)
		memset((void *)(uintptr_t)pa, 0, PAGE_SIZE);
	return (void *)(uintptr_t)pa;
}

static bool deadline_passed(uint64_t deadline)
{
	cpu_relax();
	return rdtsc() > deadline;
}

static uint64_t deadline_in_us(uint64_t us)
{
	return rdtsc() + us * (tsc_hz / 1000000);
}

/* ---- command queue (§2.4, §3.3.3) ----------------------------------------------------------- */

/* Appends one command and publishes it by moving the tail. The ring is full when the next tail
 * would equal the head the IOMMU reports. Caller holds command_lock. */
static bool queue_locked(struct iommu *u, struct iommu_command c)
{
	uint32_t next = (u->command_tail + IOMMU_COMMAND_BYTES) % RING_BYTES;
	uint64_t deadline = deadline_in_us(IOMMU_WAIT_TIMEOUT_US);
	while (next == (mmio_read(u, IOMMU_MMIO_COMMAND_HEAD) & IOMMU_RING_OFFSET_MASK)) {
		if (deadline_passed(deadline)) {
			pr_err("iommu %u: command buffer full for %u us (head 0x%lx, status "
			       "0x%lx)\n",
			       u->index, IOMMU_WAIT_TIMEOUT_US,
			       mmio_read(u, IOMMU_MMIO_COMMAND_HEAD),
			       mmio_read(u, IOMMU_MMIO_STATUS));
			return false;
		}
	}
	u->commands[u->command_tail / IOMMU_COMMAND_BYTES] = c;
	/* the entry must be in memory before the IOMMU can see the new tail */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	u->command_tail = next;
	mmio_write(u, IOMMU_MMIO_COMMAND_TAIL, next);
	return true;
}

static bool queue(struct iommu *u, struct iommu_command c)
{
	uint64_t flags = irq_save();
	spin_lock(&u->command_lock);
	bool ok = queue_locked(u, c);
	spin_unlock(&u->command_lock);
	irq_restore(flags);
	return ok;
}

/* COMPLETION_WAIT storing a new sequence number; the IOMMU executes commands in order, so when
 * the store lands every earlier command has completed (§2.4.1). */
static bool wait_one(struct iommu *u)
{
	uint64_t flags = irq_save();
	spin_lock(&u->command_lock);
	uint64_t want = ++u->completion_sequence;
	bool ok = queue_locked(u, command_completion_wait((uintptr_t)u->completion, want));
	uint64_t deadline = deadline_in_us(IOMMU_WAIT_TIMEOUT_US);
	while (ok && __atomic_load_n(u->completion, __ATOMIC_ACQUIRE) != want) {
		if (deadline_passed(deadline)) {
			pr_err("iommu %u: COMPLETION_WAIT not done after %u us (command head "
			       "0x%lx tail 0x%x, status 0x%lx)\n",
			       u->index, IOMMU_WAIT_TIMEOUT_US,
			       mmio_read(u, IOMMU_MMIO_COMMAND_HEAD), u->command_tail,
			       mmio_read(u, IOMMU_MMIO_STATUS));
			ok = false;
		}
	}
	spin_unlock(&u->command_lock);
	irq_restore(flags);
	return ok;
}

bool iommu_wait(void)
{
	bool ok = true;
	for (unsigned i = 0; i < iommu_count; i++)
		ok = wait_one(&iommus[i]) && ok;
	return ok;
}

/* Drops whatever the IOMMU cached before the new device table: translations of domain 0 and
 * every device's DTE and IRTEs (§3.3.3: caches are not defined after enabling). */
static bool flush_all(struct iommu *u)
{
	if (u->efr & IOMMU_EFR_IA_SUP)
		return queue(u, command_invalidate_iommu_all()) && wait_one(u);
	for (uint32_t id = 0; id < DTE_DEVICE_IDS; id++) {
		if (!queue(u, command_invalidate_devtab_entry((uint16_t)id)) ||
		    !queue(u, command_invalidate_interrupt_table((uint16_t)id)))
			return false;
	}
	return queue(u, command_invalidate_iommu_pages(0)) && wait_one(u);
}

/* ---- event log and GA log (§2.5, §2.2.5.3) -------------------------------------------------- */

/* After an overflow the IOMMU stops logging until the log is disabled, emptied, re-enabled. */
static void restart_log(struct iommu *u, uint64_t enable_bit, unsigned head_reg, unsigned tail_reg,
                        uint64_t overflow_bit)
{
	control_write(u, u->control & ~enable_bit);
	mmio_write(u, head_reg, 0);
	mmio_write(u, tail_reg, 0);
	mmio_write(u, IOMMU_MMIO_STATUS, overflow_bit);
	control_write(u, u->control | enable_bit);
}

static unsigned poll_events(struct iommu *u)
{
	unsigned n = 0;
	uint32_t tail = (uint32_t)(mmio_read(u, IOMMU_MMIO_EVENT_TAIL) & IOMMU_RING_OFFSET_MASK);
	while (u->event_head != tail) {
		const uint64_t *e = &u->events[u->event_head / sizeof(uint64_t)];
		uint64_t entry[2] = {e[0], e[1]};
		uint64_t suppressed;
		if (ratelimit_allow(&u->event_limit, rdtsc(), &suppressed)) {
			char line[160];
			if (suppressed)
				printk("iommu %u: %lu events not printed (more than %u a second)\n",
				       u->index, suppressed, IOMMU_EVENTS_PER_SECOND);
			event_log_format(entry, line, sizeof(line));
			printk("iommu %u: event: %s\n", u->index, line);
		}
		u->event_head = (u->event_head + EVENT_LOG_ENTRY_BYTES) % RING_BYTES;
		mmio_write(u, IOMMU_MMIO_EVENT_HEAD, u->event_head);
		n++;
	}
	if (mmio_read(u, IOMMU_MMIO_STATUS) & IOMMU_STATUS_EVENT_OVERFLOW) {
		pr_err("iommu %u: event log overflow: events were lost\n", u->index);
		u->event_head = 0;
		restart_log(u, IOMMU_CONTROL_EVENT_LOG_EN, IOMMU_MMIO_EVENT_HEAD,
		            IOMMU_MMIO_EVENT_TAIL, IOMMU_STATUS_EVENT_OVERFLOW);
	}
	return n;
}

/* The head moves past an entry before its handler runs (as Linux's iommu_poll_ga_log()), so a
 * handler that takes long never makes the IOMMU see a full log for entries already consumed. */
static void poll_ga_log(struct iommu *u)
{
	uint32_t tail =
	    (uint32_t)(mmio_read(u, IOMMU_MMIO_GA_LOG_TAIL) & IOMMU_GA_RING_OFFSET_MASK);
	while (u->ga_log_head != tail) {
		uint64_t e = u->ga_log[u->ga_log_head / GA_LOG_ENTRY_BYTES];
		u->ga_log_head = (u->ga_log_head + GA_LOG_ENTRY_BYTES) % RING_BYTES;
		mmio_write(u, IOMMU_MMIO_GA_LOG_HEAD, u->ga_log_head);
		uint16_t device = (uint16_t)(e >> GA_LOG_DEVICE_SHIFT);
		if ((e >> GA_LOG_TYPE_SHIFT) != GA_LOG_GUEST_NR)
			pr_warn("iommu %u: GA log entry of unknown type: 0x%lx\n", u->index, e);
		else if (ga_log_handler)
			ga_log_handler((uint32_t)e, device);
		else
			pr_debug("iommu %u: GA log: tag 0x%x device " PCI_BDF_FMT "\n", u->index,
			         (uint32_t)e, PCI_BDF_ARGS(device));
	}
	if (mmio_read(u, IOMMU_MMIO_STATUS) & IOMMU_STATUS_GA_LOG_OVERFLOW) {
		pr_err("iommu %u: GA log overflow: wake-ups were lost\n", u->index);
		u->ga_log_head = 0;
		restart_log(u, IOMMU_CONTROL_GA_LOG_EN, IOMMU_MMIO_GA_LOG_HEAD,
		            IOMMU_MMIO_GA_LOG_TAIL, IOMMU_STATUS_GA_LOG_OVERFLOW);
	}
}

unsigned iommu_poll(void)
{
	unsigned events = 0;
	for (unsigned i = 0; i < iommu_count; i++) {
		struct iommu *u = &iommus[i];
		uint64_t flags = irq_save();
		spin_lock(&u->log_lock);
		/* clear the interrupt status first: an entry logged after the clear raises it again
		 */
		mmio_write(u, IOMMU_MMIO_STATUS,
		           IOMMU_STATUS_EVENT_LOG_INT | IOMMU_STATUS_GA_INT |
		               IOMMU_STATUS_COM_WAIT_INT);
		events += poll_events(u);
		if (u->control & IOMMU_CONTROL_GA_LOG_EN)
			poll_ga_log(u);
		spin_unlock(&u->log_lock);
		irq_restore(flags);
	}
	return events;
}

static void iommu_interrupt(struct trap_frame *f)
{
	(void)f;
	__atomic_fetch_add(&interrupt_events, iommu_poll(), __ATOMIC_RELAXED);
}

unsigned iommu_interrupt_events(void)
{
	return __atomic_load_n(&interrupt_events, __ATOMIC_RELAXED);
}

void iommu_set_ga_log_handler(iommu_ga_log_fn fn)
{
	ga_log_handler = fn;
}

/* ---- bring-up (§3.3) ------------------------------------------------------------------------ */

/* The IOMMU's own interrupts (events, GA log) are MSIs of its PCI function, fixed, edge,
 * physical destination: this CPU. The IOMMU never remaps its own MSIs. */
static bool msi_setup(struct iommu *u)
{
	uint32_t id = lapic_id();
	if (id > 0xff) {
		/* the MSI address holds 8 destination bits; wider needs IntCapXTEn (not used) */
		printk("iommu %u: boot CPU APIC ID %u does not fit an MSI destination (8 bits; "
		       "IOMMU XT mode is not implemented): events and the GA log are polled\n",
		       u->index, id);
		return false;
	}
	return pci_msi_enable(u->device_id, MSI_ADDRESS_BASE | (id << MSI_ADDRESS_DEST_SHIFT),
	                      VECTOR_IOMMU);
}

static void print_features(const struct iommu *u, uint64_t mmio_pa)
{
	uint64_t gam = (u->efr & IOMMU_EFR_GAM_SUP_MASK) >> IOMMU_EFR_GAM_SUP_SHIFT;
	printk("iommu %u: " PCI_BDF_FMT " registers at 0x%lx, EFR 0x%lx:%s%s%s%s%s\n", u->index,
	       PCI_BDF_ARGS(u->device_id), mmio_pa, u->efr,
	       u->efr & IOMMU_EFR_GA_SUP ? " GASup" : "", gam == 1 ? " GAMSup(vAPIC)" : "",
	       u->efr & IOMMU_EFR_XT_SUP ? " XTSup" : "", u->efr & IOMMU_EFR_IA_SUP ? " IASup" : "",
	       u->efr & IOMMU_EFR_PPR_SUP ? " PPRSup" : "");
}

static bool bring_up(struct iommu *u, const struct ivrs_iommu *d, struct dte *table)
{
	paging_map_mmio(d->mmio_base, IOMMU_MMIO_SIZE);
	u->mmio = d->mmio_base;
	u->device_id = d->devid;
	u->segment = d->segment;
	u->event_limit = (struct ratelimit){.interval = tsc_hz, .burst = IOMMU_EVENTS_PER_SECOND};
	u->efr = mmio_read(u, IOMMU_MMIO_EXTENDED_FEATURE);
	print_features(u, d->mmio_base);

	/* Firmware may have left it running (e.g. for pre-boot DMA protection): stop it before its
	 * tables change under it. */
	if (mmio_read(u, IOMMU_MMIO_CONTROL) & IOMMU_CONTROL_IOMMU_EN)
		printk("iommu %u: was enabled by the firmware; taking over\n", u->index);
	control_write(u, 0);

	u->commands = page_zalloc();
	u->events = page_zalloc();
	u->completion = page_zalloc();
	if (!u->commands || !u->events || !u->completion) {
		pr_err("iommu %u: out of memory for the command buffer and event log\n", u->index);
		return false;
	}
	mmio_write(u, IOMMU_MMIO_DEVICE_TABLE_BASE, (uintptr_t)table | IOMMU_DEVICE_TABLE_SIZE_MAX);
	mmio_write(u, IOMMU_MMIO_COMMAND_BUFFER_BASE,
	           (uintptr_t)u->commands | RING_LENGTH_256 << IOMMU_LOG_LENGTH_SHIFT);
	mmio_write(u, IOMMU_MMIO_EVENT_LOG_BASE,
	           (uintptr_t)u->events | RING_LENGTH_256 << IOMMU_LOG_LENGTH_SHIFT);
	mmio_write(u, IOMMU_MMIO_COMMAND_HEAD, 0);
	mmio_write(u, IOMMU_MMIO_COMMAND_TAIL, 0);
	mmio_write(u, IOMMU_MMIO_EVENT_HEAD, 0);
	mmio_write(u, IOMMU_MMIO_EVENT_TAIL, 0);
	mmio_write(u, IOMMU_MMIO_STATUS, STATUS_W1C);
	bool msi = msi_setup(u);

	/* Coherent, HtTunEn, PassPW, ResPassPW, Isoc, InvTimeout as the IVHD says (Linux's
	 * iommu_init_flags()) */
	uint64_t control = ivrs_control_bits(d->flags) | IOMMU_CONTROL_CMD_BUF_EN |
	                   IOMMU_CONTROL_EVENT_LOG_EN | (msi ? IOMMU_CONTROL_EVENT_INT_EN : 0);
	control_write(u, control);
	control_write(u, control | IOMMU_CONTROL_IOMMU_EN);
	uint64_t status = mmio_read(u, IOMMU_MMIO_STATUS);
	if (!(status & IOMMU_STATUS_CMD_BUF_RUN) || !(status & IOMMU_STATUS_EVENT_LOG_RUN))
		pr_warn("iommu %u: status 0x%lx after enabling: command buffer %s, event log %s\n",
		        u->index, status, status & IOMMU_STATUS_CMD_BUF_RUN ? "runs" : "stopped",
		        status & IOMMU_STATUS_EVENT_LOG_RUN ? "runs" : "stopped");
	if (!flush_all(u)) {
		pr_err("iommu %u: the IOMMU does not complete commands: it is enabled with the "
		       "blocking device table, but cached entries may survive\n",
		       u->index);
		return true;
	}
	printk("iommu %u: enabled on segment %u: control 0x%lx, command buffer and event log of "
	       "256 entries, events %s\n",
	       u->index, u->segment, u->control,
	       msi ? "by interrupt (vector 0xef)" : "polled (no MSI)");
	return true;
}

static uint64_t page_table_alloc(void)
{
	return (uintptr_t)page_zalloc();
}

static void page_table_free(uint64_t pa)
{
	frame_free_pages(pa, 1);
}

/* The device table of a segment: every entry valid and blocking, so that no device does DMA or
 * raises an interrupt that the hypervisor did not grant (§2.2.2: a V=0 entry would pass DMA
 * through untranslated), except what the IVRS asks for: the IVHD settings (NMI, INIT, LINT
 * pass-through of the IOAPIC and the like) and the IVMD unity ranges firmware-owned devices keep
 * using. NULL with a message when it cannot be made. */
static struct segment *segment_table(uint16_t id)
{
	for (unsigned i = 0; i < segment_count; i++) {
		if (segments[i].id == id)
			return &segments[i];
	}
	if (segment_count == IOMMU_MAX_SEGMENTS) {
		pr_err("iommu: PCI segment %u: more than %u segments with IOMMUs; its IOMMUs stay "
		       "disabled and its devices are NOT isolated\n",
		       id, IOMMU_MAX_SEGMENTS);
		return NULL;
	}
	uint64_t pa = frame_alloc_pages(DEVICE_TABLE_PAGES, DTE_TABLE_BYTES, 0);
	if (!pa) {
		pr_err("iommu: PCI segment %u: no 2 MiB for its device table; its IOMMUs stay "
		       "disabled and its devices are NOT isolated\n",
		       id);
		return NULL;
	}
	struct segment *seg = &segments[segment_count++];
	seg->id = id;
	seg->table = (struct dte *)(uintptr_t)pa;
	char why[200];
	if (!ivrs_fill_device_table(&ivrs, id, seg->table, &seg->unity, page_table_alloc,
	                            page_table_free, why, sizeof(why)))
		pr_err("iommu: segment %u: %s: %u device IDs stay blocked, firmware DMA to that "
		       "range will fault\n",
		       id, why, seg->unity.failed);
	for (unsigned i = 0; i < seg->unity.count; i++) {
		const struct ivrs_unity_domain *dom = &seg->unity.domain[i];
		printk("iommu: segment %u: unity domain %u (IVMD mask 0x%x) for firmware DMA\n", id,
		       dom->domain_id, dom->ivmd_mask);
	}
	if (id == 0)
		device_table = seg->table;
	return seg;
}

struct dte iommu_dte(uint16_t device_id)
{
	struct dte d = {{0, 0, 0, 0}};
	if (device_table)
		d = device_table[device_id];
	return d;
}

/* The IOMMU may read the entry at any time: the DMA half (q[0], with V and TV) goes last so that
 * it never pairs new translation fields with an old interrupt or domain half. Then the cached copy
 * and the old domain's translations are dropped. */
bool iommu_set_dte(uint16_t device_id, struct dte d)
{
	if (!device_table)
		return false;
	uint16_t old_domain = (uint16_t)dte_q1_get_domain_id(device_table[device_id].q[1]);
	volatile uint64_t *q = device_table[device_id].q;
	q[3] = d.q[3];
	q[2] = d.q[2];
	q[1] = d.q[1];
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q[0] = d.q[0];
	bool ok = true;
	for (unsigned i = 0; i < iommu_count; i++) {
		struct iommu *u = &iommus[i];
		if (u->segment != 0)
			continue;
		ok = queue(u, command_invalidate_devtab_entry(device_id)) &&
		     queue(u, command_invalidate_interrupt_table(device_id)) &&
		     queue(u, command_invalidate_iommu_pages(old_domain)) && wait_one(u) && ok;
	}
	return ok;
}

bool iommu_invalidate_interrupt_table(uint16_t device_id)
{
	bool ok = true;
	for (unsigned i = 0; i < iommu_count; i++) {
		struct iommu *u = &iommus[i];
		if (u->segment != 0)
			continue;
		ok = queue(u, command_invalidate_interrupt_table(device_id)) && wait_one(u) && ok;
	}
	return ok;
}

bool iommu_present(void)
{
	return device_table != NULL && iommu_count != 0;
}

bool iommu_device_isolated(uint16_t bdf, char *why, size_t why_len)
{
	if (!iommu_present()) {
		format(why, why_len, "no AMD IOMMU is enabled on PCI segment 0");
		return false;
	}
	int i = ivrs_iommu_of(&ivrs, 0, bdf);
	if (i < 0) {
		format(why, why_len,
		       "no IVHD entry of the IVRS names " PCI_BDF_FMT
		       " (or it did not fit doorbell's %u device ranges): no IOMMU is known to "
		       "translate its DMA",
		       PCI_BDF_ARGS(bdf), IVRS_MAX_DEVS);
		return false;
	}
	if (enabled_index[i] < 0) {
		format(why, why_len,
		       "the IOMMU that translates " PCI_BDF_FMT
		       " (IVHD %d, registers at 0x%lx) was not enabled (see the 'iommu' lines of the "
		       "boot): its DMA reaches all memory",
		       PCI_BDF_ARGS(bdf), i, ivrs.iommu[i].mmio_base);
		return false;
	}
	if (ivrs_has_unity(&ivrs, 0, bdf)) {
		format(why, why_len,
		       "the firmware keeps DMA to memory of its own for " PCI_BDF_FMT
		       " (an IVMD unity map or exclusion range): it cannot be given to a VM",
		       PCI_BDF_ARGS(bdf));
		return false;
	}
	return true;
}

/* Reads the table back: the claim "every device is blocked" is checked, not assumed. */
static void report_blocking(void)
{
	for (unsigned s = 0; s < segment_count; s++) {
		const struct segment *seg = &segments[s];
		uint32_t blocked = 0, dma_blocked = 0;
		for (uint32_t id = 0; id < DTE_DEVICE_IDS; id++) {
			dma_blocked += dte_dma_blocked(seg->table[id]);
			blocked += dte_dma_blocked(seg->table[id]) &&
			           dte_interrupts_blocked(seg->table[id]);
		}
		printk("iommu: segment %u device table at 0x%lx: %u of %u device IDs blocked (DMA "
		       "and interrupts aborted until assigned); DMA blocked for %u, unity-mapped "
		       "for %u (IVMD)\n",
		       seg->id, (uintptr_t)seg->table, blocked, DTE_DEVICE_IDS, dma_blocked,
		       seg->unity.devices);
	}
	if (ivrs.dropped)
		pr_warn("iommu: %u IVRS entries did not fit (at most %u IOMMUs, %u device ranges, %u "
		        "special, %u IVMD): devices they name are not claimed to be isolated\n",
		        ivrs.dropped, IVRS_MAX_IOMMUS, IVRS_MAX_DEVS, IVRS_MAX_SPECIAL,
		        IVRS_MAX_IVMDS);
	/* The claim is made only for what an enabled IOMMU translates (pci_scan covers segment 0). */
	for (unsigned i = 0; i < pci_function_count; i++) {
		const struct pci_function *f = &pci_functions[i];
		int m = ivrs_iommu_of(&ivrs, 0, f->bdf);
		if (m < 0 || enabled_index[m] < 0) {
			printk("iommu: " PCI_BDF_FMT " %04x:%04x NOT ISOLATED: %s\n",
			       PCI_BDF_ARGS(f->bdf), f->vendor, f->device,
			       m < 0 ? "no IVHD entry names it" : "its IOMMU is not enabled");
			continue;
		}
		struct dte d = device_table[f->bdf];
		printk("iommu: " PCI_BDF_FMT " %04x:%04x iommu %d: DMA %s, interrupts %s\n",
		       PCI_BDF_ARGS(f->bdf), f->vendor, f->device, enabled_index[m],
		       dte_dma_blocked(d)               ? "blocked"
		       : dte_q0_get_mode(d.q[0]) != 0   ? "unity-mapped (IVMD)"
		                                        : "ALLOWED",
		       dte_interrupts_blocked(d) ? "blocked" : "ALLOWED");
	}
}

void iommu_init(const struct acpi_info *acpi)
{
	pci_init(acpi);
	pci_scan(true);
	if (!acpi->ivrs) {
		printk("iommu: no AMD IOMMU: DMA isolation unavailable (no IVRS table): every "
		       "device can DMA to all memory\n");
		return;
	}
	const struct acpi_sdt_header *h = (const void *)(uintptr_t)acpi->ivrs;
	for (unsigned i = 0; i < IVRS_MAX_IOMMUS; i++)
		enabled_index[i] = -1;
	int err = ivrs_parse(h, h->length, &ivrs);
	if (err) {
		pr_err("iommu: no AMD IOMMU: DMA isolation unavailable (IVRS unusable: %s)\n",
		       ivrs_strerror(err));
		return;
	}
	printk("iommu: IVRS: %u IOMMUs (IVHD type %02xh), %u device ranges, %u special, %u IVMD\n",
	       ivrs.iommu_count, ivrs.ivhd_type, ivrs.dev_count, ivrs.special_count,
	       ivrs.ivmd_count);
	trap_set_handler(VECTOR_IOMMU, iommu_interrupt);
	for (unsigned i = 0; i < ivrs.iommu_count; i++) {
		struct iommu *u = &iommus[iommu_count];
		u->index = iommu_count;
		u->ivrs_index = i;
		struct segment *seg = segment_table(ivrs.iommu[i].segment);
		if (!seg)
			continue;
		if (bring_up(u, &ivrs.iommu[i], seg->table)) {
			enabled_index[i] = (int)iommu_count;
			iommu_count++;
		} else {
			pr_err("iommu: IVHD %u (segment %u, registers at 0x%lx) not enabled: the "
			       "devices it translates are NOT isolated and cannot be assigned\n",
			       i, ivrs.iommu[i].segment, ivrs.iommu[i].mmio_base);
		}
	}
	if (!iommu_count) {
		pr_err("iommu: no AMD IOMMU could be enabled: DMA isolation unavailable\n");
		return;
	}
	report_blocking();
	iommu_poll();
}

void iommu_report(void)
{
	if (!ivrs.iommu_count) {
		printk("report: iommu: none (no usable IVRS table): no DMA isolation, pci= refused\n");
		return;
	}
	printk("report: iommu: IVRS with %u IOMMU(s) (IVHD type %02xh), %u device ranges, %u IVMD, "
	       "%u entries dropped\n",
	       ivrs.iommu_count, ivrs.ivhd_type, ivrs.dev_count, ivrs.ivmd_count, ivrs.dropped);
	for (unsigned i = 0; i < ivrs.iommu_count; i++) {
		const struct ivrs_iommu *d = &ivrs.iommu[i];
		uint64_t efr = enabled_index[i] >= 0 ? iommus[enabled_index[i]].efr : d->efr;
		uint64_t gam = (efr & IOMMU_EFR_GAM_SUP_MASK) >> IOMMU_EFR_GAM_SUP_SHIFT;
		printk("report: iommu %u: segment %u " PCI_BDF_FMT " at 0x%lx, %s, EFR 0x%lx:%s%s%s%s\n",
		       i, d->segment, PCI_BDF_ARGS(d->devid), d->mmio_base,
		       enabled_index[i] >= 0 ? "enabled" : "NOT enabled", efr,
		       efr & IOMMU_EFR_GA_SUP ? " GASup" : "", gam == 1 ? " GAMSup(vAPIC)" : "",
		       efr & IOMMU_EFR_XT_SUP ? " XTSup" : "", efr & IOMMU_EFR_IA_SUP ? " IASup" : "");
		/* the PCI functions found on segment 0 that this IOMMU translates */
		unsigned covered = 0;
		for (unsigned f = 0; f < pci_function_count; f++) {
			uint16_t bdf = pci_functions[f].bdf;
			if (d->segment != 0 || ivrs_iommu_of(&ivrs, 0, bdf) != (int)i)
				continue;
			covered++;
			printk("report: iommu %u: covers " PCI_BDF_FMT " %04x:%04x class %06x%s\n", i,
			       PCI_BDF_ARGS(bdf), pci_functions[f].vendor, pci_functions[f].device,
			       pci_functions[f].class_code,
			       ivrs_has_unity(&ivrs, 0, bdf) ? " (IVMD: firmware DMA)" : "");
		}
		printk("report: iommu %u: %u PCI function(s) found behind it\n", i, covered);
	}
	for (unsigned f = 0; f < pci_function_count; f++) {
		int m = ivrs_iommu_of(&ivrs, 0, pci_functions[f].bdf);
		if (m < 0 || enabled_index[m] < 0)
			printk("report: iommu: " PCI_BDF_FMT " NOT ISOLATED (%s)\n",
			       PCI_BDF_ARGS(pci_functions[f].bdf),
			       m < 0 ? "no IVHD names it" : "its IOMMU is not enabled");
	}
}

/* ---- guest virtual APIC (GA) mode (reference §4.4, §4.5) ------------------------------------ */

static bool ga_supported(const struct iommu *u)
{
	return (u->efr & IOMMU_EFR_GA_SUP) &&
	       (u->efr & IOMMU_EFR_GAM_SUP_MASK) == IOMMU_EFR_GAM_SUP_VAPIC;
}

/* Linux's order (iommu_ga_log_enable(), enable_iommus_vapic()): log base and tail address, empty
 * ring, GAIntEn, GALogEn, wait for GALogRun, then GAMEn. GAEn changes the IRTE format to 128 bits;
 * no device has an interrupt table yet (IntCtl = abort everywhere), so nothing cached is stale. */
static bool ga_enable(struct iommu *u)
{
	u->ga_log = page_zalloc();
	if (!u->ga_log)
		return false;
	mmio_write(u, IOMMU_MMIO_GA_LOG_BASE,
	           (uintptr_t)u->ga_log | GA_LOG_LENGTH_512 << IOMMU_LOG_LENGTH_SHIFT);
	mmio_write(u, IOMMU_MMIO_GA_LOG_TAIL_ADDRESS, (uintptr_t)(u->completion + 8));
	mmio_write(u, IOMMU_MMIO_GA_LOG_HEAD, 0);
	mmio_write(u, IOMMU_MMIO_GA_LOG_TAIL, 0);
	u->ga_log_head = 0;
	/* GAEn changes the IRTE format: it may only change while the IOMMU is off (#48882
	 * §3.4.4), so IommuEn drops for the two writes. No VM runs yet and every device is
	 * blocked before and after; the IRTE caches are dropped afterwards. */
	control_write(u, u->control & ~IOMMU_CONTROL_IOMMU_EN);
	control_write(u, u->control | IOMMU_CONTROL_GA_EN);
	control_write(u, u->control | IOMMU_CONTROL_IOMMU_EN);
	if (!flush_all(u))
		pr_err("iommu %u: caches not flushed after GAEn\n", u->index);
	control_write(u, u->control | IOMMU_CONTROL_GA_INT_EN);
	control_write(u, u->control | IOMMU_CONTROL_GA_LOG_EN);
	uint64_t deadline = deadline_in_us(IOMMU_WAIT_TIMEOUT_US);
	while (!(mmio_read(u, IOMMU_MMIO_STATUS) & IOMMU_STATUS_GA_LOG_RUN)) {
		if (deadline_passed(deadline)) {
			pr_err("iommu %u: GALogRun not set %u us after GALogEn; GA left off\n",
			       u->index, IOMMU_WAIT_TIMEOUT_US);
			control_write(u,
			              u->control & ~(IOMMU_CONTROL_GA_EN | IOMMU_CONTROL_GA_INT_EN |
			                             IOMMU_CONTROL_GA_LOG_EN));
			return false;
		}
	}
	control_write(u, (u->control & ~IOMMU_CONTROL_GAM_EN_MASK) | IOMMU_CONTROL_GAM_EN_VAPIC);
	return true;
}

/* The GA log polled from the scheduler's timer as well as by the MSI; the event log too where
 * the IOMMU has no interrupt. */
static uint64_t ga_poll_deadline;

static uint64_t ga_poll_next(struct sched_timer *t)
{
	(void)t;
	return ga_poll_deadline;
}

static void ga_poll_fire(struct sched_timer *t, uint64_t now)
{
	(void)t;
	ga_poll_deadline = now + IOMMU_POLL_US * (tsc_hz / 1000000);
	for (unsigned i = 0; i < iommu_count; i++) {
		struct iommu *u = &iommus[i];
		uint64_t flags = irq_save();
		spin_lock(&u->log_lock);
		if (u->control & IOMMU_CONTROL_GA_LOG_EN)
			poll_ga_log(u);
		if (!(u->control & IOMMU_CONTROL_EVENT_INT_EN))
			poll_events(u);
		spin_unlock(&u->log_lock);
		irq_restore(flags);
	}
}

static struct sched_timer ga_poll_timer = {.deadline = ga_poll_next, .fire = ga_poll_fire};

void iommu_ga_init(bool vapic_pages)
{
	if (!iommu_count)
		return;
	if (!vapic_pages) {
		printk("iommu: GA off: the soft policy has no AVIC backing pages to post into\n");
		return;
	}
	/* all or none: an IRTE's format must not depend on which IOMMU serves the device */
	for (unsigned i = 0; i < iommu_count; i++) {
		if (!ga_supported(&iommus[i])) {
			printk(
			    "iommu %u: no guest virtual APIC support (EFR GASup/GAMSup): GA off, "
			    "device interrupts cannot be posted\n",
			    i);
			return;
		}
	}
	for (unsigned i = 0; i < iommu_count; i++) {
		if (!ga_enable(&iommus[i])) {
			for (unsigned j = 0; j < i; j++)
				control_write(&iommus[j],
				              iommus[j].control &
				                  ~(IOMMU_CONTROL_GA_EN | IOMMU_CONTROL_GA_INT_EN |
				                    IOMMU_CONTROL_GA_LOG_EN |
				                    IOMMU_CONTROL_GAM_EN_MASK));
			return;
		}
	}
	ga_enabled = true;
	printk("iommu: GA on: 128-bit IRTEs, guest virtual APIC mode (GAEn, GAMEn), GA log of 512 "
	       "entries with interrupt, also polled every %u us\n",
	       IOMMU_POLL_US);
}

void iommu_poll_start(void)
{
	if (!iommu_count)
		return;
	if (!sched_timer_add(this_cpu()->index, &ga_poll_timer)) {
		pr_warn("iommu: no timer slot left: the GA log is read only from its interrupt\n");
		return;
	}
	sched_timer_rearm();
}

bool iommu_ga_enabled(void)
{
	return ga_enabled;
}

bool iommu_irte_update_vcpu(struct irte *entry, int64_t host_apic_id, bool ga_log_intr)
{
	return ga_enabled && irte_update_vcpu(entry, host_apic_id, ga_log_intr);
}
