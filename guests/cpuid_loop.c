/* count= CPUIDs (leaf 0) and nothing else: under a hypervisor, count exits and their entries, and
 * no other work that depends on time (no timer, no other CPU, no printing in the loop). The unit
 * of tools/exit_cost.py, which counts the machine's instructions for count=N and count=2N and
 * takes the difference per CPUID (docs/bench.md, "Exit-path instructions"). Under doorbell it
 * checks that every CPUID exited (HC_EXIT_COUNT); everywhere, that each gave the same answer. */
#include "guests/lib/doorbell.h"
#include "guests/lib/printf.h"
#include "guests/lib/runtime.h"
#include "guests/lib/test.h"
#include "guests/lib/x86.h"

const char guest_name[] = "cpuid_loop";

void guest_main(const struct multiboot_info *mbi)
{
	uint32_t count = multiboot_cmdline_uint(mbi, "count", 1000);
	if (!count)
		count = 1;
	uint32_t exits = doorbell_present() ? (uint32_t)doorbell_hypercall(HC_EXIT_COUNT, 0, 0, 0) : 0;
	struct cpuid_regs first = cpuid(0, 0);
	uint32_t differ = 0;
	for (uint32_t i = 1; i < count; i++) {
		struct cpuid_regs r = cpuid(0, 0);
		differ += r.eax != first.eax || r.ebx != first.ebx || r.ecx != first.ecx ||
			  r.edx != first.edx;
	}
	if (doorbell_present())
		exits = (uint32_t)doorbell_hypercall(HC_EXIT_COUNT, 0, 0, 0) - exits;
	printf("cpuid_loop: %u CPUIDs, %u exits\n", count, exits);
	test_check(differ == 0, "every CPUID(0) gave the first one's answer (%u differed)", differ);
	test_check_doorbell(exits >= count, "every CPUID exited (HC_EXIT_COUNT grew by %u)", count);
}
