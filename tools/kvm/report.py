"""KVM's view of a run, from what tools/kvm/init.sh printed inside the L1 (docs/kvm.md):
its tracefs histograms as doorbell's `stats vm=… vcpu=… exit=… count=…` lines (docs/stats.md),
and whether AVIC stayed active (the APICv inhibit changes KVM traced)."""
import collections
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXIT_STATS_C = os.path.join(ROOT, "svm", "exit_stats.c")
NPF_BASE = 0x400  # EXIT_SLOT_NPF_BASE holds SVM exit code 400h (npf), +1 401h, ...
# 401h's ID (EXITINFO2[63:32], APM Table 15-25), which KVM's kvm_avic_incomplete_ipi traces as id
IPI_CAUSES = ["invalid_int_type", "target_not_running", "invalid_target", "invalid_backing_page",
              "invalid_vector", "unaccelerated"]
HIST_LINE = re.compile(r"^\{(?P<keys>[^}]*)\}\s*hitcount:\s*(?P<count>\d+)")
INHIBIT = re.compile(r"kvm_apicv_inhibit_changed:\s*(?P<op>set|cleared)\s+reason=(?P<reason>\d+),"
                     r"\s*inhibits=(?P<mask>0x[0-9a-f]+)")


def exit_names():
    """SVM exit code -> doorbell's name, read from doorbell's own table (svm/exit_stats.c), so
    that KVM's exits and doorbell's are named by one list."""
    names = {}
    with open(EXIT_STATS_C) as f:
        text = f.read()
    table = text[text.index("exit_names[EXIT_SLOTS]"):]
    table = table[:table.index("};")]
    for slot, name in re.findall(r"\[([^\]]+)\]\s*=\s*\"(\w+)\"", table):
        slot = slot.replace("EXIT_SLOT_NPF_BASE", str(NPF_BASE)).replace(" ", "")
        if re.fullmatch(r"[0-9x+a-f]+", slot):
            names[eval(slot)] = name  # only digits, 0x and +: the slot's exit code
    return names


def exit_name(code, names):
    if code in names:
        return names[code]
    if 0x40 <= code < 0x60:
        return f"exception_{code - 0x40}"
    return f"code_0x{code:x}"


def parse(lines):
    """{tracefs file: [lines]} between `kvm-l1: trace BEGIN f` and `kvm-l1: trace END f`."""
    blocks, current = {}, None
    for line in lines:
        m = re.match(r"^kvm-l1: trace (BEGIN|END) (\S+)$", line)
        if m:
            current = m.group(2) if m.group(1) == "BEGIN" else None
            if current:
                blocks[current] = []
        elif current:
            blocks[current].append(line)
    return blocks


def hist(block):
    """[(dict of keys, count)] of one histogram (keys as integers)."""
    rows = []
    for line in block:
        m = HIST_LINE.match(line.strip())
        if not m:
            continue
        keys = {}
        for part in m.group("keys").split(","):
            if ":" in part:
                k, v = part.split(":", 1)
                keys[k.strip()] = int(v.split()[0], 0)
        rows.append((keys, int(m.group("count"))))
    return rows


def stats_lines(vm, blocks):
    """doorbell's stats lines for KVM's counters, vCPU by vCPU (docs/kvm.md has the mapping)."""
    names = exit_names()
    per_vcpu = collections.defaultdict(list)
    exits = collections.defaultdict(collections.Counter)
    for keys, n in hist(blocks.get("kvm_exit", [])):
        exits[keys["vcpu_id"]][exit_name(keys["exit_reason"], names)] += n
    for v, c in exits.items():
        per_vcpu[v].append(("exit=total", sum(c.values())))
        per_vcpu[v] += [(f"exit={name}", n) for name, n in sorted(c.items())]
    ipi = collections.defaultdict(collections.Counter)
    for keys, n in hist(blocks.get("kvm_avic_incomplete_ipi", [])):
        i = keys["id"]
        ipi[keys["vcpu"]][IPI_CAUSES[i] if i < len(IPI_CAUSES) else f"id_{i}"] += n
    for v, c in ipi.items():
        per_vcpu[v] += [(f"exit=avic_incomplete_ipi id={k}", n) for k, n in sorted(c.items())]
    noaccel = collections.defaultdict(collections.Counter)
    for keys, n in hist(blocks.get("kvm_avic_unaccelerated_access", [])):
        noaccel[keys["vcpu"]][keys["offset"]] += n
    for v, c in noaccel.items():
        per_vcpu[v] += [(f"exit=avic_noaccel reg=0x{k:x}", n) for k, n in sorted(c.items())]
    for keys, n in hist(blocks.get("kvm_avic_ga_log", [])):
        per_vcpu[keys["vcpuid"]].append(("event=ga_log_wake", n))
    for keys, n in hist(blocks.get("kvm_avic_kick", [])):
        per_vcpu[keys["vcpu"]].append(("event=avic_kick", n))
    for keys, n in hist(blocks.get("kvm_avic_doorbell", [])):
        per_vcpu[keys["vcpuid"]].append(("event=doorbell", n))
    return [f"stats vm={vm} vcpu={v} {what} count={n}"
            for v in sorted(per_vcpu) for what, n in per_vcpu[v]]


def pio_lines(blocks, top=8):
    """The guest's port I/O KVM handled or passed to user space, busiest ports first (the
    kvm_pio tracepoint has no vCPU: all vCPUs together)."""
    rows = sorted(hist(blocks.get("kvm_pio", [])), key=lambda r: -r[1])
    return [f"kvm: port I/O port=0x{k['port']:x} {'write' if k.get('rw') else 'read'} count={n}"
            for k, n in rows[:top]]


MARKER = "kvm-l1: guest output begins"
# enum kvm_apicv_inhibit of Linux 6.1 (arch/x86/include/asm/kvm_host.h); 2, 7 and 8 are seen in
# every run (docs/kvm.md)
INHIBIT_NAMES = ["DISABLE", "HYPERV", "ABSENT", "BLOCKIRQ", "APIC_ID_MODIFIED",
                 "APIC_BASE_MODIFIED", "NESTED", "IRQWIN", "PIT_REINJ", "X2APIC", "SEV"]


def inhibit_name(reason):
    return INHIBIT_NAMES[reason] if reason < len(INHIBIT_NAMES) else f"reason_{reason}"


TIMESTAMP = re.compile(r"\s(\d+\.\d+):\s")


def inhibit_events(blocks):
    """[(op, reason, mask after, seconds)] in trace order; ("marker", None, None, seconds) where
    the guest's output began."""
    out = []
    for line in blocks.get("kvm_apicv_inhibit_changed", []):
        t = TIMESTAMP.search(line)
        t = float(t.group(1)) if t else 0.0
        m = INHIBIT.search(line)
        if m:
            out.append((m.group("op"), int(m.group("reason")), int(m.group("mask"), 16), t))
        elif MARKER in line:
            out.append(("marker", None, None, t))
    return out


def split_at_marker(events):
    """(events before the guest's first output line, marker time or None, events after)."""
    for i, e in enumerate(events):
        if e[0] == "marker":
            return events[:i], e[3], events[i + 1:]
    return events, None, []


def inhibit_summary(blocks):
    """Lines saying which inhibits KVM set before the guest's output began (VM set-up and the
    firmware), and every change after it, with its time since that first line."""
    before, t0, after = split_at_marker(inhibit_events(blocks))
    counts = collections.Counter(inhibit_name(e[1]) for e in before if e[0] == "set")
    out = ["kvm: apicv inhibits set before the guest's output: "
           + (", ".join(f"{n} x{c}" for n, c in sorted(counts.items())) or "none")]
    if before and before[-1][2]:
        out.append(f"kvm: apicv inhibits when the guest's output began: 0x{before[-1][2]:x}")
    out += [f"kvm: apicv inhibit {op} {(t - t0) * 1000:.1f} ms into the guest's output: "
            f"{inhibit_name(r)}, inhibits now 0x{m:x}" for op, r, m, t in after]
    return out


def avic_verdict(blocks, lines):
    """None when AVIC was active for the guest's run, else why not. Active: kvm_amd.avic=Y; no
    APICv inhibit set after the guest's first output line (its runtime has masked the PIC and
    LINT0 by then: guests/lib/apic.c) and none left at the end. An IRQWIN inhibit left from the
    firmware's last PIC timer tick is allowed to end at the guest's first interrupt window (its
    first STI), which is before it can take an interrupt (docs/kvm.md)."""
    if not any(line.strip() == "kvm-l1: kvm_amd.avic=Y" for line in lines):
        return "kvm_amd.avic is not Y: KVM did not enable AVIC (the CPU lacks it, or avic=0)"
    if "kvm_apicv_inhibit_changed" not in blocks:
        return "no kvm_apicv_inhibit_changed trace: cannot tell whether AVIC was inhibited"
    before, t0, after = split_at_marker(inhibit_events(blocks))
    if t0 is None:
        return "the guest printed nothing: no point from which AVIC could be checked"
    if not before:
        return "no APICv inhibit change traced before the guest ran: its initial state is unknown"
    for op, reason, mask, _ in after:
        if op == "set":
            return (f"AVIC was inhibited during the guest's run: {inhibit_name(reason)} set "
                    f"(inhibits 0x{mask:x}; docs/kvm.md)")
    final = (after or before)[-1][2]
    if final:
        names = "+".join(inhibit_name(i) for i in range(32) if final >> i & 1)
        hint = (": an IRQWIN left by the firmware's last timer tick lasts until the guest first "
                "enables interrupts, and this guest never did" if names == "IRQWIN" else "")
        return f"AVIC was inhibited ({names}) up to the end of the guest's run{hint} (docs/kvm.md)"
    return None


MARK = re.compile(r"^kvm-l1: mark vcpu=(?P<vcpu>\d+) exits=(?P<exits>\d+) nr 0x[0-9a-f]+ "
                  r"a0 0x(?P<a0>[0-9a-f]+) a1 0x(?P<a1>[0-9a-f]+) a2 0x(?P<a2>[0-9a-f]+) "
                  r"a3 0x(?P<a3>[0-9a-f]+) by(?P<by>( \S+:\d+)*)$")
OVERRUN = re.compile(r"^kvm-l1: trace cpu\d+ .*overrun: (\d+)")


def label(words):
    """The label of a mark: EBX, ECX, EDX as 12 bytes of ASCII, NUL-padded (guests/lib/kvm.h)."""
    raw = b"".join((w & 0xffffffff).to_bytes(4, "little") for w in words)
    return raw.split(b"\0")[0].decode("ascii", "replace")


def marks(lines):
    """[(vcpu, label, value, exits of the vCPU up to the mark, Counter of them by KVM's exit
    reason name)] in the order KVM traced them, or a string saying why there are none that can be
    trusted."""
    out, overrun = [], 0
    for line in lines:
        m = MARK.match(line)
        if m:
            by = collections.Counter({k: int(n) for k, n in
                                      (w.rsplit(":", 1) for w in m.group("by").split())})
            out.append((int(m.group("vcpu")), label(int(m.group(k), 16) for k in ("a0", "a1", "a2")),
                        int(m.group("a3"), 16), int(m.group("exits")), by))
        m = OVERRUN.match(line)
        if m:
            overrun += int(m.group(1))
    if overrun:
        return f"the L1's trace buffer overran ({overrun} events lost): exits between marks unknown"
    return out


def windows(lines):
    """{(label, vcpu): (exits, Counter by KVM's reason name)} between each vCPU's mark with value
    0 and its next mark of the same label with value 1 (the bench guest's start and end of a
    metric), or a string saying why not."""
    found = marks(lines)
    if isinstance(found, str):
        return found
    start, out = {}, {}
    for vcpu, name, value, exits, by in found:
        if value == 0:
            start[(name, vcpu)] = (exits, by)
        elif value == 1 and (name, vcpu) in start:
            exits0, by0 = start.pop((name, vcpu))
            out[(name, vcpu)] = (exits - exits0, by - by0)
    return out


def mark_lines(lines):
    """What `make run HV=kvm` prints for the marks: KVM's exits of each vCPU between them."""
    w = windows(lines)
    if isinstance(w, str):
        return [f"kvm: marks: {w}"]
    if not w:
        return ["kvm: marks: none (the guest marked nothing: guests/lib/kvm.h)"]
    return [f"kvm: exits between marks label={name} vcpu={vcpu} exits={n} ("
            + ", ".join(f"{k} {c}" for k, c in by.most_common()) + ")"
            for (name, vcpu), (n, by) in sorted(w.items())]

