#!/usr/bin/env python3
"""`make run`: boot doorbell in QEMU (GRUB BIOS path, -machine q35) with at most one guest and
show the serial console on stdout. QEMU's exit status is passed through: a guest that writes C to
isa-debug-exit ends with (C << 1) | 1, exactly as under QEMU alone.

usage: run.py [--guest FILE] [--initrd FILE] [--vcpus N] [--mem SIZE] [--args "..."] [--opts "..."]
              [--smp N] [--timeout S] [--qemu PATH] [--cpu MODEL] [--avic 1 [--erratum 1]]

A bad or contradictory setting is refused before QEMU starts, with exit status 2."""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "qemu"))
import run as runner  # noqa: E402  (tests/qemu/run.py: ISO building shared with the tests)


def refuse(message):
    """A bad or contradictory setting: say what to do, exit 2 before anything runs (QEMU's
    status 1 means success, so a refusal must never look like one)."""
    print(f"make run: {message}", file=sys.stderr)
    sys.exit(2)


def number(name, value, default, lo, hi):
    if value == "":
        return default
    if not re.fullmatch(r"\d+", value) or not lo <= int(value) <= hi:
        refuse(f"{name}={value}: expected a whole number from {lo} to {hi}")
    return int(value)


def switch(name, value):
    if value not in ("", "0", "1"):
        refuse(f"{name}={value}: expected {name}=1 (or nothing)")
    return value == "1"


def settings(a):
    """Checks every setting and fills in the defaults; refuses what doorbell would not run as
    asked."""
    a.avic, a.erratum = switch("AVIC", a.avic), switch("ERRATUM", a.erratum)
    if a.erratum and not a.avic:
        refuse("ERRATUM=1 needs AVIC=1: erratum #1235 exists only on the AVIC platform "
               "(make run AVIC=1 ERRATUM=1)")
    if not a.guest and (a.vcpus or a.mem or a.args or a.vmopts):
        refuse("VCPUS=, MEM=, ARGS= and VMOPTS= describe the guest: give GUEST=path/to/kernel.elf "
               "too")
    for word in a.vmopts.split():
        if word.split("=")[0] in ("vcpus", "mem", "args"):
            refuse(f"VMOPTS={a.vmopts}: give {word.split('=')[0]}= as "
                   f"{word.split('=')[0].upper()}= (make run sets it)")
    if a.guest and not os.path.isfile(a.guest):
        refuse(f"GUEST={a.guest}: no such file; give the path of a Multiboot ELF kernel or a "
               f"Linux bzImage, e.g. GUEST=build/guests/hello.elf")
    if a.initrd and not a.guest:
        refuse("INITRD= is a Linux guest's initrd: give GUEST=path/to/bzImage too")
    if a.initrd and not os.path.isfile(a.initrd):
        refuse(f"INITRD={a.initrd}: no such file; give the path of an initramfs (cpio)")
    if a.initrd and os.path.basename(a.initrd) == os.path.basename(a.guest):
        refuse("GUEST= and INITRD= have the same file name: the modules are named by it")
    a.vcpus = number("VCPUS", a.vcpus, 1, 1, 16)
    a.smp = number("SMP", a.smp, 2, 1, 16)
    if a.mem == "":
        a.mem = "64M"
    m = re.fullmatch(r"(\d+)([KMG]?)", a.mem, re.I)
    size = int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()] if m else 0
    if not 2 << 20 <= size <= 3 << 30:
        refuse(f"MEM={a.mem}: expected a size from 2M to 3G, e.g. MEM=64M")
    if a.timeout and re.search(r"(^|\s)timeout=", a.opts):
        refuse("the timeout is given twice (TIMEOUT= and timeout= in OPTS): give it once")
    if not re.search(r"(^|\s)timeout=", a.opts):
        a.opts = f"timeout={number('TIMEOUT', a.timeout, 120, 0, 1000000)} {a.opts}".strip()


def run_console(cmd):
    """Runs QEMU with its serial console on our stdout, lines ending in LF: the serial driver
    ends them in CRLF for terminals, which scripts reading `stats` lines must not see
    (docs/stats.md)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out, held = sys.stdout.buffer, b""
    while True:
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        data = re.sub(rb"\r+\n", b"\n", held + chunk)
        kept = data.rstrip(b"\r")  # the CRs' LF may come with the next read
        held = data[len(kept):]
        out.write(kept)
        out.flush()
    out.write(held)
    out.flush()
    return proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest", default="")
    ap.add_argument("--initrd", default="",
                    help="a Linux bzImage guest's initrd (a second module, named by initrd=)")
    ap.add_argument("--vcpus", default="", help="1 to 16 (default 1)")
    ap.add_argument("--mem", default="", help="2M to 3G (default 64M)")
    ap.add_argument("--args", default="")
    ap.add_argument("--opts", default="")
    ap.add_argument("--vmopts", default="", help='more VM options, e.g. "trace=all cpus=1"')
    ap.add_argument("--smp", default="", help="host CPUs, 1 to 16 (default 2)")
    ap.add_argument("--timeout", default="", help="doorbell stops VMs after this many s (120)")
    ap.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    ap.add_argument("--cpu", default="EPYC-Rome,+svm")
    ap.add_argument("--avic", default="",
                    help="1: the patched QEMU (tools/qemu) with AVIC: -cpu EPYC-Rome,+svm,+avic")
    ap.add_argument("--erratum", default="",
                    help="1, with --avic 1: avic-erratum-1235=on (the lost wake-up of #1235)")
    a = ap.parse_args()
    settings(a)
    extra = []
    project_qemu = os.path.join(runner.BUILD, "qemu", "qemu-system-x86_64")
    if a.avic:
        a.qemu = project_qemu
        a.cpu = "EPYC-Rome,+svm,+avic" + (",avic-erratum-1235=on" if a.erratum else "")
    if os.path.abspath(a.qemu) == project_qemu:
        # the patched build carries no firmware: Debian's seabios and qemu-system-data
        extra = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
    guests = []
    if a.guest:
        opts = f"vcpus={a.vcpus} mem={a.mem} {a.vmopts}".strip()
        if a.initrd:
            opts += f" initrd={os.path.basename(a.initrd)}"
        if a.args:
            opts += f' args="{a.args}"'
        guests.append((os.path.abspath(a.guest), opts))
        if a.initrd:
            guests.append((os.path.abspath(a.initrd), ""))  # data: no VM options
    workdir = os.path.join(runner.BUILD, "run")
    os.makedirs(workdir, exist_ok=True)
    cmdline = a.opts
    iso = runner.make_iso(workdir, cmdline, guests)
    cmd = [a.qemu, "-machine", "q35", "-m", "1024", "-smp", str(a.smp), "-cpu", a.cpu,
           "-display", "none", "-no-reboot", "-serial", "stdio", "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-net", "none", "-cdrom", iso] + extra
    status = run_console(cmd)
    meaning = {1: "doorbell finished, every VM passed (or the guest wrote 0)",
               247: "doorbell refused its command line or policy (the reason is printed)",
               249: "a VM failed", 251: "a VM hung past the timeout",
               253: "a VM was stopped by a fatal fault", 255: "doorbell itself failed"}
    print(f"make run: QEMU exit status {status}: {meaning.get(status, 'the guest chose it')}",
          file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
