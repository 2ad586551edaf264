/* GNU-EFI entry for the OVMF capture: OVMF installs QEMU's tables under its own RSDP (revision 2)
 * and XSDT; the RSDP comes from the EFI configuration table (UEFI 2.10 §4.6). */
#include <efi.h>
#include <efilib.h>

#include "acpidump.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	uintptr_t rsdp = 0;

	(void)image;
	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
		if (CompareMem(&t->VendorGuid, &acpi20, sizeof(EFI_GUID)) == 0)
			rsdp = (uintptr_t)t->VendorTable;
		else if (rsdp == 0 && CompareMem(&t->VendorGuid, &acpi10, sizeof(EFI_GUID)) == 0)
			rsdp = (uintptr_t)t->VendorTable;
	}
	acpidump_walk(rsdp);
	acpidump_exit();
	return EFI_SUCCESS;
}
