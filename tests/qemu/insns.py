# The outer QEMU's instruction count between a guest's marks (tools/qemu/plugins/insn_marks.c,
# guests/lib/insn_mark.h; docs/bench.md "Instructions per operation"): the bench guest with 100
# iterations on the AVIC QEMU with the plugin, directly and under doorbell (errata). CPU 0 must
# mark four metrics (8 marks) and CPU 1 three (6), and the CPUID loop's window must hold the
# guest's few instructions per CPUID directly and thousands more under doorbell, whose exit path
# the plugin counts too. Read by tests/qemu/run.py (make test-insns builds the plugin first).
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import bench_insns  # noqa: E402  (the commands of make bench's instruction counts)

ROUNDS = 100
MARK = re.compile(r"^insn-mark cpu=(\d+) seq=\d+ cpu_insns=\d+ total=(\d+)$", re.M)
workdirs = {}


def insns_case(name, config, lo, hi):
    """One run; the CPUID loop's instructions per CPUID must lie in [lo, hi]."""
    def command(workdir):
        workdirs[name] = workdir
        log = os.path.join(workdir, "plugin.log")
        if os.path.exists(log):
            os.remove(log)
        return bench_insns.command(config, ROUNDS, log)

    def check(text):
        with open(os.path.join(workdirs[name], "plugin.log")) as f:
            found = MARK.findall(f.read())
        by_cpu = {}
        for cpu, total in found:
            by_cpu.setdefault(cpu, []).append(int(total))
        counts = sorted(len(v) for v in by_cpu.values())
        if counts != [6, 8]:
            return [f"marks per CPU {counts}, expected 6 and 8"]
        marks = next(v for v in by_cpu.values() if len(v) == 8)
        per_cpuid = (marks[1] - marks[0]) / ROUNDS
        if not lo <= per_cpuid <= hi:
            return [f"{per_cpuid:.0f} instructions per CPUID between the marks, expected "
                    f"{lo}-{hi}"]
        print(f"     {name}: {per_cpuid:.0f} instructions per CPUID", flush=True)
        return []

    return dict(name=name, command=command, check=check, status=1, timeout=400,
                expect=[r"guest-bench: 10 passed, 0 failed$"])


TESTS = [
    # directly: the loop's own instructions (6 measured: CPUID, the counter, the branch)
    insns_case("insns-direct", "qemu", 3, 50),
    # under doorbell: the exit, doorbell's CPUID handling and VMRUN, thousands more
    insns_case("insns-doorbell-errata", "errata", 500, 1000000),
]
