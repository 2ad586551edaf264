#!/usr/bin/env python3
"""Prints a Markdown table of the bench guest's results from the serial logs `make bench` left in
build/tests/bench-<policy>-<i>/serial.log: one row per metric, one column per policy, each cell
the median of the repetitions that finished and their spread (min-max). A repetition that failed
(no closing `guest-bench: N passed, 0 failed` line) is listed under the table, not counted; the
report fails (status 1) only when a policy has no repetition that finished."""
import glob
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICIES = ["soft", "errata", "standard"]
CLOSING = re.compile(r"\] guest-bench: \d+ passed, 0 failed$")
values, units, failed, runs = {}, {}, [], {}
for policy in POLICIES:
    logs = sorted(glob.glob(os.path.join(ROOT, "build", "tests", f"bench-{policy}-*",
                                         "serial.log")),
                  key=lambda p: int(p.split("-")[-1].split(os.sep)[0]))
    for path in logs:
        lines = [line.rstrip() for line in open(path, errors="replace")]
        rep = os.path.basename(os.path.dirname(path))
        if not any(CLOSING.search(line) for line in lines):
            why = [line for line in lines if "FAIL" in line or "no pong" in line or
                   "ended:" in line]
            failed.append(f"{rep}: {why[-1].split('] ', 1)[-1] if why else 'no result'}")
            continue
        runs[policy] = runs.get(policy, 0) + 1
        for line in lines:
            # the guest's "[bench.elf] bench: ..." and the hypervisor's own "bench: ..." lines
            m = re.search(r"\] bench: (\S+) ([0-9.]+) (\S+)$", line)
            if m and m.group(1) != "tsc_hz":
                values.setdefault(m.group(1), {}).setdefault(policy, []).append(float(m.group(2)))
                units[m.group(1)] = m.group(3)
if not values:
    sys.exit("bench_report: no finished bench run in build/tests/bench-*-*/serial.log")


def cell(v, unit):
    if not v:
        return "–"
    fmt = (lambda x: f"{x:.2f}") if unit == "exits" else (lambda x: f"{x:.0f}")
    return f"{fmt(statistics.median(v))} ({fmt(min(v))}–{fmt(max(v))})"


print("| metric | unit | " + " | ".join(f"{p} (n={runs.get(p, 0)})" for p in POLICIES) + " |")
print("|---|---|" + "---|" * len(POLICIES))
for metric, by_policy in values.items():
    print(f"| {metric} | {units[metric]} | " +
          " | ".join(cell(by_policy.get(p, []), units[metric]) for p in POLICIES) + " |")
print("\nEach cell: median (min–max) over the n repetitions that finished.")
for f in failed:
    print(f"failed repetition, not counted: {f}")
missing = [p for p in POLICIES if not runs.get(p)]
if missing:
    sys.exit(f"bench_report: no finished repetition for {', '.join(missing)}")
