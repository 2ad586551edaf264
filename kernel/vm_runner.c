/* Runs the VMs the loader handed over as modules. Until guests can run, there is nothing to do. */
#include "boot/boot_info.h"
#include "kernel/config.h"
#include "kernel/console.h"
#include "kernel/qemu.h"

int kernel_run_vms(const struct acpi_info *acpi)
{
	(void)acpi;
	struct boot_info *info = kernel_config.boot;
	for (unsigned i = 0; i < info->module_count; i++)
		printk("module %u: %s (%lu bytes) %s\n", i, info->module[i].name, info->module[i].size,
		       info->module[i].args);
	return QEMU_EXIT_SUCCESS;
}
