#!/usr/bin/env python3
"""tools/exit_cost.py without QEMU (docs/bench.md, "Exit-path instructions"): from the plugin's
`insns:` line of runs with count=N and count=2N, instructions per CPUID round trip with the trace
off and on and their difference; a run without the plugin's line or with a failed guest is
reported and not counted, and fails the tool.

usage: exit_cost_tool.py; one line per case, closing with "exit-cost-tool: N passed, N failed"."""
import contextlib
import importlib.util
import io
import os
import sys
import tempfile

from cases import run_cases

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("exit_cost", os.path.join(ROOT, "tools",
                                                                        "exit_cost.py"))
ec = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ec)


def with_runs(insns, fail=()):
    """exit_cost.main() with tests/qemu/run.py's run_test replaced: insns(setting, count, rep)
    instructions, or a failed run for (setting, count, rep) in fail."""
    tmp = tempfile.mkdtemp()
    orig, argv, exists = ec.runner.run_test, sys.argv, ec.os.path.exists

    def fake(t):
        _, _, setting, count, rep = t["name"].split("-")
        log = os.path.join(tmp, t["name"] + ".log")
        with open(log, "w") as f:
            f.write("# qemu\n[  1.000] [cpuid_loop.elf] guest-cpuid_loop: 1 passed, 0 failed\n")
            if (setting, int(count), int(rep)) not in fail:
                f.write(f"[  2.000] insns: {insns(setting, int(count), int(rep))}\n")
        return [], 1.0, log, {}

    ec.runner.run_test = fake
    ec.os.path.exists = lambda p: True  # no QEMU, plugin or guest needed
    sys.argv = ["exit_cost.py", "--n", "1000", "--repeat", "2"]
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = ec.main()
    finally:
        ec.runner.run_test, sys.argv, ec.os.path.exists = orig, argv, exists
    return status, out.getvalue(), err.getvalue()


def per_exit():
    # 400 per round trip with the trace off, 480 on, over a boot of 10^8 (+rep: noise that the
    # N/2N difference cancels)
    status, out, _ = with_runs(lambda s, c, r: 10**8 + r * 7 + c * (400 if s == "off" else 480))
    want = ["| off | 400.0 (400.0–400.0) |", "| on | 480.0 (480.0–480.0) |",
            "the trace adds 80.0 instructions to one CPUID exit"]
    return [f"missing {w!r} in {out}" for w in want if w not in out] + \
        ([f"status {status}"] if status else [])


def missing_plugin_line():
    status, out, err = with_runs(lambda s, c, r: 10**8 + c * 400, fail={("on", 2000, 2)})
    problems = [] if status == 1 else [f"status {status}"]
    if "failed run, not counted: trace on count=2000 repetition 2" not in out:
        problems.append(f"no failed run listed: {out}")
    if "| on | 400.0 (400.0–400.0) |" not in out:  # repetition 1 still counted
        problems.append(f"repetition 1 not counted: {out}")
    return problems


if __name__ == "__main__":
    raise SystemExit(run_cases("exit-cost-tool", [("per-exit-from-n-and-2n", per_exit),
                                                   ("run-without-plugin-line", missing_plugin_line)]))
