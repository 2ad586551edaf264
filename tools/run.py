#!/usr/bin/env python3
"""`make run`: boot doorbell in QEMU (GRUB BIOS path, -machine q35) with at most one guest and
show the serial console on stdout. QEMU's exit status is passed through: a guest that writes C to
isa-debug-exit ends with (C << 1) | 1, exactly as under QEMU alone.

usage: run.py [--guest FILE] [--vcpus N] [--mem SIZE] [--args "..."] [--opts "..."]
              [--smp N] [--timeout S] [--qemu PATH] [--cpu MODEL] [--avic [--erratum]]"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "qemu"))
import run as runner  # noqa: E402  (tests/qemu/run.py: ISO building shared with the tests)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest", default="")
    ap.add_argument("--vcpus", default="1")
    ap.add_argument("--mem", default="64M")
    ap.add_argument("--args", default="")
    ap.add_argument("--opts", default="")
    ap.add_argument("--smp", default="2")
    ap.add_argument("--timeout", default="120", help="doorbell stops VMs after this many s")
    ap.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    ap.add_argument("--cpu", default="EPYC-Rome,+svm")
    ap.add_argument("--avic", action="store_true",
                    help="the patched QEMU (tools/qemu) with AVIC: -cpu EPYC-Rome,+svm,+avic")
    ap.add_argument("--erratum", action="store_true",
                    help="with --avic: avic-erratum-1235=on (the lost wake-up of erratum #1235)")
    a = ap.parse_args()
    extra = []
    if a.erratum and not a.avic:
        sys.exit("make run: ERRATUM=1 needs AVIC=1")
    if a.avic:
        a.qemu = os.path.join(runner.BUILD, "qemu", "qemu-system-x86_64")
        a.cpu = "EPYC-Rome,+svm,+avic" + (",avic-erratum-1235=on" if a.erratum else "")
        # the patched build carries no firmware: Debian's seabios and qemu-system-data
        extra = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
    guests = []
    if a.guest:
        if not os.path.exists(a.guest):
            sys.exit(f"make run: GUEST={a.guest}: no such file")
        opts = f"vcpus={a.vcpus} mem={a.mem}"
        if a.args:
            opts += f' args="{a.args}"'
        guests.append((os.path.abspath(a.guest), opts))
    workdir = os.path.join(runner.BUILD, "run")
    os.makedirs(workdir, exist_ok=True)
    cmdline = f"timeout={a.timeout} {a.opts}".strip()
    test = dict(name="run", boot="grub-bios", machine="q35", smp=a.smp, cpu=a.cpu, mem=1024,
                cmdline=cmdline, guests=[], qemu=a.qemu)
    iso = runner.make_iso(workdir, cmdline, guests)
    cmd = [a.qemu, "-machine", "q35", "-m", "1024", "-smp", a.smp, "-cpu", a.cpu,
           "-display", "none", "-no-reboot", "-serial", "stdio", "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-net", "none", "-cdrom", iso] + extra
    del test
    status = subprocess.call(cmd, stderr=subprocess.DEVNULL)
    meaning = {1: "doorbell finished, every VM passed (or the guest wrote 0)",
               249: "a VM failed", 251: "a VM hung past the timeout",
               253: "a VM was stopped by a fatal fault", 255: "doorbell itself failed"}
    print(f"make run: QEMU exit status {status}: {meaning.get(status, 'the guest chose it')}",
          file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
