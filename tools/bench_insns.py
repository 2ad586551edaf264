#!/usr/bin/env python3
"""Instructions per operation, doorbell and Linux KVM 6.1 on one platform (docs/bench.md,
"Instructions per operation"): the bench guest (guests/bench.c) directly under QEMU, under doorbell
soft / errata / standard and under KVM avic=0 / avic=1, each once with iterations=N and once with
2N, on the project's AVIC QEMU with the instruction-count plugin tools/qemu/plugins/insn_marks.c.
The guest marks the start and the end of each metric (guests/lib/insn_mark.h); the plugin prints
every emulated CPU's instructions at each mark. For one metric the instructions the whole machine
executed between its two marks, in the 2N run minus the N run, divided by N, is the cost of one
operation: boot, set-up and the marks' own cost cancel. Minus the same directly under QEMU (the
guest's own instructions, with no hypervisor) it is the hypervisor's cost.

usage: bench_insns.py [--n N] [--report-only] [--out FILE.md]
Logs in build/bench-insns/<config>-<iterations>.{log,plugin}; prints a Markdown table."""
import argparse
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import run as runner  # noqa: E402  (tests/qemu/run.py: the GRUB ISO doorbell boots from)

OUT = os.path.join(ROOT, "build", "bench-insns")
QEMU = os.path.join(ROOT, "build", "qemu", "qemu-system-x86_64")
PLUGIN = os.path.join(ROOT, "build", "qemu", "libinsn_marks.so")
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
GUEST = os.path.join(ROOT, "build", "guests", "bench.elf")
CPU = "EPYC-Rome,+svm,+avic"
CONFIGS = ["qemu", "soft", "errata", "standard", "kvm-avic0", "kvm-avic1"]
# the metrics in the order CPU 0 marks them: mark 2i+1 starts metric i, 2i+2 ends it
METRICS = ["cpuid", "ipi_running", "ipi_halted", "hlt_wake"]
# waits in spin loops (ipi_running: both CPUs; ipi_halted: the sender), whose instructions depend
# on how long the other CPU takes: not a cost of the path, left out of the table
SPINS = {"ipi_running", "ipi_halted"}
MARK = re.compile(r"^insn-mark cpu=(\d+) seq=(\d+) cpu_insns=(\d+) total=(\d+)$")
TIMEOUT = 600


def command(config, n, log):
    plugin = ["-plugin", PLUGIN, "-d", "plugin", "-D", log]
    args = f"iterations={n}"
    if config == "qemu":
        return [QEMU, "-machine", "q35", "-m", "64M", "-smp", "2", "-cpu", CPU, "-display", "none",
                "-no-reboot", "-serial", "stdio", "-monitor", "none", "-device",
                "isa-debug-exit,iobase=0xf4,iosize=4", "-net", "none", "-kernel", GUEST,
                "-append", args] + FIRMWARE + plugin
    if config.startswith("kvm-"):
        # no exit histograms in the L1 (their cost is not KVM's); no halt polling, which spins in
        # the L1 for up to 200 us before blocking: instructions that depend on time, not on the path
        avic = "1" if config == "kvm-avic1" else "0"
        return [sys.executable, os.path.join(ROOT, "tools", "kvm", "run.py"), "--guest", GUEST,
                "--vcpus", "2", "--args", args, "--avic", "1", "--no-trace", "--timeout", "400",
                "--kvm-opts", f"avic={avic} kvm.halt_poll_ns=0", "--plugin", PLUGIN,
                "--plugin-log", log]
    workdir = os.path.join(OUT, f"{config}-{n}.iso.d")
    os.makedirs(workdir, exist_ok=True)
    iso = runner.make_iso(workdir, f"timeout=400 policy={config}",
                          [(GUEST, f'vcpus=2 cpus=0-1 args="{args}"')])
    return [QEMU, "-machine", "q35", "-m", "1024", "-smp", "2", "-cpu", CPU, "-display", "none",
            "-no-reboot", "-serial", "stdio", "-monitor", "none", "-device",
            "isa-debug-exit,iobase=0xf4,iosize=4", "-net", "none", "-cdrom", iso] + FIRMWARE + plugin


def run(config, n):
    base = os.path.join(OUT, f"{config}-{n}")
    for f in (base + ".plugin", base + ".log"):
        if os.path.exists(f):
            os.remove(f)
    cmd = command(config, n, base + ".plugin")
    with open(base + ".log", "w") as log:
        try:
            status = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                    timeout=TIMEOUT).returncode
        except subprocess.TimeoutExpired:
            status = "timeout"
    print(f"bench-insns: {config} iterations={n}: status {status}", file=sys.stderr, flush=True)


def windows(config, n):
    """{metric: instructions of all CPUs between its two marks on CPU 0's side}, or a string
    saying why not."""
    base = os.path.join(OUT, f"{config}-{n}")
    if not os.path.exists(base + ".plugin"):
        return "not run"
    with open(base + ".log", errors="replace") as f:
        if not re.search(r"guest-bench: \d+ passed, 0 failed", f.read()):
            return "the bench guest did not pass"
    by_cpu = {}
    with open(base + ".plugin") as f:
        for line in f:
            m = MARK.match(line.strip())
            if m:
                by_cpu.setdefault(int(m.group(1)), []).append(int(m.group(4)))
    # the sending CPU marks all four metrics (8 marks), the responder the last three (6)
    senders = [c for c, marks in by_cpu.items() if len(marks) == 2 * len(METRICS)]
    if len(senders) != 1:
        return "marks not as expected: " + ", ".join(f"CPU {c}: {len(m)}"
                                                     for c, m in sorted(by_cpu.items()))
    marks = by_cpu[senders[0]]
    return {m: marks[2 * i + 1] - marks[2 * i] for i, m in enumerate(METRICS)}


def report(n):
    per_op, notes, single = {}, [], {}
    for c in CONFIGS:
        a, b = windows(c, n), windows(c, 2 * n)
        if isinstance(a, str) or isinstance(b, str):
            notes.append(f"{c}: {a if isinstance(a, str) else b}")
            continue
        per_op[c] = {m: (b[m] - a[m]) / n for m in METRICS}
        single[c] = (a, b)
    cols = [c for c in CONFIGS if c in per_op]
    out = ["| metric | unit | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for m in [m for m in METRICS if m not in SPINS]:
        unit = "insns/round trip" if m != "cpuid" else "insns/CPUID"
        out.append(f"| {m} | {unit} | " + " | ".join(f"{per_op[c][m]:.0f}" for c in cols) + " |")
        if "qemu" in per_op:
            out.append(f"| {m}, hypervisor only | {unit} | " + " | ".join(
                "–" if c == "qemu" else f"{per_op[c][m] - per_op['qemu'][m]:.0f}" for c in cols)
                + " |")
    out += ["", "Each run's own window per operation (N run / 2N run), the check on the above: a "
            "window also holds the hypervisor's periodic work (timer ticks, console flushes), "
            "which the difference removes only when both runs had the same:", "",
            "| metric | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for m in [m for m in METRICS if m not in SPINS]:
        out.append(f"| {m} | " + " | ".join(
            f"{single[c][0][m] / n:.0f} / {single[c][1][m] / (2 * n):.0f}" for c in cols) + " |")
    out.append("")
    out.append(f"Instructions of the whole emulated machine per operation: (2N run - N run) / N "
               f"between the guest's marks, N = {n} (docs/bench.md, \"Instructions per "
               f"operation\"); hypervisor only: minus the same directly under QEMU. hlt_wake is "
               f"a round trip of two IPIs, each waking a halted vCPU: one IPI costs half. "
               f"Not shown: ipi_running and ipi_halted, whose waits spin for as long as the other "
               f"side takes.")
    ratios = []
    if "qemu" in per_op:
        host = {c: {m: per_op[c][m] - per_op["qemu"][m] for m in METRICS} for c in per_op}
        for d, k in (("soft", "kvm-avic0"), ("errata", "kvm-avic1"), ("standard", "kvm-avic1")):
            if d in host and k in host:
                ratios.append(f"{d}/{k}: cpuid {host[d]['cpuid'] / host[k]['cpuid']:.2f}, "
                              f"hlt_wake {host[d]['hlt_wake'] / host[k]['hlt_wake']:.2f}")
    if ratios:
        out.append("doorbell's hypervisor instructions as a share of KVM's (goal: at most 0.50): "
                   + "; ".join(ratios) + ".")
    out += [f"not measured: {x}" for x in notes]
    return "\n".join(out) + "\n", not notes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=500, help="N: runs with N and 2N iterations (500)")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--out", default=os.path.join(OUT, "insns.md"))
    a = ap.parse_args()
    if not 10 <= a.n <= 100000:
        print("bench-insns: --n: expected 10 to 100000", file=sys.stderr)
        return 2
    os.makedirs(OUT, exist_ok=True)
    if not a.report_only:
        for path in (QEMU, PLUGIN, GUEST):
            if not os.path.exists(path):
                print(f"bench-insns: {path} missing: make bench builds it", file=sys.stderr)
                return 2
        for c in CONFIGS:
            for n in (a.n, 2 * a.n):
                run(c, n)
    text, complete = report(a.n)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
