#!/usr/bin/env python3
"""The user-facing entry points fail closed (issue 16): each bad or contradictory setting of
`make run`, `make bench`, `make compare`, tools/run.py and tools/compare.py is refused with a message saying what to do and a
non-zero status, before anything runs; doorbell itself refuses a bad command line (status 247);
and `make run`'s console output has no CR, so `awk '$2==…'` works on its stats lines
(docs/stats.md).

usage: settings.py [--list] [--only NAME,...]; prints one line per case and closes with
"settings: N passed, N failed"."""
import argparse
import os
import re
import subprocess
import sys

from cases import run_cases

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAKE = ["make", "--no-print-directory"]
RUN = [sys.executable, "tools/run.py"]
COMPARE = [sys.executable, "tools/compare.py"]
HELLO = "build/guests/hello.elf"

# name, command, expected status (None: any non-zero), pattern the output must match, time limit
CASES = [
    ("make-run-no-such-guest", MAKE + ["run", "GUEST=no/such/file"], None,
     r"make run: GUEST=no/such/file: no such file; give the path of a Multiboot ELF kernel", 300),
    ("make-run-erratum-without-avic", MAKE + ["run", "ERRATUM=1"], None,
     r"make run: ERRATUM=1 needs AVIC=1", 300),
    ("make-run-unknown-variable", MAKE + ["run", "GEUST=" + HELLO], 2,
     r"make run: GEUST is not a setting of make run, which takes GUEST INITRD VCPUS", 30),
    ("make-bench-unknown-variable", MAKE + ["bench", "AVIC=1"], 2,
     r"make bench: AVIC is not a setting of make bench, which takes BENCH_REPEAT", 30),
    ("make-experiment-no-name", MAKE + ["experiment"], 2,
     r"make experiment: NAME=: expected one of bench erratum storm", 30),
    ("make-experiment-unknown-name", MAKE + ["experiment", "NAME=erratumm"], 2,
     r"make experiment: NAME=erratumm: expected one of bench erratum storm", 30),
    ("make-experiment-repeat-out-of-range", MAKE + ["experiment", "NAME=bench", "REPEAT=101"], 2,
     r"make experiment: REPEAT=101: expected a number of repetitions from 1 to 100", 30),
    ("make-experiment-unknown-variable", MAKE + ["experiment", "NAME=bench", "REPEATS=3"], 2,
     r"make experiment: REPEATS is not a setting of make experiment, which takes NAME REPEAT "
     r"RESULTS", 30),
    ("make-soak-unknown-variable", MAKE + ["soak", "SOAKS=ipi-1m-errata"], 2,
     r"make soak: SOAKS is not a setting of make soak, which takes SOAK", 30),
    ("make-bench-repeat-not-a-number", MAKE + ["bench", "BENCH_REPEAT=five"], None,
     r"make bench: BENCH_REPEAT=five: expected a number of runs from 1 to 50", 600),
    ("make-run-avic-not-a-switch", MAKE + ["run", "AVIC=yes"], None,
     r"make run: AVIC=yes: expected AVIC=1 \(or nothing\)", 300),
    ("run-vcpus-zero", RUN + ["--guest", HELLO, "--vcpus", "0"], 2,
     r"make run: VCPUS=0: expected a whole number from 1 to 16", 30),
    ("run-vcpus-without-guest", RUN + ["--vcpus", "2"], 2,
     r"make run: VCPUS=, MEM=, ARGS= and VMOPTS= describe the guest: give GUEST=", 30),
    ("run-vmopts-vcpus", RUN + ["--guest", HELLO, "--vmopts", "vcpus=2"], 2,
     r"make run: VMOPTS=vcpus=2: give vcpus= as VCPUS=", 30),
    ("run-mem-too-small", RUN + ["--guest", HELLO, "--mem", "1M"], 2,
     r"make run: MEM=1M: expected a size from 2M to 3G", 30),
    ("run-mem-bad-unit", RUN + ["--guest", HELLO, "--mem", "64X"], 2,
     r"make run: MEM=64X: expected a size from 2M to 3G", 30),
    ("run-smp-not-a-number", RUN + ["--smp", "two"], 2,
     r"make run: SMP=two: expected a whole number from 1 to 16", 30),
    ("run-timeout-twice", RUN + ["--timeout", "5", "--opts", "timeout=3"], 2,
     r"make run: the timeout is given twice", 30),
    # make compare (tools/compare.py, docs/kvm.md "make compare")
    ("make-compare-unknown-variable", MAKE + ["compare", "GUESTS=bench", "POLICY=soft"], 2,
     r"make compare: POLICY is not a setting of make compare, which takes GUESTS GUEST", 30),
    ("compare-unknown-guest", COMPARE + ["--guests", "bench,nosuch"], 2,
     r"make compare: GUESTS=bench,nosuch: nosuch not known; known guests: bench, ipi", 30),
    ("compare-guest-not-multiboot", COMPARE + ["--guest", "README.md"], 2,
     r"make compare: GUEST=README.md: not a Multiboot v1 ELF kernel", 30),
    ("compare-vcpus-without-guest", COMPARE + ["--vcpus", "2"], 2,
     r"make compare: VCPUS= and ARGS= describe a guest of yours: give GUEST=file too", 30),
    ("compare-erratum-not-a-switch", COMPARE + ["--erratum", "yes"], 2,
     r"make compare: ERRATUM=yes: expected ERRATUM=1", 30),
    # doorbell's own command line, through make run: it stops before running any VM
    ("make-run-opts-typo", MAKE + ["run", "GUEST=" + HELLO, "OPTS=polcy=errata"], None,
     r"config: 'polcy=errata': unknown option \(README \"Command-line options\"\)\n"
     r"(.*\n)*config: 1 bad option\(s\) on the command line: no VM is run; correct them, or add "
     r"'lenient'(.*\n)*make run: QEMU exit status 247", 300),
]


def stats_without_cr():
    """`make run` with the hello guest: no CR anywhere in its output, and awk finds the total."""
    p = subprocess.run(MAKE + ["run", "GUEST=" + HELLO, "ARGS=greeting=hello answer=42"], cwd=ROOT, capture_output=True,
                       timeout=300)
    problems = []
    if p.returncode != 0:
        problems.append(f"make run GUEST={HELLO}: status {p.returncode}")
    crs = p.stdout.count(b"\r")
    if crs:
        problems.append(f"{crs} CR characters in make run's output")
    awk = subprocess.run(["awk", '$1=="stats" && $2=="vm=hello.elf" && $4=="exit=total" '
                          '&& $5 ~ /^count=[0-9]+$/ {n++} END {print n+0}'],
                         input=p.stdout, capture_output=True)
    if awk.stdout.strip() != b"1":
        problems.append(f"awk found {awk.stdout.strip().decode()} total lines, expected 1")
    return problems


def run_case(cmd, status, pattern, limit):
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return [f"not refused within {limit} s"]
    out = p.stdout + p.stderr
    problems = []
    if (status is None and p.returncode == 0) or (status is not None and p.returncode != status):
        problems.append(f"status {p.returncode}, expected {status or 'non-zero'}")
    if not re.search(pattern, out, re.M):
        problems.append(f"missing /{pattern}/ in: {out[-600:]!r}")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--only")
    a = ap.parse_args()
    cases = [(n, lambda c=c, s=s, p=p, t=t: run_case(c, s, p, t)) for n, c, s, p, t in CASES]
    cases.append(("make-run-stats-without-cr", stats_without_cr))
    if a.only:
        cases = [c for c in cases if c[0] in a.only.split(",")]
    if a.list:
        print("\n".join(n for n, _ in cases))
        return 0
    return run_cases("settings", cases)


if __name__ == "__main__":
    sys.exit(main())
