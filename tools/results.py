#!/usr/bin/env python3
"""Results of repeated runs, for any tool that repeats a measurement (tools/experiment.py; meant
to be shared, e.g. by `make compare`): every repetition as CSV and JSON, the median and spread
(min-max) per configuration and metric as a Markdown table, and a PNG chart of every repetition
with its median.

The chart needs matplotlib: Debian's python3-matplotlib, which installs into Debian's own
interpreter (/usr/bin/python3), not necessarily the python3 that runs this. chart() draws in this
interpreter if it has matplotlib, else runs this file under /usr/bin/python3 (`results.py --chart
DATA.json OUT.png`); if neither has it, ensure_matplotlib() installs the package with apt-get
(as root) and says so, or says what to run.

Rows are dicts: config, repetition (1-based), metric, value (float), unit."""
import csv
import json
import os
import statistics
import subprocess
import sys

DEBIAN_PYTHON = "/usr/bin/python3"
CSV_FIELDS = ["config", "repetition", "metric", "value", "unit"]


def summarize(rows, configs=None):
    """Per (config, metric), in first-seen order: n, median, min, max, unit, and the values."""
    groups = {}
    for r in rows:
        groups.setdefault((r["config"], r["metric"]), []).append(r)
    order = configs or list(dict.fromkeys(r["config"] for r in rows))
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    out = []
    for m in metrics:
        for c in order:
            g = groups.get((c, m))
            if not g:
                continue
            v = [r["value"] for r in g]
            out.append(dict(config=c, metric=m, unit=g[0]["unit"], n=len(v),
                            median=statistics.median(v), min=min(v), max=max(v), values=v))
    return out


def fmt(x):
    return f"{x:.0f}" if abs(x) >= 100 or x == int(x) else f"{x:.2f}"


def markdown(summary, configs, runs=None):
    """A table: one row per metric, one column per configuration, each cell
    `median (min–max)`; runs (config -> repetitions that finished) adds n to the headers."""
    head = [f"{c} (n={runs.get(c, 0)})" if runs is not None else c for c in configs]
    lines = ["| metric | unit | " + " | ".join(head) + " |",
             "|---|---|" + "---|" * len(configs)]
    by = {(s["metric"], s["config"]): s for s in summary}
    for m in dict.fromkeys(s["metric"] for s in summary):
        unit = next(s["unit"] for s in summary if s["metric"] == m)
        cells = []
        for c in configs:
            s = by.get((m, c))
            cells.append("–" if not s else fmt(s["median"]) if s["n"] == 1 else
                         f"{fmt(s['median'])} ({fmt(s['min'])}–{fmt(s['max'])})")
        lines.append(f"| {m} | {unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")


def has_matplotlib(python):
    if python == sys.executable:
        try:
            import matplotlib  # noqa: F401
            return True
        except ImportError:
            return False
    return os.path.exists(python) and subprocess.run(
        [python, "-c", "import matplotlib"], capture_output=True).returncode == 0


def ensure_matplotlib(log=print):
    """The interpreter to draw with, installing Debian's python3-matplotlib if no interpreter has
    matplotlib; None (after saying what to do) if that fails."""
    for python in (sys.executable, DEBIAN_PYTHON):
        if has_matplotlib(python):
            return python
    log("results: installing python3-matplotlib (apt-get) for the chart")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "-qq", "python3-matplotlib"],
                ["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "python3-matplotlib"]):
        ok = subprocess.run(cmd, env=env, capture_output=True).returncode == 0
        if ok and cmd[1] == "install" and has_matplotlib(DEBIAN_PYTHON):
            return DEBIAN_PYTHON
    log("results: no chart: apt-get install python3-matplotlib failed; run it as root")
    return None


def chart(path, title, summary, configs, log=print):
    """A PNG: one panel per metric, each configuration's repetitions as dots and its median as a
    bar. True if written."""
    python = ensure_matplotlib(log)
    if python is None:
        return False
    data = dict(title=title, configs=configs, summary=summary)
    if python == sys.executable:
        draw(data, path)
        return True
    tmp = path + ".json"
    write_json(tmp, data)
    p = subprocess.run([python, os.path.abspath(__file__), "--chart", tmp, path],
                       capture_output=True, text=True)
    os.unlink(tmp)
    if p.returncode:
        log(f"results: the chart failed: {p.stderr.strip()[-400:]}")
    return p.returncode == 0


def draw(data, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    configs = data["configs"]
    metrics = list(dict.fromkeys(s["metric"] for s in data["summary"]))
    cols = min(4, len(metrics)) or 1
    rows = (len(metrics) + cols - 1) // cols or 1
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    by = {(s["metric"], s["config"]): s for s in data["summary"]}
    for i, m in enumerate(metrics):
        ax = axes[i // cols][i % cols]
        unit = next(s["unit"] for s in data["summary"] if s["metric"] == m)
        for x, c in enumerate(configs):
            s = by.get((m, c))
            if not s:
                continue
            ax.bar(x, s["median"], color="#9bbbd4", width=0.6)
            ax.plot([x] * len(s["values"]), s["values"], "o", color="#1f3b57", markersize=3)
        ax.set_xticks(range(len(configs)))
        ax.set_xticklabels(configs, rotation=20, fontsize=7, ha="right")
        ax.set_title(f"{m} ({unit})", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    for j in range(len(metrics), rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle(data["title"] + " — bars: median, dots: repetitions", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=72)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--chart":
        with open(sys.argv[2]) as f:
            draw(json.load(f), sys.argv[3])
        sys.exit(0)
    sys.exit("usage: results.py --chart DATA.json OUT.png (the chart of a tool that imports this)")
