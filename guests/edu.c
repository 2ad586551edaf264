/* QEMU's edu device, driven by a guest (guests/lib/edu.h): found by a PCI scan of bus 0, its ID
 * register and liveness check, BAR sizing, DMA from guest RAM into the device and back, a DMA
 * aimed outside the guest's RAM (under doorbell with an IOMMU: blocked; the guest's own RAM is
 * searched for the data), then count= (default 20) MSIs raised one at a time to a running vCPU
 * (the sender itself), to a halted vCPU, to a running other vCPU and, with 3 or more CPUs, to the
 * last vCPU while all other vCPUs compute (more vCPUs than host CPUs: it is often scheduled out).
 * Every MSI must be counted within 2 s: none lost. msi=0 skips the MSIs. bogus=1 (doorbell only)
 * first programs MSIs the hypervisor must refuse (a destination APIC ID no vCPU has, vector 3,
 * an address outside the MSI window) and checks that none of them arrives, then a valid one. */
#include "guests/lib/apic.h"
#include "guests/lib/doorbell.h"
#include "guests/lib/edu.h"
#include "guests/lib/idt.h"
#include "guests/lib/multiboot.h"
#include "guests/lib/pci.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/smp.h"
#include "kernel/string.h"
#include "guests/lib/test.h"
#include "guests/lib/tsc.h"
#include "guests/lib/x86.h"

const char guest_name[] = "edu";

#define MSI_VECTOR       0x51
#define DONE_VECTOR      0x52 /* ends a halted target's wait */
#define MSI_TIMEOUT_US   2000000
#define SILENCE_US       300000 /* how long a refused MSI is waited for */
#define DMA_TIMEOUT_US   3000000
#define DMA_BYTES        256
#define SIGNATURE_BYTES  16 /* what signature_hits() looks for: 4 words, 4 IO page faults */
#define DEFAULT_COUNT    20
#define SIGNATURE(k)     (0x5eed0000u ^ ((uint32_t)(k)*0x9e3779b9u))

static struct edu edu;
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
static volatile uint32_t msi_count[SMP_MAX_CPUS];
static volatile uint32_t case_done, target_cpu, target_halts;
static uint32_t count;

static void msi_interrupt(struct trap_frame *f)
{
	(void)f;
	unsigned self = smp_cpu_index();
	__atomic_store_n(&msi_count[self], msi_count[self] + 1, __ATOMIC_RELEASE);
	apic_eoi();
}

static void done_interrupt(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
}

static uint32_t msi_total(void)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
		sum += msi_count[i];
	return sum;
}

/* Functions answering on buses 0, 1 and 255, all 32 devices and 8 functions each. */
static unsigned functions_answering(void)
{
	static const unsigned buses[] = {0, 1, 255};
	unsigned n = 0;
	for (unsigned b = 0; b < sizeof(buses) / sizeof(buses[0]); b++) {
		for (unsigned devfn = 0; devfn < 256; devfn++) {
			outl(0xcf8, 0x80000000u | buses[b] << 16 | devfn << 8);
			n += inl(0xcfc) != PCI_NONE;
		}
	}
	return n;
}

static void check_registers(unsigned functions)
{
	test_check_doorbell(functions == 1, "only the assigned device is on the guest's bus (%u)",
			    functions);
	test_check_doorbell(functions_answering() == 1,
			    "no other function answers on buses 0, 1 and 255");
	test_check(edu_read(&edu, EDU_REG_ID) == EDU_ID_VALUE, "ID register 0x%x",
		   edu_read(&edu, EDU_REG_ID));
	edu_write(&edu, EDU_REG_LIVENESS, 0x12345678);
	uint32_t a = edu_read(&edu, EDU_REG_LIVENESS);
	edu_write(&edu, EDU_REG_LIVENESS, 0);
	uint32_t b = edu_read(&edu, EDU_REG_LIVENESS);
	test_check(a == ~0x12345678u && b == 0xffffffffu, "liveness register inverts (0x%x, 0x%x)",
		   a, b);
	test_check(pci_bar_size(edu.devfn, 0) == 1u << 20, "BAR0 sizes to 1 MiB (0x%x)",
		   pci_bar_size(edu.devfn, 0));
	test_check((pci_config_read(edu.devfn, PCI_REG_BAR0) & ~0xfu) == edu.bar,
		   "BAR0 restored after sizing");
	test_check(pci_find_capability(edu.devfn, PCI_CAP_MSI) != 0, "MSI capability");
}

/* Guest RAM to edu's buffer and back into another page. */
static void check_dma(void)
{
	for (unsigned i = 0; i < DMA_BYTES; i++) {
		page_a[i] = (uint8_t)(i * 7 + 13);
		page_b[i] = 0;
	}
	bool in = edu_dma(&edu, (uint32_t)(uintptr_t)page_a, 0, DMA_BYTES, false, DMA_TIMEOUT_US);
	bool out = edu_dma(&edu, (uint32_t)(uintptr_t)page_b, 0, DMA_BYTES, true, DMA_TIMEOUT_US);
	test_check(in && out, "DMA to and from the device finished");
	test_check(!memcmp(page_a, page_b, DMA_BYTES), "DMA: data went to the device and back");
}

/* Searches [0, end) for the 16-byte signature; the words are immediates in the code, never
 * stored next to each other anywhere but by a DMA. */
static unsigned signature_hits(uint32_t end)
{
	unsigned hits = 0;
	for (uint32_t a = 0x1000; a + 16 <= end; a += 4) {
		const volatile uint32_t *w = (const volatile uint32_t *)(uintptr_t)a;
		if (w[0] == SIGNATURE(0) && w[1] == SIGNATURE(1) && w[2] == SIGNATURE(2) &&
		    w[3] == SIGNATURE(3))
			hits++;
	}
	return hits;
}

static void check_dma_outside(const struct multiboot_info *mbi)
{
	uint32_t ram_end = 0x100000 + mbi->mem_upper * 1024;
	uint32_t target = ((ram_end + 0xfffff) & ~0xfffffu) + 0x100000;
	if (target + DMA_BYTES > EDU_DMA_LIMIT) {
		printf("info: no address between the end of RAM (0x%x) and edu's 28-bit DMA limit: "
		       "DMA outside RAM not tried\n", ram_end);
		return;
	}
	uint32_t *w = (uint32_t *)page_a;
	for (unsigned k = 0; k < DMA_BYTES / 4; k++)
		w[k] = SIGNATURE(k);
	bool in = edu_dma(&edu, (uint32_t)(uintptr_t)page_a, 0x800, DMA_BYTES, false,
			  DMA_TIMEOUT_US);
	memset(page_a, 0, DMA_BYTES);
	test_check(in && signature_hits(ram_end) == 0, "signature only in the device");
	printf("info: DMA write to 0x%x, outside RAM [0, 0x%x)\n", target, ram_end);
	bool out = edu_dma(&edu, target, 0x800, SIGNATURE_BYTES, true, DMA_TIMEOUT_US);
	test_check(out, "DMA outside RAM finished (the device is not stuck)");
	test_check(signature_hits(ram_end) == 0, "DMA outside RAM: nothing written in guest RAM");
}

/* Raises one MSI and waits until 'cpu' has counted it. */
static bool raise_and_wait(unsigned cpu)
{
	uint32_t before = msi_count[cpu];
	edu_write(&edu, EDU_REG_RAISE, 1);
	uint64_t deadline = tsc_deadline(MSI_TIMEOUT_US);
	while (__atomic_load_n(&msi_count[cpu], __ATOMIC_ACQUIRE) == before) {
		if (tsc_expired(deadline))
			break;
		pause();
	}
	edu_write(&edu, EDU_REG_ACK, 1);
	return msi_count[cpu] == before + 1;
}

enum target_mode { TARGET_HALT, TARGET_SPIN, TARGET_ALTERNATE };
static volatile uint32_t target_mode;

/* Every other CPU: the target halts, spins or alternates until the case ends; the rest compute
 * (they keep their host CPUs busy). */
static void ap_role(unsigned cpu)
{
	if (cpu != target_cpu) {
		while (!__atomic_load_n(&case_done, __ATOMIC_ACQUIRE))
			pause();
		return;
	}
	uint32_t seen = msi_count[cpu];
	while (!__atomic_load_n(&case_done, __ATOMIC_ACQUIRE)) {
		bool halt = target_mode == TARGET_HALT ||
			    (target_mode == TARGET_ALTERNATE && (msi_count[cpu] & 1));
		if (halt) {
			cli();
			if (msi_count[cpu] == seen && !case_done) {
				target_halts++;
				sti_hlt();
			} else {
				sti();
			}
		} else {
			pause();
		}
		seen = msi_count[cpu];
	}
}

static void msi_case(const char *what, unsigned cpu, enum target_mode mode)
{
	case_done = 0;
	target_cpu = cpu;
	target_mode = mode;
	target_halts = 0;
	if (cpu)
		smp_start_all(ap_role);
	pci_msi_set(edu.devfn, PCI_MSI_ADDRESS(smp_apic_id(cpu)), MSI_VECTOR);
	uint32_t start = msi_count[cpu];
	unsigned arrived = 0;
	uint64_t t0 = rdtsc();
	for (uint32_t i = 0; i < count; i++)
		arrived += raise_and_wait(cpu);
	uint64_t us = tsc_to_us(rdtsc() - t0);
	__atomic_store_n(&case_done, 1, __ATOMIC_RELEASE);
	if (cpu) {
		apic_send_ipi(smp_apic_id(cpu), APIC_ICR_FIXED | DONE_VECTOR);
		test_check(smp_wait_all(5000000), "%s: the other CPUs finished", what);
	}
	test_check(arrived == count && msi_count[cpu] - start == count,
		   "%s: %u of %u MSIs counted on CPU %u, none lost", what, arrived, count, cpu);
	printf("info: %s: %u MSIs in %u ms, target halted %u times\n", what, count,
	       (uint32_t)(us / 1000), target_halts);
}

/* Nothing may arrive anywhere for MSIs the hypervisor refuses. */
static void bogus_case(const char *what, uint32_t address, uint16_t data)
{
	pci_msi_set(edu.devfn, address, data);
	uint32_t before = msi_total();
	for (unsigned i = 0; i < 3; i++) {
		edu_write(&edu, EDU_REG_RAISE, 1);
		tsc_delay_us(SILENCE_US / 3);
		edu_write(&edu, EDU_REG_ACK, 1);
	}
	test_check_doorbell(msi_total() == before, "bogus MSI (%s): nothing arrived", what);
}

static void check_msi(bool bogus)
{
	unsigned cpus = smp_init();
	idt_set_handler(MSI_VECTOR, msi_interrupt);
	idt_set_handler(DONE_VECTOR, done_interrupt);
	sti();
	if (bogus && doorbell_present()) {
		bogus_case("no vCPU has APIC ID 0x7f", PCI_MSI_ADDRESS(0x7f), MSI_VECTOR);
		bogus_case("vector 3", PCI_MSI_ADDRESS(smp_apic_id(0)), 3);
		bogus_case("address 0x12345000", 0x12345000u, MSI_VECTOR);
	}
	msi_case("running vCPU (the sender)", 0, TARGET_SPIN);
	if (cpus >= 2) {
		msi_case("halted vCPU", 1, TARGET_HALT);
		msi_case("running other vCPU", 1, TARGET_SPIN);
	}
	if (cpus >= 3)
		msi_case("vCPU among busy vCPUs", cpus - 1, TARGET_ALTERNATE);
	pci_msi_disable(edu.devfn);
	cli();
}

void guest_main(const struct multiboot_info *mbi)
{
	unsigned functions = 0;
	if (!test_check(edu_open(&edu, &functions), "edu found on bus 0"))
		return;
	printf("info: edu at 00:%02x.0, BAR0 0x%x, %u function(s) on bus 0\n", edu.devfn >> 3,
	       (uint32_t)edu.bar, functions);
	check_registers(functions);
	check_dma();
	check_dma_outside(mbi);
	count = multiboot_cmdline_uint(mbi, "count", DEFAULT_COUNT);
	if (multiboot_cmdline_uint(mbi, "msi", 1))
		check_msi(multiboot_cmdline_uint(mbi, "bogus", 0));
}
