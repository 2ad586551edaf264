/*
 * AMD IOMMU probes: guest virtual APIC (GA) interrupt posting with the GA
 * log, and the event log (IO page fault, invalid IRTE), driven by QEMU's
 * edu device (1234:11e8) behind -device amd-iommu,intremap=on on q35.
 * AMD I/O Virtualization Technology (IOMMU) Specification, 48882.
 */
#include "tests/platform/probe.h"

#define IOMMU_MMIO        0xfed80000ULL
#define IOMMU_DEVTAB_BASE 0x0000
#define IOMMU_EVTLOG_BASE 0x0010
#define IOMMU_CONTROL     0x0018
#define IOMMU_GALOG_BASE  0x00e0
#define IOMMU_EVTLOG_HEAD 0x2010
#define IOMMU_EVTLOG_TAIL 0x2018
#define IOMMU_STATUS      0x2020
#define IOMMU_GALOG_HEAD  0x2040
#define IOMMU_GALOG_TAIL  0x2048
#define CONTROL_IOMMU_EN  (1ULL << 0)
#define CONTROL_EVTLOG_EN (1ULL << 2)
#define CONTROL_GA_EN     (1ULL << 17)
#define CONTROL_GAM_EN    (1ULL << 25)
#define CONTROL_GALOG_EN  (1ULL << 28)
#define CONTROL_GAINT_EN  (1ULL << 29)
#define STATUS_EVTLOG_INT (1ULL << 1)
#define STATUS_GALOG_RUN  (1ULL << 8)
#define STATUS_GA_INT     (1ULL << 10)
#define LOG_LEN_SHIFT     56
#define EVTLOG_LEN_256    (8ULL << LOG_LEN_SHIFT) /* 2^8 entries of 16 bytes */
#define GALOG_LEN_512     (8ULL << LOG_LEN_SHIFT) /* 512 entries of 8 bytes */
#define DEVTAB_SIZE_8K    1                       /* (1 + 1) * 4 KiB */

/* Device table entry (spec Table 7) */
#define DTE_V            (1ULL << 0)
#define DTE_TV           (1ULL << 1)
#define DTE_MODE_1LEVEL  (1ULL << 9)
#define DTE_IR           (1ULL << 61)
#define DTE_IW           (1ULL << 62)
#define DTE_IV           (1ULL << 0)
#define DTE_INTTABLEN_2  (1ULL << 1)
#define DTE_INTCTL_REMAP (2ULL << 60)

/* 128-bit IRTE, guest virtual APIC format (GuestMode = 1) */
#define IRTE_REMAP_EN    (1ULL << 0)
#define IRTE_GALOG_INTR  (1ULL << 2)
#define IRTE_IS_RUN      (1ULL << 6)
#define IRTE_GUEST_MODE  (1ULL << 7)
#define IRTE_DEST_SHIFT  8
#define IRTE_GATAG_SHIFT 32
#define IRTE_ROOT_SHIFT  12 /* GA root pointer: bits 115:76 = high qword 51:12 */

/* Event log entry: DeviceID 15:0, flags 59:48 (I = bit 51), code 63:60 */
#define EVENT_CODE_SHIFT    60
#define EVENT_IO_PAGE_FAULT 2ULL
#define EVENT_FLAG_I        (1ULL << 51)
#define EVENT_LEN           16
/* GA log entry: GATag 31:0, DeviceID 47:32, type 63:60 (1 = guest not running) */
#define GALOG_GUEST_NR  (1ULL << 60)
#define GALOG_ENTRY_LEN 8

/* edu device (QEMU docs/specs/edu.txt) */
#define EDU_VENDOR      0x1234
#define EDU_DEVICE      0x11e8
#define EDU_IRQ_RAISE   0x60
#define EDU_IRQ_ACK     0x64
#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_CNT     0x90
#define EDU_DMA_CMD     0x98
#define EDU_DMA_START   1
#define EDU_BUFFER      0x40000
#define EDU_DMA_TIMEOUT 500000000U
#define PCI_COMMAND     0x04
#define PCI_CMD_MEM     (1U << 1)
#define PCI_CMD_MASTER  (1U << 2)
#define PCI_BAR0        0x10
#define PCI_CAP_MSI     0x05
#define MSI_ENABLE      (1U << 16)
#define MSI_ADDR        APIC_BASE

#define PCI_CLASS_REV   0x08
#define PCI_CLASS_IOMMU 0x0806 /* base class 08h, subclass 06h */
#define PIC1_DATA       0x21
#define PIC2_DATA       0xa1
#define GA_LOG_VECTOR   0x60

#define GA_TAG        0xabcd1234U
#define UNMAPPED_IOVA 0x200000ULL

static uint64_t devtab[2 * HW_PAGE_SIZE / 8] HW_PAGE_ALIGNED;
static volatile uint64_t evtlog[HW_PAGE_SIZE / 8] HW_PAGE_ALIGNED;
static volatile uint64_t galog[HW_PAGE_SIZE / 8] HW_PAGE_ALIGNED;
static volatile uint64_t irt[HW_PAGE_SIZE / 8] HW_PAGE_ALIGNED;
static uint64_t empty_page_table[HW_PAGE_SIZE / 8] HW_PAGE_ALIGNED;
static uint8_t vapic_backing[HW_PAGE_SIZE] HW_PAGE_ALIGNED;

static unsigned edu_bdf;
static uint64_t edu_bar;

static uint64_t iommu_read(unsigned reg)
{
	return hw_read64(IOMMU_MMIO + reg);
}

static void iommu_write(unsigned reg, uint64_t v)
{
	hw_write64(IOMMU_MMIO + reg, v);
}

/* Find edu, enable it, and point its MSI at IRTE 0 (data = index). */
static bool edu_setup(void)
{
	int bdf = hw_pci_find(EDU_VENDOR, EDU_DEVICE);
	unsigned msi;

	probe_check(bdf >= 0, "edu device present");
	if (bdf < 0)
		return false;
	edu_bdf = (unsigned)bdf;
	edu_bar = hw_pci_read32(edu_bdf, PCI_BAR0) & ~0xfULL;
	hw_pci_write32(edu_bdf, PCI_COMMAND,
	               hw_pci_read32(edu_bdf, PCI_COMMAND) | PCI_CMD_MEM | PCI_CMD_MASTER);
	msi = hw_pci_find_cap(edu_bdf, PCI_CAP_MSI);
	probe_check(msi != 0, "edu MSI capability");
	if (!msi)
		return false;
	hw_pci_write32(edu_bdf, msi + 4, (uint32_t)MSI_ADDR);
	hw_pci_write32(edu_bdf, msi + 8, 0);
	hw_pci_write32(edu_bdf, msi + 12, 0);
	hw_pci_write32(edu_bdf, msi, hw_pci_read32(edu_bdf, msi) | MSI_ENABLE);
	return true;
}

static void edu_msi(void)
{
	hw_write32(edu_bar + EDU_IRQ_RAISE, 1);
	hw_write32(edu_bar + EDU_IRQ_ACK, 1);
}

/* Device table, logs and interrupt remapping for edu; then @control. */
static void iommu_setup(uint64_t dte0, uint64_t control)
{
	uint64_t *dte = &devtab[edu_bdf * 4];

	dte[0] = dte0;
	dte[2] = DTE_IV | DTE_INTTABLEN_2 | (uint64_t)irt | DTE_INTCTL_REMAP;
	iommu_write(IOMMU_DEVTAB_BASE, (uint64_t)devtab | DEVTAB_SIZE_8K);
	iommu_write(IOMMU_EVTLOG_BASE, (uint64_t)evtlog | EVTLOG_LEN_256);
	iommu_write(IOMMU_EVTLOG_HEAD, 0);
	iommu_write(IOMMU_EVTLOG_TAIL, 0);
	iommu_write(IOMMU_GALOG_BASE, (uint64_t)galog | GALOG_LEN_512);
	iommu_write(IOMMU_GALOG_HEAD, 0);
	iommu_write(IOMMU_GALOG_TAIL, 0);
	iommu_write(IOMMU_CONTROL, control);
}

static void irte_set_guest(bool is_run, bool ga_log_intr, uint8_t vector)
{
	irt[0] = IRTE_REMAP_EN | IRTE_GUEST_MODE | (is_run ? IRTE_IS_RUN : 0) |
	         (ga_log_intr ? IRTE_GALOG_INTR : 0) | (0ULL << IRTE_DEST_SHIFT) |
	         ((uint64_t)GA_TAG << IRTE_GATAG_SHIFT);
	irt[1] = vector | (((uint64_t)vapic_backing >> 12) << IRTE_ROOT_SHIFT);
}

/*
 * Point the IOMMU's own MSI (event, GA log interrupts) at @vector on the BSP
 * and let the host take interrupts from the local APIC, with the 8259s
 * masked so only the IOMMU can interrupt.
 */
static bool iommu_msi_setup(uint8_t vector)
{
	unsigned bdf, msi;

	for (bdf = 0; bdf < 256; bdf++)
		if ((hw_pci_read32(bdf, PCI_CLASS_REV) >> 16) == PCI_CLASS_IOMMU)
			break;
	probe_check(bdf < 256, "IOMMU PCI function present");
	msi = bdf < 256 ? hw_pci_find_cap(bdf, PCI_CAP_MSI) : 0;
	probe_check(msi != 0, "IOMMU MSI capability");
	if (!msi)
		return false;
	hw_outb(PIC1_DATA, 0xff);
	hw_outb(PIC2_DATA, 0xff);
	hw_write32(APIC_BASE + APIC_SPIV, 0x1ff);
	hw_pci_write32(bdf, msi + 4, (uint32_t)MSI_ADDR);
	hw_pci_write32(bdf, msi + 8, 0);
	hw_pci_write32(bdf, msi + 12, vector);
	hw_pci_write32(bdf, msi, hw_pci_read32(bdf, msi) | MSI_ENABLE);
	return true;
}

void iommu_probe_ga_post(void)
{
	uint64_t irr = (uint64_t)vapic_backing + APIC_IRR;

	if (!edu_setup() || !iommu_msi_setup(GA_LOG_VECTOR))
		return;
	iommu_setup(DTE_V | DTE_IR | DTE_IW, CONTROL_IOMMU_EN | CONTROL_EVTLOG_EN | CONTROL_GA_EN |
	                                         CONTROL_GAM_EN | CONTROL_GALOG_EN |
	                                         CONTROL_GAINT_EN);
	probe_check(iommu_read(IOMMU_STATUS) & STATUS_GALOG_RUN, "GALogRun after GALogEn");

	irte_set_guest(false, true, 0x51);
	edu_msi();
	probe_check(hw_apic_bit(irr, 0x51), "IsRun=0: vector posted to the GA root page's IRR");
	probe_check_eq(iommu_read(IOMMU_GALOG_TAIL), GALOG_ENTRY_LEN, "GA log tail advanced");
	probe_check_eq(galog[0], GA_TAG | ((uint64_t)edu_bdf << 32) | GALOG_GUEST_NR,
	               "GA log entry = GATag | DeviceID<<32 | type 1");
	probe_check(iommu_read(IOMMU_STATUS) & STATUS_GA_INT, "GAInt status set");
	__asm__ volatile("sti; nop; nop; cli");
	probe_check_eq(irq_count[GA_LOG_VECTOR], 1,
	               "GAIntEn: the GA log interrupt (IOMMU MSI) arrived");
	hw_write32(APIC_BASE + APIC_EOI, 0);

	irte_set_guest(true, true, 0x52);
	edu_msi();
	probe_check(hw_apic_bit(irr, 0x52), "IsRun=1: vector posted");
	probe_check_eq(iommu_read(IOMMU_GALOG_TAIL), GALOG_ENTRY_LEN, "IsRun=1: no GA log entry");

	irte_set_guest(false, false, 0x53);
	edu_msi();
	probe_check(hw_apic_bit(irr, 0x53), "IsRun=0, GALogIntr=0: vector posted");
	probe_check_eq(iommu_read(IOMMU_GALOG_TAIL), GALOG_ENTRY_LEN,
	               "GALogIntr=0: no GA log entry");
	probe_check_eq(evtlog[0], 0, "posting logs no event");
}

static bool edu_dma_read(uint64_t iova)
{
	unsigned i;

	hw_write64(edu_bar + EDU_DMA_SRC, iova);
	hw_write64(edu_bar + EDU_DMA_DST, EDU_BUFFER);
	/* one 4-byte read: one translation request, one event */
	hw_write64(edu_bar + EDU_DMA_CNT, 4);
	hw_write64(edu_bar + EDU_DMA_CMD, EDU_DMA_START);
	for (i = 0; i < EDU_DMA_TIMEOUT; i++)
		if (!(hw_read64(edu_bar + EDU_DMA_CMD) & EDU_DMA_START))
			return true;
	return false;
}

void iommu_probe_event_log(void)
{
	if (!edu_setup())
		return;
	/* one-level page table with no present entry: every DMA faults */
	iommu_setup(DTE_V | DTE_TV | DTE_MODE_1LEVEL | (uint64_t)empty_page_table | DTE_IR | DTE_IW,
	            CONTROL_IOMMU_EN | CONTROL_EVTLOG_EN);

	probe_check(edu_dma_read(UNMAPPED_IOVA), "edu DMA finished");
	probe_check_eq(iommu_read(IOMMU_EVTLOG_TAIL), EVENT_LEN, "event log tail advanced");
	probe_check_eq(evtlog[0] >> EVENT_CODE_SHIFT, EVENT_IO_PAGE_FAULT, "IO_PAGE_FAULT event");
	probe_check_eq(evtlog[0] & 0xffff, edu_bdf, "event DeviceID = edu");
	probe_check(!(evtlog[0] & EVENT_FLAG_I), "DMA fault: I flag clear");
	probe_check_eq(evtlog[1], UNMAPPED_IOVA, "event address = faulting IOVA");
	probe_check(iommu_read(IOMMU_STATUS) & STATUS_EVTLOG_INT, "EventLogInt status set");

	irt[0] = 0; /* RemapEn = 0 */
	edu_msi();
	probe_check_eq(iommu_read(IOMMU_EVTLOG_TAIL), 2 * EVENT_LEN, "invalid IRTE logged");
	probe_check_eq(evtlog[2] >> EVENT_CODE_SHIFT, EVENT_IO_PAGE_FAULT,
	               "invalid IRTE: IO_PAGE_FAULT event");
	probe_check(evtlog[2] & EVENT_FLAG_I, "invalid IRTE: I flag set");
	probe_check_eq(evtlog[2] & 0xffff, edu_bdf, "invalid IRTE: DeviceID = edu");
}
