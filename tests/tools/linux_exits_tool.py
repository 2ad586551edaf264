"""tools/linux_exits.py on a canned serial log (docs/linux.md "Measured"): the per-vCPU table,
the IOIO devices and AVIC causes as their own rows, the IPIs of /proc/interrupts summed over the
CPUs, exits per IPI; a log without stats lines is refused. Stage linux-exits-tool of
tests/run_all.sh."""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
from cases import run_cases  # noqa: E402

TOOL = os.path.join(ROOT, "tools", "linux_exits.py")
LOG = """[ 1.0] [linux] workload: /proc/interrupts RES:         3          4   Rescheduling interrupts
[ 1.0] [linux] workload: /proc/interrupts CAL:        10         20   Function call interrupts
[ 1.0] [linux] workload: /proc/interrupts TLB:          0          3   TLB shootdowns
[ 2.0] stats vm=linux vcpu=0 exit=total count=100
[ 2.0] stats vm=linux vcpu=0 exit=avic_incomplete_ipi count=20
[ 2.0] stats vm=linux vcpu=0 exit=avic_incomplete_ipi id=target_not_running count=20
[ 2.0] stats vm=linux vcpu=0 exit=ioio dev=pm_timer count=50
[ 2.0] stats vm=linux vcpu=1 exit=total count=40
[ 2.0] stats vm=linux vcpu=1 exit=avic_incomplete_ipi count=4
[ 2.0] stats vm=linux vcpu=1 event=wake count=7
[ 2.0] stats vm=other vcpu=0 exit=total count=999
"""


def run(text):
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write(text)
    try:
        return subprocess.run([sys.executable, TOOL, f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)


def table():
    r = run(LOG)
    out, problems = r.stdout, []
    for want in ["| total | 100 | 40 | 140 |", "| avic_incomplete_ipi | 20 | 4 | 24 |",
                 "| avic_incomplete_ipi id=target_not_running | 20 | 0 | 20 |",
                 "| ioio dev=pm_timer | 50 | 0 | 50 |", "| event wake | 0 | 7 | 7 |",
                 "IPIs received (whole run): 40 (CAL 30, RES 7, TLB 3)",
                 "avic_incomplete_ipi exits per IPI received: 0.60 (24 / 40)"]:
        if want not in out:
            problems.append(f"missing {want!r}")
    if "999" in out:
        problems.append("counted another VM's stats")
    return problems + ([f"status {r.returncode}"] if r.returncode else [])


def refuses_empty():
    r = run("[ 1.0] nothing here\n")
    return [] if r.returncode and "no stats lines" in r.stderr else [f"status {r.returncode}"]


sys.exit(run_cases("linux-exits-tool", [("table", table), ("refuses-empty", refuses_empty)]))
