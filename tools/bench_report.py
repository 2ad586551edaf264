#!/usr/bin/env python3
"""Prints a Markdown table of the bench guest's results from the serial logs `make bench` left in
build/tests/bench-<policy>/serial.log: one row per metric, one column per policy."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICIES = ["soft", "errata", "standard"]
rows, units = {}, {}
for policy in POLICIES:
    path = os.path.join(ROOT, "build", "tests", f"bench-{policy}", "serial.log")
    if not os.path.exists(path):
        continue
    for line in open(path, errors="replace"):
        # the guest's "[bench.elf] bench: ..." and the hypervisor's own "bench: ..." lines
        m = re.search(r"\] bench: (\S+) (\S+) (\S+)$", line.strip())
        if m and m.group(1) != "tsc_hz":
            rows.setdefault(m.group(1), {})[policy] = m.group(2)
            units[m.group(1)] = m.group(3)
if not rows:
    sys.exit("bench_report: no bench results in build/tests/bench-*/serial.log")
print("| metric | unit | " + " | ".join(POLICIES) + " |")
print("|---|---|" + "---|" * len(POLICIES))
for metric, values in rows.items():
    print(f"| {metric} | {units[metric]} | " + " | ".join(values.get(p, "–") for p in POLICIES) + " |")
