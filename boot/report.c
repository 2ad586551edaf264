/* The machine report of report=1 (boot/report.h). Everything here is read, nothing is changed:
 * CPUID, the microcode patch level MSR, what the boot found (memory map, ACPI, CPUs, timers,
 * IOMMUs), and the policy `auto` would pick by the same rules as avic/avic.c. */
#include "boot/report.h"
#include "avic/avic_policy.h"
#include "iommu/iommu.h"
#include "kernel/acpi.h"
#include "kernel/boot_info.h"
#include "kernel/console.h"
#include "kernel/lapic.h"
#include "kernel/memmap.h"
#include "kernel/percpu.h"
#include "kernel/timer.h"
#include "kernel/x86.h"
#include "svm/cpu/spec.h"
#include "svm/svm.h"

#define MSR_PATCH_LEVEL 0x8bu /* AMD: microcode patch level (BIOS_SIGN_ID on Intel) */
#define SVM_FEATURE_VGIF BIT(16)
#define SVM_FEATURE_X2AVIC BIT(18)
#define SVM_FEATURE_VNMI BIT(25)

struct cpu_id {
	char vendor[13], brand[49];
	unsigned family, model, stepping;
};

static void copy_regs(char *dst, struct cpuid_regs r, const unsigned *order)
{
	uint32_t v[4] = {r.eax, r.ebx, r.ecx, r.edx};
	for (unsigned i = 0; i < 4 && order[i] < 4; i++)
		for (unsigned b = 0; b < 4; b++)
			dst[4 * i + b] = (char)(v[order[i]] >> (8 * b));
}

static struct cpu_id cpu_identify(void)
{
	struct cpu_id c = {0};
	static const unsigned vendor_order[4] = {1, 3, 2, 4}; /* EBX, EDX, ECX */
	static const unsigned brand_order[4] = {0, 1, 2, 3};
	copy_regs(c.vendor, cpuid(0, 0), vendor_order);
	if (cpuid(0x80000000, 0).eax >= 0x80000004) {
		for (unsigned i = 0; i < 3; i++)
			copy_regs(c.brand + 16 * i, cpuid(0x80000002 + i, 0), brand_order);
	}
	uint32_t eax = cpuid(1, 0).eax;
	c.family = (eax >> 8) & 0xf;
	c.model = (eax >> 4) & 0xf;
	c.stepping = eax & 0xf;
	if (c.family == 0xf) {
		c.family += (eax >> 20) & 0xff;
		c.model |= ((eax >> 16) & 0xf) << 4;
	}
	return c;
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void report_cpu(const struct cpu_id *c)
{
	const char *brand = c->brand;
	while (*brand == ' ')
		brand++;
	printk("report: cpu: %s family %xh model %xh stepping %u, '%s', microcode patch level "
	       "0x%lx\n",
	       c->vendor, c->family, c->model, c->stepping, brand, rdmsr(MSR_PATCH_LEVEL));
	char why[200];
	if (!svm_check(why, sizeof(why))) {
		printk("report: svm: unusable: %s\n", why);
		return;
	}
	uint32_t edx = svm_features.edx;
	printk("report: svm: revision %u, %u ASIDs, features 0x%x: NPT %s, NRIP save %s, decode "
	       "assists %s, VGIF %s, AVIC %s, x2AVIC %s, vNMI %s, V_SPEC_CTRL %s\n",
	       svm_features.revision, svm_features.asids, edx, yes(edx & SVM_FEATURE_NPT),
	       yes(svm_features.nrips), yes(svm_features.decode_assists), yes(edx & SVM_FEATURE_VGIF),
	       yes(svm_features.avic), yes(edx & SVM_FEATURE_X2AVIC), yes(edx & SVM_FEATURE_VNMI),
	       yes(edx & SPEC_8A_V_SPEC_CTRL));
}

static void report_speculation(void)
{
	spec_init();
	printk("report: speculation: IBPB %s, SPEC_CTRL bits 0x%lx, Retbleed %s, SRSO %s\n",
	       yes(spec_caps.ibpb), spec_caps.ctrl_bits,
	       spec_caps.retbleed ? "exposed" : "not affected",
	       spec_caps.srso ? "exposed" : "not affected");
}

static void report_apic(const struct acpi_info *acpi)
{
	uint32_t lo = UINT32_MAX, hi = 0;
	unsigned online = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		const struct percpu *p = percpu_by_index[i];
		if (!p || !p->online)
			continue;
		online++;
		lo = p->apic_id < lo ? p->apic_id : lo;
		hi = p->apic_id > hi ? p->apic_id : hi;
	}
	uint32_t madt_hi = 0;
	for (unsigned i = 0; i < acpi->cpu_count; i++)
		madt_hi = acpi->cpu[i].apic_id > madt_hi ? acpi->cpu[i].apic_id : madt_hi;
	printk("report: apic: %s mode, boot CPU APIC ID %u; %u CPU(s) online with APIC IDs %u-%u; "
	       "MADT: %u CPUs (%u enabled), highest APIC ID %u, %u IOAPIC(s)\n",
	       lapic_x2apic() ? "x2APIC" : "xAPIC", this_cpu()->apic_id, online, lo, hi,
	       acpi->cpu_count, acpi->cpu_enabled_count, madt_hi, acpi->ioapic_count);
}

static void report_memory(const struct boot_info *info)
{
	const struct memmap *m = &info->memmap;
	uint64_t top = 0;
	for (unsigned i = 0; i < m->count; i++) {
		if (m->entry[i].type == MEMMAP_USABLE && m->entry[i].base + m->entry[i].length > top)
			top = m->entry[i].base + m->entry[i].length;
	}
	printk("report: memory: %u ranges, %lu MiB usable (highest usable address 0x%lx), %lu MiB "
	       "ACPI, %lu MiB reserved, %u ranges dropped\n",
	       m->count, memmap_total(m, MEMMAP_USABLE) >> 20, top ? top - 1 : 0,
	       (memmap_total(m, MEMMAP_ACPI_RECLAIMABLE) + memmap_total(m, MEMMAP_ACPI_NVS)) >> 20,
	       memmap_total(m, MEMMAP_RESERVED) >> 20, m->dropped);
	const struct boot_framebuffer *fb = &info->fb;
	if (fb->present)
		printk("report: framebuffer: %ux%u, %u bpp, pitch %u, at 0x%lx\n", fb->width,
		       fb->height, fb->bpp, fb->pitch, fb->base);
	else
		printk("report: framebuffer: none (serial console only)\n");
}

static void report_timers(const struct acpi_info *acpi, const char *source)
{
	printk("report: timers: TSC %lu MHz, LAPIC timer %lu kHz, calibrated against the %s; ACPI "
	       "PM timer %s%s%x; HPET %s%lx\n",
	       tsc_hz / 1000000, lapic_timer_hz / 1000, source,
	       acpi->pm_timer_port ? (acpi->pm_timer_32bit ? "32-bit" : "24-bit") : "none",
	       acpi->pm_timer_port ? " at port 0x" : "", acpi->pm_timer_port,
	       acpi->hpet ? "table at 0x" : "none ", acpi->hpet);
}

static void report_policy(const struct cpu_id *c)
{
	uint32_t max_id = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (percpu_by_index[i] && percpu_by_index[i]->apic_id > max_id)
			max_id = percpu_by_index[i]->apic_id;
	}
	const char *reason = NULL, *error = NULL;
	enum avic_policy p = avic_policy_choose(AVIC_POLICY_REQUEST_AUTO, c->family, c->model,
						svm_features.avic, &reason, &error);
	if (!error)
		p = avic_policy_for_apic_ids(p, AVIC_POLICY_REQUEST_AUTO, max_id, &reason, &error);
	if (error)
		printk("report: policy: auto cannot run: %s\n", error);
	else
		printk("report: policy: policy=auto runs %s (%s)\n", avic_policy_name(p), reason);
}

void report_print(const struct boot_info *info, const struct acpi_info *acpi,
		  const char *timer_source)
{
	printk("report: begin (report=1: send the lines up to 'report: end' with a bug report, "
	       "docs/hardware.md)\n");
	struct cpu_id c = cpu_identify();
	report_cpu(&c);
	report_speculation();
	report_apic(acpi);
	report_memory(info);
	report_timers(acpi, timer_source);
	iommu_report();
	report_policy(&c);
	printk("report: end; no VM is run (report=1)\n");
}
