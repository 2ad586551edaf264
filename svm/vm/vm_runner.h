/* Running the VMs the boot loader's modules describe, on every CPU, until they end. */
#ifndef SVM_VM_VM_RUNNER_H
#define SVM_VM_VM_RUNNER_H

struct acpi_info;

/* Creates and runs the VMs named by the loader's modules (kernel_config.boot); returns the QEMU
 * exit value. */
int kernel_run_vms(const struct acpi_info *acpi);

#endif
