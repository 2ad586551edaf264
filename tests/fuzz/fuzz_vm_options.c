// sources: svm/vm/vm_options.c kernel/cmdline.c kernel/string.c
/* Fuzz target for a VM's options (svm/vm/vm_options.c): the words after a guest's module name on
 * the boot loader's line (vcpus=, mem=, cpus= lists, pci=, replay=, name=, args=, initrd=).
 *
 * Input: the number of host CPUs online (1 byte, taken as 1-64), then the option words (bytes up
 * to the first NUL). Invariants: without an error every value is in its documented range (vcpus
 * 1-16, mem 2 MiB-3 GiB, at most 4 pci= devices, replay one of its values); every string is
 * NUL-terminated; cpus= never names a CPU that is not online; an error has a message, and an
 * unknown option's name is kept NUL-terminated; parsing the same words twice gives the same
 * options. */
#include <stdlib.h>
#include <string.h>

#include "svm/vm/vm_options.h"
#include "tests/fuzz/fuzz.h"

static bool terminated(const char *s, size_t size)
{
	return memchr(s, 0, size) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm_options o, again;
	if (size < 1)
		return 0;
	unsigned host_cpus = 1 + data[0] % 64;
	char *args = fuzz_string(data + 1, size - 1);
	vm_options_parse(&o, "guest.elf", args, host_cpus);
	vm_options_parse(&again, "guest.elf", args, host_cpus);
	free(args);

	uint64_t online = host_cpus >= 64 ? ~0ull : (1ull << host_cpus) - 1;
	FUZZ_CHECK((o.pin_mask & ~online) == 0, "cpus= pinned to %#llx with %u CPUs online",
	           (unsigned long long)o.pin_mask, host_cpus);
	FUZZ_CHECK(terminated(o.name, sizeof(o.name)) && terminated(o.args, sizeof(o.args)) &&
	               terminated(o.initrd, sizeof(o.initrd)) &&
	               terminated(o.bad_key, sizeof(o.bad_key)),
	           "a string option is not terminated");
	FUZZ_CHECK(o.pci_count <= PASSTHROUGH_MAX_DEVICES, "%u pci= devices", o.pci_count);
	FUZZ_CHECK((o.error == NULL) == (again.error == NULL) && o.vcpus == again.vcpus &&
	               o.mem == again.mem && o.pin_mask == again.pin_mask &&
	               o.pci_count == again.pci_count && !strcmp(o.args, again.args) &&
	               !strcmp(o.name, again.name),
	           "not deterministic");
	if (o.error) {
		FUZZ_CHECK(o.error[0], "empty error message");
		return 0;
	}
	FUZZ_CHECK(o.vcpus >= 1 && o.vcpus <= VM_MAX_VCPUS, "vcpus=%u accepted", o.vcpus);
	FUZZ_CHECK(o.mem >= VM_MIN_MEM && o.mem <= 3ull << 30, "mem=%llu accepted",
	           (unsigned long long)o.mem);
	FUZZ_CHECK(o.replay == VM_LOG_REPLAY_FAILURE || o.replay == VM_LOG_REPLAY_ALL ||
	               o.replay == VM_LOG_REPLAY_OFF,
	           "replay %d", (int)o.replay);
	return 0;
}

/* Words of the VM options with good and bad values. */
static size_t generate(uint8_t *buf, size_t cap, uint64_t (*rnd)(void))
{
	static const char *const parts[] = {
	    "vcpus=", "mem=", "cpus=", "pci=", "replay=", "name=", "args=", "initrd=", "0", "1", "2",
	    "16", "17", "63", "64", "0-3", "1-0", "0,2", "3-", ",", "2M", "3G", "3073M", "1K",
	    "00:03.0", "ff:1f.7", "00:20.0", "failure", "all", "off", "\"", " ", "=", "x",
	    "0x40000000"};
	if (cap < 1)
		return SIZE_MAX;
	buf[0] = (uint8_t)rnd();
	return fuzz_words(buf, 1, cap, parts, sizeof(parts) / sizeof(parts[0]), 12, rnd);
}

const struct fuzz_target fuzz_target = {
	.name = "vm_options",
	.iterations = 100000,
	.max_len = 512,
	.generate = generate,
};
