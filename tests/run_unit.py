#!/usr/bin/env python3
"""Runs the host unit-test programs given on the command line, each with a time limit, and prints
one closing line "unit: N passed, N failed" (N = checks, summed from each program's own
"name: N passed, N failed" line). Exits non-zero if any program fails, crashes or times out."""
import re
import subprocess
import sys

TIMEOUT_S = 60
passed = failed = 0
broken = []
for binary in sys.argv[1:]:
    try:
        p = subprocess.run([binary], capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        broken.append(f"{binary}: timed out after {TIMEOUT_S} s")
        continue
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    m = None
    for line in p.stdout.splitlines():
        m = re.match(r"^\S+: (\d+) passed, (\d+) failed$", line) or m
    if not m:
        broken.append(f"{binary}: no summary line (exit status {p.returncode})")
        continue
    passed += int(m.group(1))
    failed += int(m.group(2))
    if p.returncode != 0 and int(m.group(2)) == 0:
        broken.append(f"{binary}: exit status {p.returncode}")
for b in broken:
    print(b, file=sys.stderr)
print(f"unit: {passed} passed, {failed + len(broken)} failed")
sys.exit(1 if failed or broken else 0)
