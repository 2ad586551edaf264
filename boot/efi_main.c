/* UEFI boot path: doorbell as a GNU-EFI application. Collects what the kernel needs while boot
 * services still run — the ACPI RSDP, the GOP framebuffer, guest images named in \doorbell.cfg on
 * the ESP, a page below 1 MiB for the AP trampoline — then exits boot services (retrying on a
 * stale map key, UEFI 2.10 §7.4.6) and enters kernel_main() with the final memory map.
 * Only the system table is used, not libefi, so the kernel's own string functions are the only
 * ones linked in. */
#include <efi.h>

#include "kernel/boot_info.h"
#include "kernel/string.h"

#define EFI_CONFIG_PATH L"\\doorbell.cfg"
#define EFI_CONFIG_MAX (16 * 1024)
#define EFI_MMAP_SLACK 16 /* descriptors of room for allocations made by the map call itself */
#define EFI_EXIT_RETRIES 8
#define LOW_MEMORY_LIMIT 0x9ffffull

static EFI_SYSTEM_TABLE *efi_st;
static struct boot_info efi_info;
extern char ImageBase[], _edata[];

static EFI_GUID guid_acpi20 = ACPI_20_TABLE_GUID;
static EFI_GUID guid_acpi10 = ACPI_TABLE_GUID;
static EFI_GUID guid_loaded_image = LOADED_IMAGE_PROTOCOL;
static EFI_GUID guid_simple_fs = SIMPLE_FILE_SYSTEM_PROTOCOL;
static EFI_GUID guid_gop = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
static EFI_GUID guid_file_info = EFI_FILE_INFO_ID;

/* Early messages before the kernel console exists go to the firmware console. */
static void efi_say(const char *s)
{
	CHAR16 buf[160];
	size_t n = 0;
	for (; *s && n < ARRAY_SIZE(buf) - 2; s++) {
		if (*s == '\n')
			buf[n++] = L'\r';
		buf[n++] = (CHAR16)*s;
	}
	buf[n] = 0;
	efi_st->ConOut->OutputString(efi_st->ConOut, buf);
}

static bool guid_equal(const EFI_GUID *a, const EFI_GUID *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static void efi_find_rsdp(void)
{
	for (UINTN i = 0; i < efi_st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &efi_st->ConfigurationTable[i];
		if (guid_equal(&t->VendorGuid, &guid_acpi20))
			efi_info.rsdp = (uintptr_t)t->VendorTable;
		else if (guid_equal(&t->VendorGuid, &guid_acpi10) && !efi_info.rsdp)
			efi_info.rsdp = (uintptr_t)t->VendorTable;
	}
}

static void efi_find_framebuffer(void)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	if (efi_st->BootServices->LocateProtocol(&guid_gop, NULL, (void **)&gop) != EFI_SUCCESS ||
	    !gop || !gop->Mode || !gop->Mode->Info)
		return;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;
	if (mi->PixelFormat != PixelRedGreenBlueReserved8BitPerColor &&
	    mi->PixelFormat != PixelBlueGreenRedReserved8BitPerColor)
		return;
	efi_info.fb.present = true;
	efi_info.fb.base = gop->Mode->FrameBufferBase;
	efi_info.fb.width = mi->HorizontalResolution;
	efi_info.fb.height = mi->VerticalResolution;
	efi_info.fb.pitch = mi->PixelsPerScanLine * 4;
	efi_info.fb.bpp = 32;
}

static void *efi_alloc_pages(UINTN bytes, EFI_ALLOCATE_TYPE type, EFI_PHYSICAL_ADDRESS limit)
{
	EFI_PHYSICAL_ADDRESS pa = limit;
	if (efi_st->BootServices->AllocatePages(type, EfiLoaderData, EFI_SIZE_TO_PAGES(bytes), &pa) !=
	    EFI_SUCCESS)
		return NULL;
	return (void *)(uintptr_t)pa;
}

/* Reads a whole file of the ESP into fresh pages; NULL if it does not exist. */
static void *efi_read_file(EFI_FILE_HANDLE root, const CHAR16 *path, UINT64 *size)
{
	EFI_FILE_HANDLE f;
	if (root->Open(root, &f, (CHAR16 *)path, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
		return NULL;
	union {
		EFI_FILE_INFO info;
		uint8_t bytes[512];
	} fi;
	UINTN fi_size = sizeof(fi);
	void *data = NULL;
	if (f->GetInfo(f, &guid_file_info, &fi_size, &fi) == EFI_SUCCESS) {
		UINTN n = fi.info.FileSize;
		data = efi_alloc_pages(n ? n : 1, AllocateAnyPages, 0);
		if (data && f->Read(f, &n, data) == EFI_SUCCESS) {
			*size = n;
		} else {
			data = NULL;
		}
	}
	f->Close(f);
	return data;
}

/* "guest \path\file.elf name=x vcpus=2 ..." : loads the file as a module. */
static void efi_config_guest(EFI_FILE_HANDLE root, const char *line)
{
	CHAR16 path[128];
	size_t n = 0;
	while (*line && *line != ' ' && n < ARRAY_SIZE(path) - 1)
		path[n++] = (CHAR16)(*line == '/' ? '\\' : *line), line++;
	path[n] = 0;
	while (*line == ' ')
		line++;
	if (efi_info.module_count == BOOT_MAX_MODULES) {
		efi_say("doorbell.cfg: too many guests, ignoring the rest\n");
		return;
	}
	UINT64 size = 0;
	void *data = efi_read_file(root, path, &size);
	if (!data) {
		efi_say("doorbell.cfg: cannot read a guest file named in it\n");
		return;
	}
	struct boot_module *m = &efi_info.module[efi_info.module_count++];
	m->base = (uintptr_t)data;
	m->size = size;
	/* module name: the file name without directories */
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (path[i] == '\\')
			start = i + 1;
	}
	size_t k = 0;
	for (size_t i = start; i < n && k < sizeof(m->name) - 1; i++)
		m->name[k++] = (char)path[i];
	m->name[k] = 0;
	strlcpy(m->args, line, sizeof(m->args));
}

/* \doorbell.cfg: one directive per line; '#' starts a comment.
 *   cmdline <doorbell options>
 *   guest <path on the ESP> [VM options]
 *   module <path on the ESP>   (a file a guest names by its file name, e.g. initrd=) */
static void efi_read_config(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_FILE_IO_INTERFACE *fs = NULL;
	EFI_FILE_HANDLE root = NULL;
	if (efi_st->BootServices->HandleProtocol(image, &guid_loaded_image, (void **)&li) !=
		    EFI_SUCCESS ||
	    efi_st->BootServices->HandleProtocol(li->DeviceHandle, &guid_simple_fs, (void **)&fs) !=
		    EFI_SUCCESS ||
	    fs->OpenVolume(fs, &root) != EFI_SUCCESS) {
		efi_say("doorbell: no file system on the boot device; running without doorbell.cfg\n");
		return;
	}
	efi_info.image_base = (uintptr_t)li->ImageBase;
	efi_info.image_end = (uintptr_t)li->ImageBase + li->ImageSize;
	UINT64 size = 0;
	char *cfg = efi_read_file(root, EFI_CONFIG_PATH, &size);
	if (!cfg) {
		root->Close(root);
		return;
	}
	static char text[EFI_CONFIG_MAX];
	size_t len = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, cfg, len);
	text[len] = 0;
	for (char *line = text; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\r' || line[l - 1] == ' '))
			line[--l] = 0;
		while (*line == ' ' || *line == '\t')
			line++;
		if (!strncmp(line, "cmdline", 7) && (line[7] == ' ' || !line[7]))
			strlcpy(efi_info.cmdline, line[7] ? line + 8 : "", sizeof(efi_info.cmdline));
		else if (!strncmp(line, "guest ", 6))
			efi_config_guest(root, line + 6);
		else if (!strncmp(line, "module ", 7))
			efi_config_guest(root, line + 7); /* data a guest names, e.g. with initrd= */
		else if (*line && *line != '#')
			efi_say("doorbell.cfg: unknown directive ignored (expected cmdline, guest or "
				"module)\n");
		line = next;
	}
	root->Close(root);
}

static uint32_t efi_memory_type(uint32_t efi_type)
{
	/* Our image, our allocations and the firmware's boot-time data (its page tables and the
	 * stack we still run on) stay out of the frame allocator. */
	switch (efi_type) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
		return MEMMAP_BOOT;
	default:
		return memmap_type_from_efi(efi_type);
	}
}

/* crt0-efi-x86_64.o calls this with the System V ABI after relocating the image. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	efi_st = st;
	efi_info.loader = "uefi";
	efi_info.image_base = (uintptr_t)ImageBase;
	efi_info.image_end = ALIGN_UP((uintptr_t)_edata, PAGE_SIZE);
	efi_find_rsdp();
	efi_find_framebuffer();
	efi_read_config(image);
	uint8_t *tramp = efi_alloc_pages(PAGE_SIZE, AllocateMaxAddress, LOW_MEMORY_LIMIT);
	if (tramp && (uintptr_t)tramp >= 0x1000)
		efi_info.trampoline = (uintptr_t)tramp;

	UINTN map_size = 0, map_key, desc_size;
	UINT32 desc_version;
	EFI_MEMORY_DESCRIPTOR *map = NULL;
	st->BootServices->GetMemoryMap(&map_size, NULL, &map_key, &desc_size, &desc_version);
	UINTN buf_size = map_size + EFI_MMAP_SLACK * (desc_size ? desc_size : 48);
	map = efi_alloc_pages(buf_size, AllocateAnyPages, 0);
	if (!map) {
		efi_say("doorbell: cannot allocate the memory map buffer\n");
		return EFI_OUT_OF_RESOURCES;
	}
	EFI_STATUS status = EFI_LOAD_ERROR;
	for (unsigned attempt = 0; attempt < EFI_EXIT_RETRIES; attempt++) {
		map_size = buf_size;
		status = st->BootServices->GetMemoryMap(&map_size, map, &map_key, &desc_size,
							&desc_version);
		if (status != EFI_SUCCESS)
			break;
		/* A stale key (the map changed since we read it) fails with
		 * EFI_INVALID_PARAMETER: read the map again and retry. */
		status = st->BootServices->ExitBootServices(image, map_key);
		if (status == EFI_SUCCESS)
			break;
	}
	if (status != EFI_SUCCESS) {
		efi_say("doorbell: ExitBootServices failed\n");
		return status;
	}
	__asm__ volatile("cli");
	for (UINTN off = 0; off + desc_size <= map_size; off += desc_size) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)((uint8_t *)map + off);
		memmap_add(&efi_info.memmap, d->PhysicalStart, d->NumberOfPages * EFI_PAGE_SIZE,
			   efi_memory_type(d->Type));
	}
	kernel_main(&efi_info);
}
