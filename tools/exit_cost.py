#!/usr/bin/env python3
"""Instructions per exit with the exit trace off and on (docs/bench.md, "Exit-path
instructions"; `make bench` runs it): doorbell with the cpuid_loop guest (guests/cpuid_loop.c:
count= CPUIDs, each one exit and one entry) on the project's QEMU with QEMU's instruction-count
plugin (build/qemu/libinsn.so, the whole machine's instructions at its end) in icount mode
(`-icount shift=0,sleep=off`, one TCG thread): virtual time advances with instructions, so the
loops that wait for time (TSC calibration, timer ticks) take the same instructions in every run
whatever the host's load. Each setting runs with count=N and count=2N: the difference divided by
N is one CPUID round trip (the guest's CPUID and loop, the exit, doorbell's handler, the entry),
and the difference between trace=all and no trace is what the trace adds to one exit (an exit
and an entry record).

usage: exit_cost.py [--n N] [--repeat R]; prints a Markdown table, status 1 if a run failed."""
import argparse
import importlib.util
import os
import re
import statistics
import sys

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("qemu_run", os.path.join(ROOT, "tests", "qemu",
                                                                       "run.py"))
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)

QEMU = os.path.join(ROOT, "build", "qemu", "qemu-system-x86_64")
PLUGIN = os.path.join(ROOT, "build", "qemu", "libinsn.so")
GUEST = "build/guests/cpuid_loop.elf"
SETTINGS = [("off", ""), ("on", "trace=all trace-dump=0")]
INSNS = re.compile(r"^insns: (\d+)$", re.M)


def run(setting, vmopts, count, rep):
    opts = f"vcpus=1 cpus=1 {vmopts} args=\"count={count}\"".replace("  ", " ")
    t = dict(name=f"exit-cost-{setting}-{count}-{rep}", boot="grub-bios", machine="q35", smp=2,
             mem=512, cpu="EPYC-Rome,+svm,+avic", qemu=QEMU,
             cmdline="timeout=500 policy=errata", guests=[(GUEST, opts)], status=1,
             expect=[r"^\[cpuid_loop\.elf\] guest-cpuid_loop: \d+ passed, 0 failed$"],
             qemu_args=["-L", "/usr/share/seabios", "-L", "/usr/share/qemu",
                        "-accel", "tcg,thread=single", "-icount", "shift=0,sleep=off", "-rtc", "clock=vm",
                        "-plugin", f"{PLUGIN},inline=on", "-d", "plugin"], timeout=600)
    problems, elapsed, log, _ = runner.run_test(t)
    m = INSNS.findall(open(log, errors="replace").read().replace("] insns:", "]\ninsns:"))
    if not m:
        problems.append("no 'insns:' line from the plugin")
    return problems, (int(m[-1]) if m else None), elapsed, log


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    for path, what in ((QEMU, "make qemu-avic"), (PLUGIN, "make qemu-avic"), (GUEST, "make all")):
        if not os.path.exists(os.path.join(ROOT, path)):
            sys.exit(f"exit_cost: {path} missing ({what})")
    per_exit, failed = {}, []
    for rep in range(1, a.repeat + 1):
        for setting, vmopts in SETTINGS:
            counts = {}
            for count in (a.n, 2 * a.n):
                problems, insns, elapsed, log = run(setting, vmopts, count, rep)
                print(f"exit_cost: trace {setting}, count={count}: "
                      + (f"{insns} instructions ({elapsed:.0f} s)" if not problems else
                         f"failed: {'; '.join(problems)} (log {log})"), file=sys.stderr)
                if problems:
                    failed.append(f"trace {setting} count={count} repetition {rep}")
                else:
                    counts[count] = insns
            if len(counts) == 2:
                per_exit.setdefault(setting, []).append((counts[2 * a.n] - counts[a.n]) / a.n)
    print(f"| trace | instructions per CPUID round trip (median, min–max of {a.repeat}) |")
    print("|---|---|")
    for setting, _ in SETTINGS:
        v = per_exit.get(setting, [])
        print(f"| {setting} | " + (f"{statistics.median(v):.1f} ({min(v):.1f}–{max(v):.1f})"
                                   if v else "–") + " |")
    if per_exit.get("off") and per_exit.get("on"):
        d = statistics.median(per_exit["on"]) - statistics.median(per_exit["off"])
        print(f"\nexit_cost: the trace adds {d:.1f} instructions to one CPUID exit "
              f"(two records: exit and entry), N={a.n}")
    for f in failed:
        print(f"exit_cost: failed run, not counted: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
