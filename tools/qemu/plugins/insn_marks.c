/* A TCG plugin for the outer QEMU: counts the instructions each emulated CPU executes, whatever it
 * runs (doorbell, a guest in SVM guest mode, an L1 Linux and its KVM guest), and at each mark a
 * guest executes prints the counts, so that the instructions between two points of a guest are
 * known without the boot around them (docs/bench.md, "Instructions per operation").
 *
 * The mark is `nopl 0x6b72616d(%eax)` (0f 1f 80 6d 61 72 6b): a multi-byte NOP (AMD64 APM vol. 3,
 * NOP) with a displacement ("mark") no compiler emits, harmless on every CPU. At each one the
 * plugin prints, to QEMU's log (-d plugin -D FILE):
 *     insn-mark cpu=C seq=S cpu_insns=N total=T
 * C the emulated CPU, S its marks so far (1, 2, ...), N its instructions so far, T all CPUs'.
 * At exit: insn-total T. Counting is per translation block executed (its instruction count added
 * before it runs): a block left early by an exception counts whole, a constant that cancels
 * between marks of the same code. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_CPUS 64
static const uint8_t mark[7] = {0x0f, 0x1f, 0x80, 0x6d, 0x61, 0x72, 0x6b};

/* each written only by its CPU's thread; read by the others (aligned 64-bit: no torn values) */
static uint64_t insns[MAX_CPUS];
static uint64_t marks[MAX_CPUS];

static uint64_t total(void)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		t += __atomic_load_n(&insns[i], __ATOMIC_RELAXED);
	return t;
}

static void tb_exec(unsigned int cpu, void *n)
{
	if (cpu < MAX_CPUS)
		__atomic_store_n(&insns[cpu], insns[cpu] + (uintptr_t)n, __ATOMIC_RELAXED);
}

static void mark_exec(unsigned int cpu, void *udata)
{
	(void)udata;
	if (cpu >= MAX_CPUS)
		return;
	char line[128];
	snprintf(line, sizeof(line), "insn-mark cpu=%u seq=%" PRIu64 " cpu_insns=%" PRIu64
	         " total=%" PRIu64 "\n", cpu, ++marks[cpu], insns[cpu], total());
	qemu_plugin_outs(line);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	size_t n = qemu_plugin_tb_n_insns(tb);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		if (qemu_plugin_insn_size(insn) == sizeof(mark) &&
		    memcmp(qemu_plugin_insn_data(insn), mark, sizeof(mark)) == 0)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_exec, QEMU_PLUGIN_CB_NO_REGS,
			                                       NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	(void)id;
	(void)p;
	char line[64];
	snprintf(line, sizeof(line), "insn-total %" PRIu64 "\n", total());
	qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
	(void)info;
	(void)argv;
	if (argc) {
		fprintf(stderr, "insn_marks: takes no arguments\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
