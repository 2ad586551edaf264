#!/usr/bin/env python3
"""tools/experiment.py and tools/results.py without QEMU (docs/experiments/README.md): the
experiment files of docs/experiments/ load; a file with an unknown, missing or contradictory
setting is refused with what to do; metrics are read from a console log; a run (with QEMU replaced
by canned logs) writes results.json, results.csv, summary.md and chart.png, counts a failed
repetition as failed without stopping the others, and fails only for a configuration with no
finished repetition.

usage: experiment_tool.py; one line per case, closing with "experiment-tool: N passed, N failed"."""
import importlib.util
import json
import os
import tempfile

from cases import run_cases

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("experiment",
                                              os.path.join(ROOT, "tools", "experiment.py"))
exp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exp)

GOOD = """
name = "t"
repetitions = 3
time_limit_s = 100
[defaults]
qemu = "avic"
avic = true
erratum = false
machine = "q35"
host_cpus = 2
memory_mb = 256
boot = "grub-bios"
policy = "errata"
doorbell_timeout_s = 60
doorbell_options = ""
guest = "build/guests/hello.elf"
vcpus = 2
pinning = "0-1"
vm_options = ""
args = ""
expect_status = [1]
finished = '^\\[hello\\.elf\\] done$'
[[configurations]]
name = "a"
[[configurations]]
name = "b"
policy = "standard"
[[metrics]]
name = "x"
unit = "ops"
pattern = '^\\[hello\\.elf\\] x=(\\d+)$'
[[metrics]]
family = true
pattern = '^bench: (?P<name>\\w+) (?P<value>[0-9.]+) (?P<unit>\\w+)$'
[[metrics]]
name = "seconds"
from = "elapsed"
"""


def file_with(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    f.write(text)
    f.close()
    return f.name


def refused(text, want):
    path = file_with(text)
    try:
        exp.load(path)
        return [f"not refused (expected {want!r})"]
    except exp.Refused as r:
        return [] if want in str(r) else [f"refused with {r}, expected {want!r}"]
    finally:
        os.unlink(path)


CASES = [(f"docs-experiments-{n}-loads", lambda n=n: [] if exp.load(n)["configurations"]
          else ["no configurations"]) for n in ("erratum", "bench", "storm")]
CASES += [
    ("refuses-unknown-key", lambda: refused(GOOD.replace('policy = "standard"',
                                                         'polcy = "standard"'),
                                            "unknown key polcy in [[configurations]] 2")),
    ("refuses-missing-setting", lambda: refused(GOOD.replace('pinning = "0-1"\n', ""),
                                                "does not say pinning")),
    ("refuses-erratum-without-avic", lambda: refused(
        GOOD.replace('erratum = false', 'erratum = true').replace('avic = true', 'avic = false')
        .replace('policy = "errata"', 'policy = "soft"').replace('policy = "standard"',
                                                                 'policy = "soft"'),
        "erratum = true needs avic = true")),
    ("refuses-avic-policy-without-avic", lambda: refused(
        GOOD.replace('avic = true', 'avic = false'), "policy = 'errata' needs avic = true")),
    ("refuses-avic-on-debian-qemu", lambda: refused(
        GOOD.replace('qemu = "avic"', 'qemu = "debian"'), 'avic = true needs qemu = "avic"')),
    ("refuses-doorbell-timeout-not-below-limit", lambda: refused(
        GOOD.replace("doorbell_timeout_s = 60", "doorbell_timeout_s = 100"),
        "must be below time_limit_s")),
    ("refuses-bad-type", lambda: refused(GOOD.replace("vcpus = 2", 'vcpus = "2"'),
                                         "vcpus = '2': expected a int")),
    ("refuses-bad-regex", lambda: refused(GOOD.replace("x=(\\d+)", "x=(\\d+"),
                                          "metric 1: pattern")),
    ("refuses-unknown-name", lambda: [] if "the experiments are bench, erratum, storm" in
     str(_refusal("no-such-experiment")) else [str(_refusal("no-such-experiment"))]),
]


def _refusal(name):
    try:
        exp.load(name)
    except exp.Refused as r:
        return r
    return None


def metrics_case():
    path = file_with(GOOD)
    e = exp.load(path)
    os.unlink(path)
    text = "[hello.elf] x=5\n[hello.elf] x=7\nbench: trace_on 1833 cycles\nbench: foo 1.5 exits\n"
    m = exp.metrics_of(e, text, 12.34)
    want = {"x": (7.0, "ops"), "trace_on": (1833.0, "cycles"), "foo": (1.5, "exits"),
            "seconds": (12.3, "s")}
    return [] if m == want else [f"metrics {m}, expected {want}"]


def run_case(fail_all_of_b=False):
    """A run with tests/qemu/run.py's run_test replaced: config a's repetition 2 fails, the
    others finish with x = 10 * repetition (+1 for b)."""
    path = file_with(GOOD)
    e = exp.load(path)
    os.unlink(path)
    tmp = tempfile.mkdtemp()
    orig_run, orig_qemu = exp.runner.run_test, exp.AVIC_QEMU
    exp.AVIC_QEMU = os.path.realpath(__file__)  # any file: no QEMU runs

    def fake_run_test(t):
        cfg, rep = t["name"].split("-")[-2], int(t["name"].split("-")[-1])
        log = os.path.join(tmp, t["name"] + ".log")
        with open(log, "w") as f:
            f.write("# qemu ...\n")
            f.write(f"[  1.000] [hello.elf] x={10 * rep + (cfg == 'b')}\n")
            f.write("[  1.100] bench: trace_on 100 cycles\n")
        failed = (cfg == "a" and rep == 2) or (cfg == "b" and fail_all_of_b)
        return (["QEMU exit status 3, expected 1"] if failed else []), 1.0, log, {}

    exp.runner.run_test = fake_run_test
    out = os.path.join(tmp, "out")
    logs = []
    try:
        status = exp.run(e, 3, out, log=logs.append)
    finally:
        exp.runner.run_test = orig_run
        exp.AVIC_QEMU = orig_qemu
    return status, out, logs


def run_writes_results():
    status, out, logs = run_case()
    problems = []
    if status != 0:
        problems.append(f"status {status}: {logs}")
    data = json.load(open(os.path.join(out, "results.json")))
    reps = data["repetitions"]
    if len(reps) != 6 or sum(not r["finished"] for r in reps) != 1:
        problems.append(f"repetitions {reps}")
    s = {(x["config"], x["metric"]): x for x in data["summary"]}
    a, b = s.get(("a", "x")), s.get(("b", "x"))
    if not a or (a["n"], a["median"], a["min"], a["max"]) != (2, 20.0, 10.0, 30.0):
        problems.append(f"summary of a: {a}")
    if not b or (b["n"], b["median"]) != (3, 21.0):
        problems.append(f"summary of b: {b}")
    for k in ("commit", "qemu", "host", "file_sha256"):
        if not data["meta"].get(k):
            problems.append(f"meta has no {k}")
    csv_rows = open(os.path.join(out, "results.csv")).read().splitlines()
    if csv_rows[0] != "config,repetition,metric,value,unit" or len(csv_rows) != 1 + 5 * 3:
        problems.append(f"results.csv: {csv_rows[:3]} ({len(csv_rows)} lines)")
    md = open(os.path.join(out, "summary.md")).read()
    for want in ("| x | ops | 20 (10–30) | 21 (11–31) |", "a (n=2)", "b (n=3)",
                 "failed repetition, not counted: a 2: QEMU exit status 3, expected 1"):
        if want not in md:
            problems.append(f"summary.md lacks {want!r}")
    png = os.path.join(out, "chart.png")
    if not os.path.exists(png) or open(png, "rb").read(8) != b"\x89PNG\r\n\x1a\n":
        problems.append("no chart.png")
    return problems


def run_fails_without_finished_config():
    status, out, logs = run_case(fail_all_of_b=True)
    return [] if status == 1 and any("no finished repetition for b" in x for x in logs) \
        else [f"status {status}, log {logs[-1:]}"]


CASES += [("metrics-from-log", metrics_case), ("run-writes-results", run_writes_results),
          ("run-fails-without-a-finished-configuration", run_fails_without_finished_config)]

if __name__ == "__main__":
    raise SystemExit(run_cases("experiment-tool", CASES))
