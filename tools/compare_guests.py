#!/usr/bin/env python3
"""Compares each test guest's run directly under QEMU (tests/qemu/guests_direct.py) with its run
under doorbell (tests/qemu/guests.py) and prints a Markdown table: guest, result directly, result
under doorbell, and "identical" or the difference.

Compared are the guest's own PASS:/FAIL: lines and its closing line "guest-<name>: N passed, M
failed"; info:/bench: lines (measurements) and "PASS: [doorbell]" lines (checks made only under
doorbell) are left out, as guests/README.md says. Under doorbell only the lines of the guest's
own VM count ("[<image>] ..."), so a test running two VMs compares each guest alone.

usage: compare_guests.py [--run] [--only GUEST[,GUEST...]] [--direct SUITE] [--doorbell SUITE]...

Without --run it reads the logs the suites left in build/tests/<test>/serial.log (run
`python3 tests/qemu/run.py tests/qemu/guests_direct.py` and `... guests.py` first). With --run it
runs the tests itself through tests/qemu/run.py's run_test() and also records QEMU's exit status
in build/tests/<test>/status, which a later run without --run reads; run.py alone does not
record it, so without that file the status column says "status not recorded"."""
import argparse
import collections
import importlib.util
import os
import re
import subprocess
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS_DIR = os.path.join(ROOT, "build", "tests")
RUN_PY = os.path.join(ROOT, "tests", "qemu", "run.py")

# Guests whose two runs are not expected to match, and why (guests/README.md).
EXPECTED_DIFFERENT = {
    "unmapped": "expected: QEMU reads unassigned memory (0) and the guest ends normally; "
                "doorbell stops the VM",
    "triple_fault": "expected: QEMU -no-reboot exits with status 0; doorbell stops only the VM",
}

STAMP = re.compile(r"^\[\s*\d+\.\d+\] ")
CHECK = re.compile(r"^(PASS|FAIL): (?!\[doorbell\] )(.*)$")
MAX_LISTED = 3  # differing lines listed per side; the rest are counted


def load_suite(path):
    scope = {"__file__": os.path.abspath(path)}
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), scope)
    return scope["TESTS"]


def image_name(path):
    return os.path.basename(path)


def guest_name(path):
    return os.path.splitext(image_name(path))[0]


def doorbell_test_for(guest, tests):
    """The doorbell test of a guest: the one named doorbell-<guest> (underscores as dashes
    too), else the first whose first VM runs the guest's image."""
    image = f"build/guests/{guest}.elf"
    names = {f"doorbell-{guest}", f"doorbell-{guest.replace('_', '-')}"}
    for t in tests:
        if t["name"] in names:
            return t
    for t in tests:
        if t.get("guests") and t["guests"][0][0] == image:
            return t
    return None


class Run:
    """What one test's log says about one guest."""

    def __init__(self, test, guest, prefix):
        self.test = test
        self.checks = []
        self.closing = None
        self.status = None
        self.vm_end = None
        self.doorbell_status = None
        self.found = False
        log = os.path.join(TESTS_DIR, test["name"], "serial.log")
        if not os.path.exists(log):
            return
        self.found = True
        closing = re.compile(rf"^guest-{re.escape(guest)}: \d+ passed, \d+ failed$")
        vm_end = re.compile(rf"^vm {re.escape(image_name(prefix or ''))}: ended: (.*)$")
        with open(log, errors="replace") as f:
            for raw in f:
                if raw.startswith("# "):
                    continue
                line = STAMP.sub("", raw.rstrip("\n").rstrip("\r"))
                m = re.match(r"^doorbell: done, exit status (\d+)", line)
                if m:
                    self.doorbell_status = int(m.group(1))
                if prefix:
                    m = vm_end.match(line)
                    if m:  # without the run time ("..., 28 ms"), which varies
                        self.vm_end = re.sub(r", \d+ ms$", "", m.group(1))
                    if not line.startswith(f"[{prefix}] "):
                        continue
                    line = line[len(prefix) + 3:]
                if CHECK.match(line):
                    self.checks.append(line)
                elif closing.match(line):
                    self.closing = line
        status_file = os.path.join(TESTS_DIR, test["name"], "status")
        if os.path.exists(status_file):
            with open(status_file) as f:
                self.status = int(f.read().split()[0])

    def ending(self):
        """How the guest ended, in terms both platforms share: the isa-debug-exit code it wrote,
        or else QEMU's status / doorbell's reason; None when not known."""
        if self.test.get("boot") == "kernel":
            if self.status is None:
                return None
            if self.status & 1:
                return f"isa-debug-exit 0x{self.status >> 1:x}"
            return f"QEMU status {self.status}"
        if self.vm_end is None:
            return None
        m = re.match(r"guest wrote (0x[0-9a-f]+) to isa-debug-exit", self.vm_end)
        return f"isa-debug-exit {m.group(1)}" if m else self.vm_end.split(";")[0]

    def describe(self):
        if not self.found:
            return f"no log (`{self.test['name']}` not run)"
        parts = [f"`{self.closing}`" if self.closing else "no closing line"]
        if self.status is not None:
            parts.append(f"QEMU status {self.status}")
        else:
            parts.append("QEMU status not recorded")
        if self.doorbell_status is not None:
            parts.append(f"doorbell exit status {self.doorbell_status}")
        if self.vm_end:
            parts.append(f"VM ended: {self.vm_end}")
        elif self.test.get("boot") != "kernel":
            parts.append("no VM end reported")
        return "; ".join(parts) + f" ({self.test['name']})"


def listed(lines):
    shown = [f"`{line}`" for line in lines[:MAX_LISTED]]
    if len(lines) > MAX_LISTED:
        shown.append(f"{len(lines) - MAX_LISTED} more")
    return ", ".join(shown)


def difference(direct, doorbell):
    """'identical', or what differs between the two runs' check lines and closing lines."""
    if not direct.found or not doorbell.found:
        return "not compared (a log is missing)"
    a, b = collections.Counter(direct.checks), collections.Counter(doorbell.checks)
    out = []
    only_direct = sorted((a - b).elements())
    only_doorbell = sorted((b - a).elements())
    if only_direct:
        out.append(f"only directly: {listed(only_direct)}")
    if only_doorbell:
        out.append(f"only under doorbell: {listed(only_doorbell)}")
    if direct.closing != doorbell.closing:
        out.append(f"closing line: {direct.closing or 'none'} / {doorbell.closing or 'none'}")
    a_end, b_end = direct.ending(), doorbell.ending()
    if a_end is None or b_end is None:
        out.append("ending not compared (QEMU status not recorded: use --run)")
    elif a_end != b_end:
        out.append(f"ending: {a_end} / {b_end}")
    if not out:
        if direct.checks != doorbell.checks:
            return "identical (the same lines in another order)"
        return "identical"
    return "; ".join(out)


def run_tests(tests):
    """Runs tests with run.py's run_test(), recording each QEMU exit status next to its log."""
    spec = importlib.util.spec_from_file_location("qemu_run", RUN_PY)
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    started = []

    class Recorder(subprocess.Popen):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            started.append(self)

    run.subprocess = types.SimpleNamespace(**{**vars(subprocess), "Popen": Recorder})
    for test in tests:
        del started[:]
        try:
            problems = run.run_test(test)[0]
        except subprocess.CalledProcessError as e:
            problems = [f"setup failed: {e}"]
        status = started[-1].returncode if started else None
        with open(os.path.join(TESTS_DIR, test["name"], "status"), "w") as f:
            f.write(f"{status}\n")
        print(f"{'FAIL' if problems else 'PASS'} {test['name']} (QEMU status {status})"
              + "".join(f"\n     {p}" for p in problems), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", action="store_true", help="run the tests first")
    ap.add_argument("--only", help="comma-separated guest names")
    ap.add_argument("--direct", default=os.path.join(ROOT, "tests", "qemu", "guests_direct.py"))
    ap.add_argument("--doorbell", action="append",
                    help="doorbell suite(s); default tests/qemu/guests.py")
    args = ap.parse_args()
    direct_tests = [t for t in load_suite(args.direct) if t.get("boot") == "kernel"]
    doorbell_tests = []
    for suite in args.doorbell or [os.path.join(ROOT, "tests", "qemu", "guests.py")]:
        doorbell_tests += load_suite(suite)
    if args.only:
        wanted = set(args.only.split(","))
        direct_tests = [t for t in direct_tests if guest_name(t["guests"][0][0]) in wanted]

    pairs = []
    for t in direct_tests:
        guest = guest_name(t["guests"][0][0])
        pairs.append((guest, t, doorbell_test_for(guest, doorbell_tests)))
    if args.run:
        run_tests([t for _, d, b in pairs for t in (d, b) if t is not None])

    print("| guest | directly under QEMU | under doorbell | comparison |")
    print("| --- | --- | --- | --- |")
    for guest, d, b in pairs:
        direct = Run(d, guest, None)
        if b is None:
            print(f"| `{guest}` | {direct.describe()} | no doorbell test in the suite | "
                  f"not compared |")
            continue
        doorbell = Run(b, guest, image_name(f"{guest}.elf"))
        diff = difference(direct, doorbell)
        if guest in EXPECTED_DIFFERENT and diff != "identical":
            diff += f" ({EXPECTED_DIFFERENT[guest]})"
        print(f"| `{guest}` | {direct.describe()} | {doorbell.describe()} | {diff} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
