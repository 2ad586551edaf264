#!/usr/bin/env python3
"""Reads doorbell's exit trace (the `trace <vm> <vcpu> <seq> <tsc> <cpu> <kind> <a> <b> <c>` lines
of a VM run with the VM option trace=, docs/trace.md) from serial logs or stdin and prints:

  summary   (default) per exit reason, like `perf kvm stat`: the number of exits and the cycles
            from each exit to the vCPU's next entry (min, avg, max, and the share of all of them)
  timeline  every record, per vCPU (--vcpu N for one), or all vCPUs merged by TSC (--merged),
            with the time since the first record in µs (the TSC rate from the log's `timer:` line)
  csv       the records as CSV, for plotting

usage: trace.py [summary|timeline|csv] [--vm NAME] [--vcpu N] [--merged] [FILE...]"""
import argparse
import re
import sys

LINE = re.compile(r"(?:^|\] )trace (\S+) (\d+) (\d+) ([0-9a-f]+) (\d+) ([a-z_]+) ([0-9a-f]+) "
                  r"([0-9a-f]+) ([0-9a-f]+)$")
TSC_MHZ = re.compile(r"timer: TSC (\d+) MHz")
# SVM exit codes (AMD APM vol. 2, appendix C), as docs/stats.md names them
EXITS = {0x60: "intr", 0x61: "nmi", 0x63: "init", 0x64: "vintr", 0x72: "cpuid", 0x74: "iret",
         0x76: "invd", 0x77: "pause", 0x78: "hlt", 0x7a: "invlpga", 0x7b: "ioio", 0x7c: "msr",
         0x7d: "task_switch", 0x7f: "shutdown", 0x80: "vmrun", 0x81: "vmmcall", 0x87: "rdtscp",
         0x89: "wbinvd", 0x8d: "xsetbv", 0x400: "npf", 0x401: "avic_incomplete_ipi",
         0x402: "avic_noaccel"}
AVIC_IPI_CAUSES = ["invalid_int_type", "target_not_running", "invalid_target",
                   "invalid_backing_page", "invalid_vector", "unaccelerated"]


def exit_name(code):
    code &= 0xffffffff
    if 0x40 <= code < 0x60:
        return f"exception_{code - 0x40}"
    return EXITS.get(code, f"code_0x{code:x}")


def read(files, vm=None):
    """The records, deduplicated (a stuck-vCPU report and the VM's end may print a record
    twice), each a dict; and the TSC rate in MHz if a log gave it."""
    seen, records, mhz = set(), [], None
    for f in files:
        for line in f:
            m = TSC_MHZ.search(line)
            if m and not line.lstrip("[ .0-9]").startswith("["):  # doorbell's own, not a guest's
                mhz = mhz or int(m.group(1))
            m = LINE.search(line.rstrip("\r\n"))
            if not m or (vm and m.group(1) != vm):
                continue
            key = (m.group(1), int(m.group(2)), int(m.group(3)))
            if key in seen:
                continue
            seen.add(key)
            records.append(dict(vm=m.group(1), vcpu=int(m.group(2)), seq=int(m.group(3)),
                                tsc=int(m.group(4), 16), cpu=int(m.group(5)), kind=m.group(6),
                                a=int(m.group(7), 16), b=int(m.group(8), 16),
                                c=int(m.group(9), 16)))
    records.sort(key=lambda r: (r["tsc"], r["vm"], r["vcpu"], r["seq"]))
    return records, mhz


def describe(r):
    k, a, b, c = r["kind"], r["a"], r["b"], r["c"]
    if k == "exit":
        text = f"exit {exit_name(a)} info1=0x{b:x} info2=0x{c:x}"
        if a & 0xffffffff == 0x401:
            cause = c >> 32
            text += f" ({AVIC_IPI_CAUSES[cause] if cause < 6 else cause}, target {c & 0xfff})"
        return text
    if k == "entry":
        return f"entry rip=0x{a:x} rflags=0x{b:x}" + (f" event_inj=0x{c:x}" if c >> 31 & 1 else "")
    if k == "ipi":
        return f"ipi sent to vCPU {a} (ICR/vector 0x{b:x})"
    if k in ("doorbell", "kick"):
        return f"{k} rung at host APIC ID {a}"
    if k == "wake":
        return "woken " + ("by no vCPU (tick, GA log or self)" if a == (1 << 64) - 1
                           else f"by vCPU {a} of VM {b}")
    if k == "block":
        return f"blocked in HLT at rip=0x{a:x}"
    if k in ("load", "put"):
        what = f"loaded on host APIC ID {a}" if k == "load" else ("put (blocking)" if a else "put")
        return f"{what}, AVIC entry 0x{b:x} IsRunning={b >> 62 & 1}"
    if k == "irte":
        return f"{b} IRTE(s) now at host APIC ID {a if a < 1 << 63 else -1}"
    if k == "ga_log":
        return f"GA log entry, device 0x{a:x}"
    return k


def summary(records, out):
    """Exit to next entry of the same vCPU: the hypervisor's time for each exit reason."""
    pending, stats = {}, {}
    for r in records:
        key = (r["vm"], r["vcpu"])
        if r["kind"] == "exit":
            pending[key] = r
        elif r["kind"] == "entry" and key in pending:
            e = pending.pop(key)
            stats.setdefault(exit_name(e["a"]), []).append(r["tsc"] - e["tsc"])
    if not stats:
        out.write("trace: no exit/entry pairs (was the VM run with trace=exits?)\n")
        return 1
    total = sum(sum(v) for v in stats.values())
    n_all = sum(len(v) for v in stats.values())
    out.write(f"{'exit reason':<22} {'samples':>8} {'samples%':>9} {'time%':>7} "
              f"{'min cycles':>11} {'avg cycles':>11} {'max cycles':>11}\n")
    for name, v in sorted(stats.items(), key=lambda kv: -len(kv[1])):
        out.write(f"{name:<22} {len(v):>8} {100 * len(v) / n_all:>8.2f}% "
                  f"{100 * sum(v) / total:>6.2f}% {min(v):>11} {sum(v) // len(v):>11} "
                  f"{max(v):>11}\n")
    out.write(f"{'total':<22} {n_all:>8}\n")
    return 0


def timeline(records, mhz, merged, out):
    if not records:
        out.write("trace: no records\n")
        return 1
    t0 = records[0]["tsc"]
    unit = "us" if mhz else "cycles"
    groups = [records] if merged else [
        [r for r in records if (r["vm"], r["vcpu"]) == key]
        for key in sorted({(r["vm"], r["vcpu"]) for r in records})]
    for group in groups:
        if not merged:
            out.write(f"== vm {group[0]['vm']} vCPU {group[0]['vcpu']}: {len(group)} records\n")
        last_seq = {}
        for r in group:
            key = (r["vm"], r["vcpu"])
            if key in last_seq and r["seq"] != last_seq[key] + 1:
                out.write(f"   ... {r['seq'] - last_seq[key] - 1} records overwritten or not "
                          f"printed\n")
            last_seq[key] = r["seq"]
            t = (r["tsc"] - t0) / mhz if mhz else r["tsc"] - t0
            who = f"vCPU {r['vcpu']} " if merged else ""
            out.write(f"{t:>14.3f} {unit} cpu {r['cpu']} {who}{describe(r)}\n")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("args", nargs="*", metavar="[summary|timeline|csv] FILE")
    ap.add_argument("--vm")
    ap.add_argument("--vcpu", type=int)
    ap.add_argument("--merged", action="store_true", help="timeline: all vCPUs in one")
    a = ap.parse_intermixed_args()
    a.mode = "summary"
    if a.args and a.args[0] in ("summary", "timeline", "csv"):
        a.mode = a.args.pop(0)
    files = [open(f, errors="replace") for f in a.args] or [sys.stdin]
    records, mhz = read(files, a.vm)
    if a.vcpu is not None:
        records = [r for r in records if r["vcpu"] == a.vcpu]
    if a.mode == "summary":
        return summary(records, sys.stdout)
    if a.mode == "timeline":
        return timeline(records, mhz, a.merged, sys.stdout)
    sys.stdout.write("vm,vcpu,seq,tsc,cpu,kind,a,b,c\n")
    for r in records:
        sys.stdout.write(",".join(str(r[k]) for k in
                                  ("vm", "vcpu", "seq", "tsc", "cpu", "kind", "a", "b", "c")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
