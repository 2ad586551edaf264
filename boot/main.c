/* Floor 10, boot/ (docs/architecture.md "Floors").
 * Owns: entry paths (Multiboot2, UEFI), the command line, the start-up sequence.
 * May use: everything: it is the top. */
/* kernel_main: from the one struct boot_info to every CPU online and the VMs running. */
#include "kernel/boot_info.h"
#include "kernel/acpi.h"
#include "kernel/cmdline.h"
#include "boot/config.h"
#include "boot/report.h"
#include "kernel/console.h"
#include "kernel/fbcon.h"
#include "kernel/frame.h"
#include "kernel/lapic.h"
#include "kernel/paging.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/power.h"
#include "kernel/qemu.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include "kernel/sched.h"
#include "iommu/iommu.h"
#include "svm/vm/test_hooks.h"
#include "svm/vm/vm_runner.h"

#define LOW_MEMORY_END 0x100000ull
#define BSP_STACK_PAGES 16

extern char _text[], _etext[];
/* Only the ELF link script has a separate rodata section; in the EFI image they are absent. */
extern char _rodata[] __attribute__((weak)), _erodata[] __attribute__((weak));

struct kernel_config kernel_config;
static struct acpi_info acpi;

static const void *acpi_map_identity(uint64_t paddr, uint64_t len)
{
	(void)len;
	return paddr ? (const void *)(uintptr_t)paddr : NULL;
}

/* The screen console, mapped first when the framebuffer lies above the identity map (before the
 * IDT exists a fault there would reset the machine without a word). */
static void fbcon_start(const struct boot_framebuffer *fb)
{
	const char *why;
	switch (fbcon_mapping(fb, paging_identity_top(), &why)) {
	case FBCON_NONE:
		return;
	case FBCON_REFUSED:
		pr_warn("fbcon: framebuffer at 0x%lx (%ux%u, %u bpp) not used: %s; the console is "
			"serial only\n",
			fb->base, fb->width, fb->height, fb->bpp, why);
		return;
	case FBCON_MAP_UNCACHED:
		paging_map_mmio(fb->base, fbcon_bytes(fb));
		printk("fbcon: framebuffer at 0x%lx-0x%lx lies above the identity map (0x%lx): "
		       "mapped uncached\n",
		       fb->base, fb->base + fbcon_bytes(fb) - 1, paging_identity_top());
		break;
	case FBCON_MAPPED:
		break;
	}
	fbcon_init(fb);
}

static void memmap_print(const struct memmap *m)
{
	printk("memory map (%u ranges):\n", m->count);
	for (unsigned i = 0; i < m->count; i++) {
		const struct memmap_entry *e = &m->entry[i];
		pr_debug("  [0x%012lx-0x%012lx] %s\n", e->base, e->base + e->length - 1,
			 memmap_type_name(e->type));
	}
	printk("memory: %lu MiB usable, %lu MiB ACPI, %lu MiB reserved, %lu MiB boot data\n",
	       memmap_total(m, MEMMAP_USABLE) >> 20,
	       (memmap_total(m, MEMMAP_ACPI_RECLAIMABLE) + memmap_total(m, MEMMAP_ACPI_NVS)) >> 20,
	       memmap_total(m, MEMMAP_RESERVED) >> 20, memmap_total(m, MEMMAP_BOOT) >> 20);
	if (m->dropped)
		pr_warn("memory map: %u ranges did not fit in %u entries even after merging: the "
		        "memory they describe is left unused\n",
		        m->dropped, MEMMAP_MAX);
}

/* A page below 1 MiB for the AP trampoline, when the loader did not reserve one. */
static uint64_t trampoline_pick(const struct memmap *m)
{
	for (unsigned i = 0; i < m->count; i++) {
		const struct memmap_entry *e = &m->entry[i];
		if (e->type != MEMMAP_USABLE)
			continue;
		uint64_t lo = MAX(ALIGN_UP(e->base, PAGE_SIZE), 0x8000ull);
		if (lo + PAGE_SIZE <= MIN(e->base + e->length, 0x9f000ull))
			return lo;
	}
	return 0;
}

static void acpi_summary(void)
{
	int err = acpi_parse(kernel_config.boot->rsdp, acpi_map_identity, &acpi);
	if (err)
		panic("ACPI: %s (RSDP at 0x%lx); doorbell needs the MADT to find the CPUs",
		      acpi_strerror(err), kernel_config.boot->rsdp);
	printk("ACPI: RSDP rev %u OEM '%s', %s at 0x%lx, %u tables (%u invalid)\n", acpi.revision,
	       acpi.oem_id, acpi.xsdt ? "XSDT" : "RSDT", acpi.root, acpi.table_count,
	       acpi.invalid_count);
	printk("ACPI: MADT: %u CPUs (%u enabled), %u IOAPIC(s), LAPIC at 0x%lx\n", acpi.cpu_count,
	       acpi.cpu_enabled_count, acpi.ioapic_count, acpi.lapic_base);
	if (acpi.madt_dropped)
		pr_warn("ACPI: MADT: %u entries did not fit (at most %u CPUs, %u IOAPICs): those "
		        "CPUs stay offline\n",
		        acpi.madt_dropped, ACPI_MAX_CPUS, ACPI_MAX_IOAPICS);
	if (acpi.ivrs)
		printk("ACPI: IVRS at 0x%lx (AMD IOMMU present)\n", acpi.ivrs);
	else
		printk("ACPI: no IVRS (no AMD IOMMU)\n");
	for (unsigned i = 0; i < acpi.mcfg_count; i++)
		printk("ACPI: MCFG segment %u buses %u-%u ECAM at 0x%lx\n", acpi.mcfg_entry[i].segment,
		       acpi.mcfg_entry[i].bus_start, acpi.mcfg_entry[i].bus_end,
		       acpi.mcfg_entry[i].base);
	if (!acpi.mcfg)
		printk("ACPI: no MCFG (PCI configuration through ports 0xcf8/0xcfc)\n");
}

static NORETURN void kernel_main_on_stack(void *unused);

/* An AP idles until kernel_run_vms() has set up its scheduler (by a cross-CPU call), then
 * runs vCPUs for good. */
static void kernel_ap_main(void)
{
	for (;;) {
		if (this_cpu()->sched)
			sched_loop();
		idle_until_interrupt();
	}
}

NORETURN void kernel_main(struct boot_info *info)
{
	kernel_config.boot = info;
	console_init(config_console_port(info->cmdline));
	irq_disable();
	printk("\ndoorbell: booted by %s\n", info->loader);
	if (!qemu_detect() && !(cpuid(1, 0).ecx & BIT(31)))
		printk("platform: no hypervisor (CPUID Fn0000_0001 ECX[31] clear): bare metal, QEMU's "
		       "fw_cfg port 510h not probed\n");
	config_parse(&kernel_config, info->cmdline);
	if (config_refused(&kernel_config)) {
		printk("doorbell: done, exit status %d\n", QEMU_EXIT_CONFIG);
		qemu_exit(QEMU_EXIT_CONFIG);
		panic_park();
	}

	memmap_normalize(&info->memmap);
	if (!info->memmap.count)
		panic("no memory map from the loader: boot doorbell with GRUB (multiboot2) or UEFI");
	memmap_print(&info->memmap);
	frame_init(&info->memmap);
	/* Low memory: real-mode structures, and the AP trampoline. The image and boot data. */
	frame_reserve(0, LOW_MEMORY_END);
	frame_reserve(info->image_base, info->image_end - info->image_base);

	struct image_layout img = {(uintptr_t)_text, ALIGN_UP((uintptr_t)_etext, PAGE_SIZE),
				   (uintptr_t)_rodata, ALIGN_UP((uintptr_t)_erodata, PAGE_SIZE)};
	paging_init(&info->memmap, &img);
	fbcon_start(&info->fb);
	printk("paging: text 0x%lx-0x%lx R+X, data NX, %lu MiB free\n", img.text_start,
	       img.text_end, frame_free_count() >> 8);

	desc_init_idt();
	struct percpu *bsp = smp_percpu_setup(0, 0);
	desc_init_cpu(&bsp->gdt, &bsp->tss);
	percpu_install(bsp);
	/* Leave the loader's stack for one with a guard page. */
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "xorl %%ebp, %%ebp\n\t"
			 "xorl %%edi, %%edi\n\t"
			 "call *%1"
			 :
			 : "r"(bsp->stack_top), "r"(kernel_main_on_stack)
			 : "memory");
	__builtin_unreachable();
}

static NORETURN void kernel_main_on_stack(void *unused)
{
	(void)unused;
	struct boot_info *info = kernel_config.boot;
	struct percpu *bsp = this_cpu();
	smp_cpu_control_init();
	lapic_init();
	bsp->apic_id = lapic_id();
	printk("lapic: %s mode, boot CPU APIC ID %u\n", lapic_x2apic() ? "x2APIC" : "xAPIC",
	       bsp->apic_id);
	acpi_summary(); /* first: the FADT names the PM timer calibration falls back to */
	const char *source = timer_calibrate(&acpi);
	if (!source)
		panic("timer: cannot calibrate the TSC: no PIT counting on port 61h and no ACPI PM "
		      "timer in the FADT%s; enable the legacy 8254 timer in the firmware setup",
		      acpi.pm_timer_port ? " that counts" : "");
	printk("timer: TSC %lu MHz, LAPIC timer %lu kHz (%s calibrated)\n", tsc_hz / 1000000,
	       lapic_timer_hz / 1000, source);

	const struct test_hooks *hooks = test_hooks();
	if (hooks)
		hooks->before_vms();

	smp_ap_main = kernel_ap_main;
	uint64_t trampoline = info->trampoline ? info->trampoline : trampoline_pick(&info->memmap);
	if (!trampoline)
		panic("smp: no free page below 1 MiB for the AP trampoline");
	unsigned online = smp_boot(&acpi, trampoline, kernel_config.max_cpus);
	printk("smp: all CPUs online: %u of %u in the MADT\n", online, acpi.cpu_enabled_count);

	iommu_init(&acpi);
	if (hooks)
		hooks->after_iommu_init();
	int status = QEMU_EXIT_SUCCESS;
	if (kernel_config.report)
		report_print(info, &acpi, source);
	else
		status = kernel_run_vms(&acpi);
	printk("doorbell: done, exit status %d\n", status);
	/* after=: reboot and poweroff act on the machine even under QEMU (where QEMU then ends
	 * with status 0 under -no-reboot, or on power-off); halt hands the status to QEMU */
	if (kernel_config.after == AFTER_REBOOT)
		power_reboot(&acpi);
	else if (kernel_config.after == AFTER_POWEROFF)
		power_off(&acpi);
	else
		qemu_exit((uint32_t)status);
	panic_park();
}
