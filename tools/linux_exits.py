#!/usr/bin/env python3
"""The exits of a Linux guest run (docs/linux.md "Measured"): per-vCPU exit counts by reason from
doorbell's stats lines (docs/stats.md), IOIO by device, and the IPIs Linux received (the CAL, TLB
and RES lines of /proc/interrupts the workload prints at its end) against the exits that IPIs
cost: AVIC_INCOMPLETE_IPI under errata and standard; under soft every xAPIC access is a nested
page fault, so npf (xAPIC and IOAPIC together) bounds it from above.

usage: linux_exits.py SERIAL_LOG [VM_NAME]   (e.g. build/tests/linux-standard/serial.log)"""
import re
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    vm = sys.argv[2] if len(sys.argv) == 3 else "linux"
    stats = {}  # (vcpu, key) -> count
    ipis = {}
    stat = re.compile(rf"stats vm={re.escape(vm)} vcpu=(\d+) (exit|event)=(\S+)(?: (id|reg|dev)=(\S+))? count=(\d+)$")
    proc = re.compile(r"workload: /proc/interrupts (CAL|TLB|RES):((?: +\d+)+)")
    with open(sys.argv[1], errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = stat.search(line)
            if m:
                vcpu, kind, name, sub, subval, count = m.groups()
                key = f"{name} {sub}={subval}" if sub else (name if kind == "exit" else f"event {name}")
                stats[(int(vcpu), key)] = int(count)
                continue
            m = proc.search(line)
            if m:
                ipis[m.group(1)] = sum(int(x) for x in m.group(2).split())
    if not stats:
        sys.exit(f"{sys.argv[1]}: no stats lines of VM {vm}")
    vcpus = sorted({v for v, _ in stats})
    keys = sorted({k for _, k in stats}, key=lambda k: (k != "total", k.startswith("event"), k))
    print("| | " + " | ".join(f"v{v}" for v in vcpus) + " | all |")
    print("|---|" + "---|" * (len(vcpus) + 1))
    for k in keys:
        row = [stats.get((v, k), 0) for v in vcpus]
        print(f"| {k} | " + " | ".join(str(x) for x in row) + f" | {sum(row)} |")
    total_ipis = sum(ipis.values())
    if not total_ipis:
        print("no /proc/interrupts lines of the workload: IPIs unknown")
        return
    print(f"IPIs received (whole run): {total_ipis} (" +
          ", ".join(f"{k} {v}" for k, v in sorted(ipis.items())) + ")")
    for k in ("avic_incomplete_ipi", "npf"):
        n = sum(stats.get((v, k), 0) for v in vcpus)
        if n:
            print(f"{k} exits per IPI received: {n / total_ipis:.2f} ({n} / {total_ipis})")


if __name__ == "__main__":
    main()
