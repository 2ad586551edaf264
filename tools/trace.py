#!/usr/bin/env python3
"""Reads doorbell's exit trace (the `trace <vm> <vcpu> <seq> <tsc> <cpu> <kind> <a> <b> <c>` lines
of a VM run with the VM option trace=, docs/trace.md) from serial logs or stdin and prints:

  summary   (default) per exit reason, like `perf kvm stat`: the number of exits and the cycles
            from each exit to the vCPU's next entry (min, avg, max, and the share of all of them)
  timeline  every record, per vCPU (--vcpu N for one), or all vCPUs merged by TSC (--merged),
            with the time since the first record in µs (the TSC rate from the log's `timer:` line)
  icr       for each ICR write a guest marked (`trace-mark ... icr_write`): the sender's VMRUN
            before it, the target's IsRunning then and at the write, what followed (an exit, an
            IPI, a doorbell, a wake-up, or nothing) and the verdict, with the merged timeline
  csv       the records as CSV, for plotting

A guest's own `trace-mark <cpu> <tsc> <name> <a> <b> <c>` lines (docs/trace.md, "Guest marks")
join the timeline as records of kind <name>.

usage: trace.py [summary|timeline|icr|csv] [--vm NAME] [--vcpu N] [--merged] [FILE...]"""
import argparse
import re
import signal
import sys

LINE = re.compile(r"(?:^|\] )trace (\S+) (\d+) (\d+) ([0-9a-f]+) (\d+) ([a-z_]+) ([0-9a-f]+) "
                  r"([0-9a-f]+) ([0-9a-f]+)$")
# a guest's own event, on its console line `[<vm>] trace-mark ...` (guests/lib/trace_mark.h)
MARK = re.compile(r"\[(\S+)\] trace-mark (\d+) ([0-9a-f]+) ([a-z_]+) ([0-9a-f]+) ([0-9a-f]+) "
                  r"([0-9a-f]+)$")
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
    """The records, deduplicated (a snapshot, a stuck-vCPU report and the VM's end may print a
    record twice), each a dict (a guest mark has seq None and guest True); and the TSC rate in
    MHz if a log gave it."""
    seen, records, mhz = set(), [], None
    for f in files:
        for line in f:
            m = TSC_MHZ.search(line)
            if m and not line.lstrip("[ .0-9]").startswith("["):  # doorbell's own, not a guest's
                mhz = mhz or int(m.group(1))
            m = MARK.search(line.rstrip("\r\n"))
            if m and not (vm and m.group(1) != vm):
                key = (m.group(1), int(m.group(2)), m.group(4), m.group(3))
                if key not in seen:
                    seen.add(key)
                    records.append(dict(vm=m.group(1), vcpu=int(m.group(2)), seq=None,
                                        tsc=int(m.group(3), 16), cpu=None, kind=m.group(4),
                                        a=int(m.group(5), 16), b=int(m.group(6), 16),
                                        c=int(m.group(7), 16), guest=True))
                continue
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
                                c=int(m.group(9), 16), guest=False))
    records.sort(key=lambda r: (r["tsc"], r["vm"], r["vcpu"], -1 if r["seq"] is None else r["seq"]))
    return records, mhz


def describe(r):
    k, a, b, c = r["kind"], r["a"], r["b"], r["c"]
    if r["guest"]:
        if k == "icr_write":
            return (f"guest: ICR write to vCPU {a} (ICR 0x{b:x}), done {c - r['tsc']} cycles "
                    f"later (no record of doorbell's)")
        return f"guest: {k} a=0x{a:x} b=0x{b:x} c=0x{c:x}"
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
    groups = [records] if merged else [
        [r for r in records if (r["vm"], r["vcpu"]) == key]
        for key in sorted({(r["vm"], r["vcpu"]) for r in records})]
    for group in groups:
        if not merged:
            out.write(f"== vm {group[0]['vm']} vCPU {group[0]['vcpu']}: {len(group)} records\n")
        last_seq = {}
        for r in group:
            key = (r["vm"], r["vcpu"])
            if r["guest"]:
                pass
            elif key in last_seq and r["seq"] != last_seq[key] + 1:
                out.write(f"   ... {r['seq'] - last_seq[key] - 1} records overwritten or not "
                          f"printed\n")
            if not r["guest"]:
                last_seq[key] = r["seq"]
            out.write(line(r, t0, mhz, merged) + "\n")
    return 0


def line(r, t0, mhz, merged=True):
    """One timeline line: time since t0 (µs, or cycles without the TSC rate), CPU, event."""
    t = (r["tsc"] - t0) / mhz if mhz else r["tsc"] - t0
    who = f"vCPU {r['vcpu']} " if merged else ""
    where = "guest" if r["guest"] else f"cpu {r['cpu']}"
    return f"{t:>14.3f} {'us' if mhz else 'cycles'} {where:<5} {who}{describe(r)}"


def is_running(records, at):
    """The AVIC IsRunning bit of the last load/put in records (one vCPU's) at or before TSC at,
    with that record; (None, None) if the trace holds none."""
    last = None
    for r in records:
        if r["tsc"] > at:
            break
        if r["kind"] in ("load", "put"):
            last = r
    return (last["b"] >> 62 & 1, last) if last else (None, None)


def contiguous(records, first, last):
    """True if one vCPU's records hold every record from first to last (by seq): none of them
    was overwritten in the ring or left out of the printed part."""
    if first is None or last is None:
        return False
    seqs = {r["seq"] for r in records}
    return all(q in seqs for q in range(first["seq"], last["seq"] + 1))


def icr_writes(records):
    """For each guest-marked ICR write (kind icr_write: vCPU = sender, a = target vCPU, b = ICR,
    tsc..c = the TSCs read before and after the write): what doorbell's own records show around
    it. Each result is a dict; 'verdict' is one of
      lost        the target was blocked with IsRunning=0 at the write, its IsRunning was 1 at the
                  sender's latest VMRUN (or set after the sender's entry record: that record is
                  written just before VMRUN and a load record just after the bit is set, so
                  their order in the trace does not settle which came first), and cleared before
                  the write (a clear the sender cannot see until its next VMRUN: erratum #1235's
                  window, tools/qemu/README.md); the write left no record (no exit, IPI, doorbell
                  or kick) and the target was never woken up to the trace's end
      exit        the write exited (avic_incomplete_ipi) and doorbell delivered it
      accelerated the write took no exit and the target was running (IsRunning=1): AVIC
                  delivered it
      woken       the target was blocked, no record of the write, but something woke it later
      unknown     the trace does not hold the records needed ('missing' says which: their part
                  of the ring was overwritten or not printed, or the VM did not trace the exits,
                  ipi and sched groups)"""
    results = []
    for m in (r for r in records if r["guest"] and r["kind"] == "icr_write"):
        vm, s, t, t_write, t_done = m["vm"], m["vcpu"], m["a"], m["tsc"], m["c"]
        own = [r for r in records if r["vm"] == vm and not r["guest"]]
        sender = [r for r in own if r["vcpu"] == s]
        target = [r for r in own if r["vcpu"] == t]
        entry = next((r for r in reversed(sender)
                      if r["kind"] == "entry" and r["tsc"] <= t_write), None)
        after = next((r for r in sender if r["tsc"] > t_done), None)
        during = [r for r in sender if r["kind"] == "exit" and t_write <= r["tsc"] <= t_done]
        next_exit = next((r for r in sender if r["kind"] == "exit" and r["tsc"] >= t_write), None)
        resumed = next((r for r in sender if r["kind"] == "entry" and r["tsc"] > t_done), None)
        view, view_rec = is_running(target, entry["tsc"]) if entry else (None, None)
        now, now_rec = is_running(target, t_write)
        # IsRunning set after the sender's entry record, which precedes the VMRUN itself
        set_after = next((r for r in target if r["kind"] == "load" and r["b"] >> 62 & 1
                          and entry and entry["tsc"] < r["tsc"] <= t_write), None)
        stale = 1 if view == 1 or set_after else (0 if view == 0 else None)
        state = next((r for r in reversed(target)
                      if r["kind"] in ("block", "wake", "entry") and r["tsc"] <= t_write), None)
        blocked = state["kind"] == "block" if state else None
        horizon = resumed["tsc"] if resumed else float("inf")
        sent = [r for r in sender if t_write <= r["tsc"] <= horizon and (
            r["kind"] in ("doorbell", "kick") or (r["kind"] == "ipi" and r["a"] == t))]
        wake = next((r for r in target if r["kind"] == "wake" and r["tsc"] >= t_write), None)
        missing = []
        if not contiguous(sender, entry, after):
            missing.append(f"vCPU {s}'s records from its VMRUN before the write to its first "
                           f"record after it")
        latest = max((r for r in (now_rec, state) if r), key=lambda r: r["seq"], default=None)
        if not contiguous(target, view_rec, latest):
            missing.append(f"vCPU {t}'s load/put/block records around the write")
        if not wake and not contiguous(target, state, target[-1] if target else None):
            missing.append(f"vCPU {t}'s records from its block to the trace's end")
        if missing:
            verdict = "unknown"
        elif any(e["a"] & 0xffffffff == 0x401 for e in during):
            verdict = "exit"
        elif not blocked and now == 1:
            verdict = "accelerated"
        elif blocked and now == 0 and stale == 1 and not during and not sent and not wake:
            verdict = "lost"
        elif wake:
            verdict = "woken"
        else:
            verdict = "unknown"
        results.append(dict(mark=m, sender=s, target=t, entry=entry, after=after,
                            exits_during=during, next_exit=next_exit, view_at_vmrun=view,
                            view_record=view_rec, set_after_vmrun=set_after, stale_view=stale,
                            is_running_at_write=now,
                            is_running_record=now_rec, blocked=blocked, state_record=state,
                            sent=sent, wake=wake, missing=missing,
                            trace_end=own[-1]["tsc"] if own else None, verdict=verdict))
    return results


def icr(records, mhz, out):
    """The icr mode: each marked ICR write, what doorbell saw, and the merged timeline of the
    two vCPUs from the sender's VMRUN before it to the first records after it."""
    results = icr_writes(records)
    if not results:
        out.write("trace: no guest ICR write marks (trace-mark ... icr_write)\n")
        return 1

    def at(r, t):
        if r is None:
            return "(not in the trace)"
        d = r["tsc"] - t
        return f"{d / mhz:+.3f} us" if mhz else f"{d:+d} cycles"

    for x in results:
        m, s, t = x["mark"], x["sender"], x["target"]
        tw = m["tsc"]
        out.write(f"ICR write by vCPU {s} to vCPU {t} (ICR 0x{m['b']:x}), TSC {tw:x}-{m['c']:x}: "
                  f"{x['verdict']}\n")
        for what in x["missing"]:
            out.write(f"  not in the trace: {what}\n")
        out.write(f"  vCPU {s}: in guest mode since its entry (VMRUN) at {at(x['entry'], tw)}; "
                  + (f"{len(x['exits_during'])} exit(s) during the write" if x["exits_during"]
                     else "no exit during the write")
                  + (f"; next exit at {at(x['next_exit'], tw)} ({exit_name(x['next_exit']['a'])})"
                     if x["next_exit"] else "; no exit after it in the trace") + "\n")
        vr, nr = x["view_record"], x["is_running_record"]
        sa = x["set_after_vmrun"]
        out.write(f"  vCPU {t}: IsRunning={x['view_at_vmrun']} at vCPU {s}'s entry record "
                  f"({vr['kind'] if vr else '-'} at {at(vr, tw)}), "
                  + (f"set to 1 at {at(sa, tw)} ({at(sa, x['entry']['tsc'])} after vCPU {s}'s "
                     f"entry record, which precedes the VMRUN), " if sa else "")
                  + f"IsRunning={x['is_running_at_write']} at the write ({nr['kind'] if nr else '-'} "
                  f"at {at(nr, tw)}); " + ("blocked in HLT" if x["blocked"] else "not blocked")
                  + f" since {at(x['state_record'], tw)}\n")
        follow = [f"{r['kind']} at {at(r, tw)}" for r in x["sent"]]
        if x["wake"]:
            follow.append(f"vCPU {t} woken at {at(x['wake'], tw)}")
        out.write("  after the write: " + (", ".join(follow) if follow else
                  f"no avic_incomplete_ipi exit, no ipi, doorbell or kick record of vCPU {s}, "
                  f"no wake-up of vCPU {t} up to the trace's end "
                  f"({at({'tsc': x['trace_end']}, tw)})") + "\n")
        near = [r for r in (x["entry"], vr, sa, nr, x["state_record"]) if r]
        start = min([r["tsc"] for r in near] + [tw])
        ends = [r["tsc"] for r in (x["after"], x["wake"]) if r]
        end = max(ends) if ends else tw
        window = [line(r, tw, mhz) for r in records
                  if r["vm"] == m["vm"] and r["vcpu"] in (s, t) and start <= r["tsc"] <= end]
        if len(window) > 80:
            window[40:-40] = [f"{'':>14} ... {len(window) - 80} records"]
        out.write("".join(w + "\n" for w in window))
    return 0


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends it quietly
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("args", nargs="*", metavar="[summary|timeline|icr|csv] FILE")
    ap.add_argument("--vm")
    ap.add_argument("--vcpu", type=int)
    ap.add_argument("--merged", action="store_true", help="timeline: all vCPUs in one")
    a = ap.parse_intermixed_args()
    a.mode = "summary"
    if a.args and a.args[0] in ("summary", "timeline", "icr", "csv"):
        a.mode = a.args.pop(0)
    files = [open(f, errors="replace") for f in a.args] or [sys.stdin]
    records, mhz = read(files, a.vm)
    if a.vcpu is not None:
        records = [r for r in records if r["vcpu"] == a.vcpu]
    if a.mode == "summary":
        return summary(records, sys.stdout)
    if a.mode == "timeline":
        return timeline(records, mhz, a.merged, sys.stdout)
    if a.mode == "icr":
        return icr(records, mhz, sys.stdout)
    sys.stdout.write("vm,vcpu,seq,tsc,cpu,kind,a,b,c\n")
    for r in records:
        sys.stdout.write(",".join(str(r[k]) for k in
                                  ("vm", "vcpu", "seq", "tsc", "cpu", "kind", "a", "b", "c")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
