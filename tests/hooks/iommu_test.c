/* Test only: edu DMA against the blocking device table (tests/hooks/iommu_test.h). */
#include "tests/hooks/iommu_test.h"
#include "tests/hooks/edu.h"
#include "iommu/iommu.h"
#include "kernel/console.h"
#include "kernel/frame.h"
#include "kernel/pci.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "kernel/x86.h"

#define EDU_DMA_LIMIT         (1ull << 28) /* edu's default DMA mask: 28 bits */
#define EDU_DMA_TIMEOUT_US    2000000      /* edu runs a DMA 100 ms after the command */
#define EDU_DMA_BYTES         4            /* one access: one translation, one event */
#define EDU_INTERRUPT_WAIT_US 10000
#define TEST_PATTERN          0xa5a5a5a5a5a5a5a5ull

static void edu_write(uint64_t bar, unsigned reg, uint64_t v)
{
	*(volatile uint64_t *)(uintptr_t)(bar + reg) = v;
}

static uint64_t edu_read(uint64_t bar, unsigned reg)
{
	return *(volatile uint64_t *)(uintptr_t)(bar + reg);
}

/* One DMA write of edu's (zeroed) buffer to 'pa'; true when edu finished it. */
static bool edu_dma_to_ram(uint64_t bar, uint64_t pa)
{
	edu_write(bar, EDU_DMA_SOURCE, EDU_BUFFER);
	edu_write(bar, EDU_DMA_DESTINATION, pa);
	edu_write(bar, EDU_DMA_COUNT, EDU_DMA_BYTES);
	edu_write(bar, EDU_DMA_COMMAND, EDU_DMA_RUN | EDU_DMA_TO_RAM);
	uint64_t deadline = rdtsc() + EDU_DMA_TIMEOUT_US * (tsc_hz / 1000000);
	while (edu_read(bar, EDU_DMA_COMMAND) & EDU_DMA_RUN) {
		if (rdtsc() > deadline)
			return false;
	}
	return true;
}

/* DMA to a page filled with a pattern under 'entry'; reports whether memory changed and how
 * many events the IOMMU logged. Interrupts are on during the DMA so that the event interrupt can
 * report them; whatever it did not take is polled. */
static void edu_try(const char *what, uint16_t bdf, uint64_t bar, uint64_t pa, struct dte entry)
{
	volatile uint64_t *target = (volatile uint64_t *)(uintptr_t)pa;
	*target = TEST_PATTERN;
	if (!iommu_set_dte(bdf, entry)) {
		printk("iommu-test: FAIL: cannot install the %s entry\n", what);
		return;
	}
	printk("iommu-test: edu " PCI_BDF_FMT " DMA write to 0x%lx, entry %s\n", PCI_BDF_ARGS(bdf),
	       pa, what);
	unsigned by_interrupt = iommu_interrupt_events();
	irq_enable();
	bool done = edu_dma_to_ram(bar, pa);
	timer_delay_us(EDU_INTERRUPT_WAIT_US);
	irq_disable();
	if (!done) {
		printk("iommu-test: FAIL: edu DMA did not finish\n");
		return;
	}
	iommu_wait();
	unsigned polled = iommu_poll();
	by_interrupt = iommu_interrupt_events() - by_interrupt;
	printk("iommu-test: %s: memory %s, %u event(s) logged, %u by the event interrupt\n", what,
	       *target == TEST_PATTERN ? "unchanged (DMA blocked)" : "CHANGED (DMA not blocked)",
	       polled + by_interrupt, by_interrupt);
}

void iommu_test_run(const char *option)
{
	if (strcmp(option, "edu-dma"))
		return;
	const struct pci_function *edu = pci_find(EDU_VENDOR, EDU_DEVICE);
	if (!edu || !iommu_present()) {
		printk("iommu-test: FAIL: needs the edu device and an IOMMU\n");
		return;
	}
	uint64_t bar = pci_read32(edu->bdf, PCI_BAR0) & ~0xfull;
	pci_write32(edu->bdf, PCI_COMMAND,
	            pci_read32(edu->bdf, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	uint64_t pa = frame_alloc_pages(1, 0, EDU_DMA_LIMIT);
	uint64_t empty_table = frame_alloc();
	if (!pa || !empty_table) {
		printk("iommu-test: FAIL: out of memory\n");
		return;
	}
	memset((void *)(uintptr_t)empty_table, 0, PAGE_SIZE);
	struct dte blocked = dte_blocked();
	/* the boot state: Mode 0, IR = IW = 0 */
	edu_try("blocked (Mode 0, IR=IW=0)", edu->bdf, bar, pa, blocked);
	/* also blocked, through translation: one level with no page present */
	edu_try("blocked (Mode 1, empty table, IR=IW=0)", edu->bdf, bar, pa,
	        dte_with_page_table(blocked, empty_table, 1, false, false));
	/* control: with access allowed the same DMA must reach memory, or the checks above prove
	 * nothing */
	edu_try("open (Mode 0, IR=IW=1)", edu->bdf, bar, pa,
	        dte_with_untranslated_dma(blocked, true, true));
	iommu_set_dte(edu->bdf, blocked);
	pci_write32(edu->bdf, PCI_COMMAND,
	            pci_read32(edu->bdf, PCI_COMMAND) & ~(uint32_t)PCI_COMMAND_MASTER);
	printk("iommu-test: done\n");
}
