#!/usr/bin/env python3
"""`make experiment NAME=…`: runs an experiment described by a file, docs/experiments/NAME.toml
(docs/experiments/README.md), that records everything a run depends on: the platform (QEMU build,
-cpu with the AVIC and erratum switches, machine, host CPUs, memory, boot path), doorbell's
command line (policy, timeout, options), the guest (image, vCPUs, pinning, VM options, arguments),
the repetitions, the time limit, what a finished repetition looks like and the metrics to read
from each console log.

Each repetition runs every configuration once (configurations interleaved, so that a change in the
host's load spreads over all of them), through tests/qemu/run.py's boot paths. Written to the
results directory (default build/experiments/NAME): results.json (the run's commit, QEMU build
key, host, the experiment file itself, every repetition with its status and metrics), results.csv
(one row per repetition and metric), summary.md (median and spread per configuration and metric,
failed repetitions listed) and chart.png (tools/results.py), and each repetition's console log
under logs/. A failed repetition is reported and not counted; the run fails (status 1) only if a
configuration has no finished repetition, or the chart could not be drawn.

usage: experiment.py NAME|FILE [--repeat N] [--results DIR] [--list]"""
import argparse
import datetime
import hashlib
import importlib.util
import os
import platform as host_platform
import re
import shutil
import subprocess
import sys
import time
import tomllib

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def module(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


results = module("results", "tools/results.py")
runner = module("qemu_run", "tests/qemu/run.py")  # its boot paths and time limits

EXPERIMENTS = os.path.join(ROOT, "docs", "experiments")
AVIC_QEMU = os.path.join(ROOT, "build", "qemu", "qemu-system-x86_64")
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]

TOP_KEYS = {"name", "description", "repetitions", "time_limit_s", "defaults", "configurations",
            "metrics"}
# a configuration's keys, each also allowed in [defaults]
RUN_KEYS = {
    "qemu": str,               # "avic": the project's AVIC QEMU (tools/qemu); "debian": stock 7.2
    "avic": bool,              # -cpu …,+avic
    "erratum": bool,           # -cpu …,avic-erratum-1235=on (the platform switch; needs avic)
    "machine": str,            # QEMU -machine
    "host_cpus": int,          # QEMU -smp: the host CPUs doorbell gets
    "memory_mb": int,          # QEMU -m
    "boot": str,               # grub-bios, grub-efi or uefi (tests/qemu/run.py)
    "policy": str,             # doorbell's policy=: soft, errata or standard
    "doorbell_timeout_s": int,  # doorbell's timeout=: it stops the VM after this
    "doorbell_options": str,   # more of doorbell's command line (README "Command-line options")
    "guest": str,              # the guest image
    "vcpus": int,              # the guest's vCPUs
    "pinning": str,            # VM option cpus= (host CPUs for the vCPUs), "" for none
    "vm_options": str,         # more VM options (README "VM options"), e.g. "trace=all"
    "args": str,               # the guest's command line
    "expect_status": list,     # QEMU exit statuses of a finished repetition
    "finished": str,           # a console line (regex) that a finished repetition printed
}
CONFIG_KEYS = set(RUN_KEYS) | {"name"}
METRIC_KEYS = {"name": str, "unit": str, "pattern": str, "count": bool, "family": bool,
               "from": str}
POLICIES = ("soft", "errata", "standard")
BOOTS = ("grub-bios", "grub-efi", "uefi")


class Refused(Exception):
    pass


def available():
    return sorted(f[:-5] for f in os.listdir(EXPERIMENTS) if f.endswith(".toml"))


def load(name_or_path):
    """The experiment file, checked: every key known, every configuration complete and
    consistent. Raises Refused with what to do."""
    path = name_or_path if os.sep in name_or_path or name_or_path.endswith(".toml") else \
        os.path.join(EXPERIMENTS, name_or_path + ".toml")
    if not os.path.isfile(path):
        raise Refused(f"NAME={name_or_path}: no experiment file {os.path.relpath(path, ROOT)}; "
                      f"the experiments are {', '.join(available())} (docs/experiments/)")
    raw = open(path, "rb").read()
    try:
        e = tomllib.loads(raw.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise Refused(f"{path}: not valid TOML: {err}")
    where = os.path.relpath(path, ROOT)

    def unknown(keys, allowed, what):
        bad = sorted(set(keys) - set(allowed))
        if bad:
            raise Refused(f"{where}: unknown key {', '.join(bad)} in {what}; expected one of "
                          f"{', '.join(sorted(allowed))} (docs/experiments/README.md)")

    unknown(e, TOP_KEYS, "the top level")
    for k in ("name", "repetitions", "time_limit_s", "configurations", "metrics"):
        if k not in e:
            raise Refused(f"{where}: '{k}' missing (docs/experiments/README.md)")
    if not (isinstance(e["repetitions"], int) and 1 <= e["repetitions"] <= 100):
        raise Refused(f"{where}: repetitions = {e['repetitions']!r}: expected 1 to 100")
    if not (isinstance(e["time_limit_s"], int) and 10 <= e["time_limit_s"] <= 3600):
        raise Refused(f"{where}: time_limit_s = {e['time_limit_s']!r}: expected 10 to 3600")
    defaults = e.get("defaults", {})
    unknown(defaults, RUN_KEYS, "[defaults]")
    configs = []
    for i, c in enumerate(e["configurations"], 1):
        unknown(c, CONFIG_KEYS, f"[[configurations]] {i}")
        cfg = dict(defaults, **c)
        what = f"configuration {cfg.get('name', i)!r}"
        missing = sorted(k for k in CONFIG_KEYS if k not in cfg)
        if missing:
            raise Refused(f"{where}: {what} does not say {', '.join(missing)} (every argument is "
                          f"recorded: set it in [defaults] or in the configuration)")
        for k, t in RUN_KEYS.items():
            if not isinstance(cfg[k], t) or (t is int and isinstance(cfg[k], bool)):
                raise Refused(f"{where}: {what}: {k} = {cfg[k]!r}: expected a {t.__name__}")
        if cfg["qemu"] not in ("avic", "debian"):
            raise Refused(f"{where}: {what}: qemu = {cfg['qemu']!r}: expected avic or debian")
        if cfg["avic"] and cfg["qemu"] != "avic":
            raise Refused(f"{where}: {what}: avic = true needs qemu = \"avic\" (Debian's QEMU "
                          f"has no AVIC)")
        if cfg["erratum"] and not cfg["avic"]:
            raise Refused(f"{where}: {what}: erratum = true needs avic = true")
        if cfg["policy"] not in POLICIES:
            raise Refused(f"{where}: {what}: policy = {cfg['policy']!r}: expected "
                          f"{', '.join(POLICIES)}")
        if cfg["policy"] != "soft" and not cfg["avic"]:
            raise Refused(f"{where}: {what}: policy = {cfg['policy']!r} needs avic = true")
        if cfg["boot"] not in BOOTS:
            raise Refused(f"{where}: {what}: boot = {cfg['boot']!r}: expected {', '.join(BOOTS)}")
        if not cfg["expect_status"] or not all(isinstance(s, int) for s in cfg["expect_status"]):
            raise Refused(f"{where}: {what}: expect_status: expected a list of exit statuses")
        if cfg["doorbell_timeout_s"] >= e["time_limit_s"]:
            raise Refused(f"{where}: {what}: doorbell_timeout_s ({cfg['doorbell_timeout_s']}) "
                          f"must be below time_limit_s ({e['time_limit_s']}) so that doorbell, "
                          f"not the tool, ends a stuck VM")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", cfg["name"]):
            raise Refused(f"{where}: {what}: the name may hold letters, digits, _ . - only")
        configs.append(cfg)
    if len({c["name"] for c in configs}) != len(configs):
        raise Refused(f"{where}: two configurations have one name")
    for i, m in enumerate(e["metrics"], 1):
        unknown(m, METRIC_KEYS, f"[[metrics]] {i}")
        if m.get("from", "log") not in ("log", "elapsed"):
            raise Refused(f"{where}: metric {i}: from = {m['from']!r}: expected log or elapsed")
        if m.get("from") == "elapsed":
            if "name" not in m or "pattern" in m or m.get("family") or m.get("count"):
                raise Refused(f"{where}: metric {i}: from = \"elapsed\" takes a name only")
            continue
        if "pattern" not in m or ("name" not in m and not m.get("family")):
            raise Refused(f"{where}: metric {i} needs a pattern and a name (or family = true)")
        try:
            groups = re.compile(m["pattern"]).groupindex
        except re.error as err:
            raise Refused(f"{where}: metric {i}: pattern: {err}")
        if m.get("family") and not {"name", "value"} <= set(groups):
            raise Refused(f"{where}: metric {i}: a family's pattern names groups 'name' and "
                          f"'value'")
    e["configurations"] = configs
    e["path"] = where
    e["sha256"] = hashlib.sha256(raw).hexdigest()
    e["text"] = raw.decode()
    return e


def test_of(e, cfg, rep):
    """tests/qemu/run.py's description of one run."""
    opts = f"vcpus={cfg['vcpus']}" + (f" cpus={cfg['pinning']}" if cfg["pinning"] else "") + \
        (f" {cfg['vm_options']}" if cfg["vm_options"] else "") + \
        (f' args="{cfg["args"]}"' if cfg["args"] else "")
    cpu = "EPYC-Rome,+svm" + (",+avic" if cfg["avic"] else "") + \
        (",avic-erratum-1235=on" if cfg["erratum"] else "")
    cmdline = f"timeout={cfg['doorbell_timeout_s']} policy={cfg['policy']}" + \
        (f" {cfg['doorbell_options']}" if cfg["doorbell_options"] else "")
    t = dict(name=f"experiment-{e['name']}-{cfg['name']}-{rep}", boot=cfg["boot"],
             machine=cfg["machine"], smp=cfg["host_cpus"], mem=cfg["memory_mb"], cpu=cpu,
             cmdline=cmdline, guests=[(cfg["guest"], opts)], status=cfg["expect_status"],
             expect=[cfg["finished"]], timeout=e["time_limit_s"])
    if cfg["qemu"] == "avic":
        t.update(qemu=AVIC_QEMU, qemu_args=FIRMWARE)
    return t


def metrics_of(e, text, elapsed):
    """Each metric's value in one console log (a family gives one metric per name it matches);
    a metric whose pattern matches nothing is absent (count metrics are 0)."""
    out = {}
    for m in e["metrics"]:
        unit = m.get("unit", "")
        if m.get("from") == "elapsed":
            out[m["name"]] = (round(elapsed, 1), unit or "s")
            continue
        found = list(re.finditer(m["pattern"], text, re.M))
        if m.get("count"):
            out[m["name"]] = (float(len(found)), unit or "lines")
        elif m.get("family"):
            for f in found:
                out[f.group("name")] = (float(f.group("value")), unit or f.groupdict().get("unit"))
        elif found:
            out[m["name"]] = (float(found[-1].group(1)), unit)
    return out


def git(*args):
    p = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def qemu_builds(e):
    out = {}
    if any(c["qemu"] == "avic" for c in e["configurations"]):
        key = os.path.join(ROOT, "build", "qemu", ".key")
        out["avic"] = open(key).read().strip() if os.path.exists(key) else "unknown (no build/qemu/.key)"
    if any(c["qemu"] == "debian" for c in e["configurations"]):
        p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "qemu-system-x86"],
                           capture_output=True, text=True)
        out["debian"] = f"qemu-system-x86 {p.stdout.strip() or 'unknown'}"
    return out


def host():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), "unknown")
    return dict(uname=" ".join(host_platform.uname()), cpu=model, cpus=os.cpu_count(),
                load_average=list(os.getloadavg()), python=sys.version.split()[0])


def run(e, repeat, out_dir, log=print):
    configs = [c["name"] for c in e["configurations"]]
    for c in e["configurations"]:
        if not os.path.exists(os.path.join(ROOT, c["guest"])):
            raise Refused(f"{c['name']}: guest {c['guest']} not built (make all)")
        if c["qemu"] == "avic" and not os.path.exists(AVIC_QEMU):
            raise Refused(f"{c['name']}: no AVIC QEMU at build/qemu (make qemu-avic)")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(os.path.join(out_dir, "logs"))
    started = datetime.datetime.now(datetime.timezone.utc)
    meta = dict(experiment=e["name"], file=e["path"], file_sha256=e["sha256"],
                commit=git("rev-parse", "HEAD"),
                commit_dirty=bool(git("status", "--porcelain", "--untracked-files=no")),
                qemu=qemu_builds(e), host=host(), started=started.isoformat(timespec="seconds"),
                repetitions=repeat, repetitions_in_file=e["repetitions"],
                time_limit_s=e["time_limit_s"], command=" ".join(sys.argv))
    reps, rows = [], []
    for rep in range(1, repeat + 1):
        for cfg in e["configurations"]:
            t = test_of(e, cfg, rep)
            start = time.monotonic()
            try:
                problems, elapsed, log_path, _ = runner.run_test(t)
            except subprocess.CalledProcessError as err:
                problems, elapsed, log_path = [f"setup failed: {err}"], time.monotonic() - start, None
            text = ""
            if log_path and os.path.exists(log_path):
                kept = os.path.join(out_dir, "logs", f"{cfg['name']}-{rep}.log")
                shutil.copy(log_path, kept)
                lines = [re.sub(r"^\[[ 0-9.]+\] ", "", x.rstrip("\n")) for x in open(
                    log_path, errors="replace")]
                text = "\n".join(lines[1:])
            values = metrics_of(e, text, elapsed)
            ok = not problems
            reps.append(dict(config=cfg["name"], repetition=rep, finished=ok,
                             problems=problems, elapsed_s=round(elapsed, 1),
                             metrics={k: v for k, (v, _) in values.items()},
                             log=f"logs/{cfg['name']}-{rep}.log"))
            if ok:
                rows += [dict(config=cfg["name"], repetition=rep, metric=k, value=v, unit=u)
                         for k, (v, u) in values.items()]
            log(f"{'ok  ' if ok else 'FAIL'} {e['name']} {cfg['name']} {rep}/{repeat} "
                f"({elapsed:.1f} s)" + ("" if ok else ": " + "; ".join(problems)))
    summary = results.summarize(rows, configs)
    runs = {c: sum(1 for r in reps if r["config"] == c and r["finished"]) for c in configs}
    meta["ended"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    meta["load_average_end"] = list(os.getloadavg())
    results.write_json(os.path.join(out_dir, "results.json"),
                       dict(meta=meta, configurations=e["configurations"], repetitions=reps,
                            summary=summary, experiment_file=e["text"]))
    results.write_csv(os.path.join(out_dir, "results.csv"), rows)
    title = f"experiment {e['name']}"
    png = results.chart(os.path.join(out_dir, "chart.png"), title, summary, configs, log)
    md = report(e, meta, summary, configs, runs, reps, png)
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write(md)
    log(md)
    missing = [c for c in configs if not runs[c]]
    if missing:
        log(f"experiment: no finished repetition for {', '.join(missing)}")
    return 0 if png and not missing else 1


def report(e, meta, summary, configs, runs, reps, png):
    lines = [f"# Experiment {e['name']}", ""]
    if e.get("description"):
        lines += [e["description"].strip(), ""]
    lines += [f"- file: `{meta['file']}` (sha256 {meta['file_sha256'][:16]}…)",
              f"- command: `{meta['command']}`",
              f"- commit: {meta['commit']}" + (" (with uncommitted changes)"
                                               if meta["commit_dirty"] else ""),
              "- QEMU: " + "; ".join(f"{k}: {v}" for k, v in meta["qemu"].items()),
              f"- host: {meta['host']['cpu']}, {meta['host']['cpus']} CPUs, "
              f"{meta['host']['uname']}; load average {meta['host']['load_average'][0]:.1f} at "
              f"the start, {meta['load_average_end'][0]:.1f} at the end",
              f"- when: {meta['started']} to {meta['ended']}",
              f"- repetitions: {meta['repetitions']}" + (
                  f" (the file says {meta['repetitions_in_file']})"
                  if meta["repetitions"] != meta["repetitions_in_file"] else "") +
              f", each configuration once per repetition; time limit {e['time_limit_s']} s each",
              "", "Configurations:", ""]
    for c in e["configurations"]:
        lines.append(f"- `{c['name']}`: {c['qemu']} QEMU, -cpu EPYC-Rome,+svm"
                     + (",+avic" if c["avic"] else "")
                     + (",avic-erratum-1235=on" if c["erratum"] else "")
                     + f", {c['host_cpus']} host CPUs, {c['memory_mb']} MiB, {c['boot']}; "
                     f"doorbell `timeout={c['doorbell_timeout_s']} policy={c['policy']}"
                     + (f" {c['doorbell_options']}" if c["doorbell_options"] else "") + "`; "
                     f"`{c['guest']}` vcpus={c['vcpus']}"
                     + (f" cpus={c['pinning']}" if c["pinning"] else "")
                     + (f" {c['vm_options']}" if c["vm_options"] else "")
                     + (f' args="{c["args"]}"' if c["args"] else "")
                     + f"; finished: status {c['expect_status']} and /{c['finished']}/")
    lines += ["", "Each cell: median (min–max) over the n repetitions that finished.", "",
              results.markdown(summary, configs, runs).rstrip()]
    failed = [r for r in reps if not r["finished"]]
    if failed:
        lines += [""] + [f"- failed repetition, not counted: {r['config']} {r['repetition']}: "
                         f"{'; '.join(r['problems'])}" for r in failed]
    if png:
        lines += ["", "![every repetition and the median](chart.png)"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("name", nargs="?", help="an experiment of docs/experiments/ or a .toml file")
    ap.add_argument("--repeat", help="repetitions instead of the file's (1-100)")
    ap.add_argument("--results", help="the results directory (default build/experiments/NAME)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    try:
        if a.list:
            print("\n".join(available()))
            return 0
        if not a.name:
            raise Refused(f"NAME= missing: one of {', '.join(available())} "
                          f"(docs/experiments/README.md)")
        e = load(a.name)
        repeat = e["repetitions"]
        if a.repeat not in (None, ""):
            if not re.fullmatch(r"[0-9]+", a.repeat) or not 1 <= int(a.repeat) <= 100:
                raise Refused(f"REPEAT={a.repeat}: expected a number of repetitions from 1 to 100")
            repeat = int(a.repeat)
        out = a.results or os.path.join(ROOT, "build", "experiments", e["name"])
        return run(e, repeat, out)
    except Refused as r:
        print(f"make experiment: {r}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
