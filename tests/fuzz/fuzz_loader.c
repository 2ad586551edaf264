// sources: svm/vm/loader.c svm/vm/bzimage.c svm/platform/guest_memmap.c kernel/format.c
/* Fuzz target for the guest image loader (svm/vm/loader.c, svm/vm/bzimage.c): a Linux bzImage's
 * setup header (x86 boot protocol), or an ELF32/ELF64 header and program headers with the
 * Multiboot v1 and v2 header search; the segment checks and copies, the initrd, and the boot
 * information written for the guest. The image is a boot module: whatever file the user (or an
 * attacker who can change the boot medium) gave doorbell.
 *
 * Input: the length of the guest's arguments (1 byte), the arguments, the initrd's size in KiB
 * (1 byte, 0: none), then the image. The VM is a fake with 16 MiB of RAM (heap, exactly that
 * size, so ASan catches a write beyond it) and one vCPU; vm_gpa_to_hva(), vm_read_gpa() and
 * vm_write_gpa() are this file's, with vm.c's contract. Invariants: an image is refused with a
 * non-empty message or loaded. A loaded bzImage is entered at its planned load address with ESI
 * = the zero page, which says type_of_loader 0xFF and points at a NUL-terminated command line;
 * its kernel (init_size) and initrd lie in RAM above the low boot data and do not overlap, and its
 * kernel bytes come from inside the file. A loaded ELF's entry point lies in RAM, EAX holds the
 * Multiboot boot magic and EBX the information page (page aligned, in RAM), whose contents are
 * well-formed: for Multiboot2 a total size within the page and a tag list that ends with an end
 * tag inside it; for Multiboot v1 a NUL-terminated command line inside the page. */
#include <stdlib.h>
#include <string.h>

#include "svm/cpu/regs.h"
#include "svm/vm/bzimage.h"
#include "svm/vm/loader.h"
#include "svm/vm/vm.h"
#include "svm/vmcb.h"
#include "tests/fuzz/fuzz.h"

#define RAM_SIZE (16ull << 20)
#define INFO_SIZE 0x1000u /* the information page: EBX (0x9000 unless the image is there) */
#define MB1_MAGIC 0x2badb002u
#define MB2_MAGIC 0x36d76289u

static uint8_t *ram;
static struct vm vm;
static struct vcpu vcpu;
static struct vmcb vmcb;

void *vm_gpa_to_hva(struct vm *v, gpa_t gpa, uint64_t len)
{
	if (gpa >= v->mem_size || len > v->mem_size - gpa)
		return NULL;
	return ram + gpa;
}

bool vm_read_gpa(void *ctx, gpa_t gpa, void *buf, size_t len)
{
	void *p = vm_gpa_to_hva(ctx, gpa, len);
	if (p)
		memcpy(buf, p, len);
	return p != NULL;
}

bool vm_write_gpa(struct vm *v, gpa_t gpa, const void *buf, size_t len)
{
	void *p = vm_gpa_to_hva(v, gpa, len);
	if (p)
		memcpy(p, buf, len);
	return p != NULL;
}

static void check_mb2_info(uint64_t info)
{
	uint32_t total = fuzz_le32(ram + info);
	FUZZ_CHECK(total >= 16 && total <= INFO_SIZE, "Multiboot2 information of %u bytes", total);
	uint32_t off = 8;
	for (;;) {
		FUZZ_CHECK(off + 8 <= total, "Multiboot2 tags run past total_size %u", total);
		uint32_t type = fuzz_le32(ram + info + off), tsize = fuzz_le32(ram + info + off + 4);
		FUZZ_CHECK(tsize >= 8 && tsize <= total - off, "Multiboot2 tag %u of size %u at %u",
		           type, tsize, off);
		if (type == 0)
			break;
		off += (tsize + 7) & ~7u;
	}
}

static void check_mb1_info(uint64_t info)
{
	uint32_t cmdline = fuzz_le32(ram + info + 0x10);
	FUZZ_CHECK(cmdline >= info && cmdline < info + INFO_SIZE, "command line at %#x", cmdline);
	FUZZ_CHECK(memchr(ram + cmdline, 0, info + INFO_SIZE - cmdline) != NULL,
	           "command line not terminated");
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* The plan the loader followed for a bzImage it accepted. */
static void check_bzimage(const uint8_t *img, uint64_t isize, uint64_t initrd_size)
{
	struct bzimage_layout l;
	FUZZ_CHECK(bzimage_plan(img, isize, RAM_SIZE, initrd_size, &l) == NULL,
	           "loaded, but the plan now refuses it");
	FUZZ_CHECK(vcpu.regs.gpr[GPR_RSI] == BZ_ZERO_PAGE_GPA && vmcb.save.rip == l.kernel_gpa,
	           "bzImage entered at %#llx with ESI %#llx", (unsigned long long)vmcb.save.rip,
	           (unsigned long long)vcpu.regs.gpr[GPR_RSI]);
	FUZZ_CHECK(l.kernel_offset <= isize && l.kernel_size <= isize - l.kernel_offset,
	           "kernel bytes [%#llx, +%#llx) outside the %#llx-byte file",
	           (unsigned long long)l.kernel_offset, (unsigned long long)l.kernel_size,
	           (unsigned long long)isize);
	FUZZ_CHECK(l.kernel_gpa >= BZ_LOW_END && l.init_size >= l.kernel_size &&
	               l.kernel_gpa + l.init_size <= RAM_SIZE,
	           "kernel at %#llx, init_size %#llx", (unsigned long long)l.kernel_gpa,
	           (unsigned long long)l.init_size);
	if (initrd_size)
		FUZZ_CHECK(l.initrd_gpa >= BZ_LOW_END && l.initrd_gpa + initrd_size <= RAM_SIZE &&
		               !overlap(l.initrd_gpa, initrd_size, l.kernel_gpa, l.init_size),
		           "initrd at %#llx overlaps the kernel or leaves RAM",
		           (unsigned long long)l.initrd_gpa);
	const uint8_t *zp = ram + BZ_ZERO_PAGE_GPA;
	FUZZ_CHECK(zp[0x210] == 0xff, "type_of_loader %#x", zp[0x210]);
	uint32_t cmd = fuzz_le32(zp + 0x228);
	FUZZ_CHECK(cmd == BZ_CMDLINE_GPA && memchr(ram + cmd, 0, BZ_CMDLINE_MAX),
	           "cmd_line_ptr %#x or its line", cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ram) {
		ram = malloc(RAM_SIZE);
		if (!ram)
			abort();
	}
	if (size < 1)
		return 0;
	size_t alen = data[0] < size - 1 ? data[0] : size - 1;
	char args[256];
	memcpy(args, data + 1, alen);
	args[alen] = 0;
	size_t rest = size - 1 - alen;
	uint64_t initrd_size = rest ? (uint64_t)data[1 + alen] << 10 : 0;
	size_t isize = rest ? rest - 1 : 0;
	uint8_t *image = malloc(isize ? isize : 1);
	uint8_t *initrd = initrd_size ? calloc(1, initrd_size) : NULL;
	if (!image || (initrd_size && !initrd))
		abort();
	memcpy(image, data + 2 + alen, isize);

	memset(&vm, 0, sizeof(vm));
	memset(&vcpu, 0, sizeof(vcpu));
	memset(&vmcb, 0, sizeof(vmcb));
	memset(ram + 0x9000, 0xcc, INFO_SIZE);
	vm.mem_size = RAM_SIZE;
	vm.vcpu[0] = &vcpu;
	vm.vcpu_count = 1;
	vcpu.vmcb = &vmcb;

	const char *err =
	    loader_load(&vm, image, isize, "kernel.elf", args, initrd, initrd_size);
	free(initrd);
	if (err) {
		free(image);
		FUZZ_CHECK(err[0] != 0, "empty error message");
		return 0;
	}
	if (bzimage_detect(image, isize)) {
		check_bzimage(image, isize, initrd_size);
		free(image);
		return 0;
	}
	free(image);
	uint64_t eax = vcpu.regs.gpr[GPR_RAX];
	FUZZ_CHECK(vmcb.save.rip < RAM_SIZE, "entry %#llx outside RAM",
	           (unsigned long long)vmcb.save.rip);
	FUZZ_CHECK(eax == MB1_MAGIC || eax == MB2_MAGIC, "EAX %#llx", (unsigned long long)eax);
	uint64_t ebx = vcpu.regs.gpr[GPR_RBX];
	FUZZ_CHECK(ebx && !(ebx & (INFO_SIZE - 1)) && ebx + INFO_SIZE <= RAM_SIZE, "EBX %#llx",
	           (unsigned long long)ebx);
	if (eax == MB2_MAGIC)
		check_mb2_info(ebx);
	else
		check_mb1_info(ebx);
	return 0;
}

const struct fuzz_target fuzz_target = {
	.name = "loader",
	.iterations = 100000,
	.max_len = 1024,
};
