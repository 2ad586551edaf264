#!/usr/bin/env python3
"""`make run HV=kvm`: the guest under Linux KVM instead of doorbell (docs/kvm.md). Debian's 6.1
kernel boots as L1 inside QEMU (the project's AVIC QEMU with AVIC=1, else Debian's), loads
kvm-amd with KVM_OPTS and runs the guest under Debian's QEMU with -accel kvm; the guest's serial
output appears as `[NAME] …`, then KVM's exits as `stats vm=NAME vcpu=… exit=… count=…`.
The exit status is make run's (README "make run"): the guest's isa-debug-exit status (C << 1) | 1
unchanged, and 1 when it powered off (ACPI S5), as doorbell reports that; 251 the guest still ran
after TIMEOUT s; 253 it shut down (triple fault or reset, QEMU's SHUTDOWN event says); 255 the L1
failed, or AVIC was asked for (avic=1) and KVM did not keep it active.

usage: run.py --guest FILE [--initrd FILE] [--vcpus N] [--mem SIZE] [--args "..."]
              [--kvm-opts "avic=1 ..."] [--smp N] [--timeout S] [--avic 1 [--erratum 1]]
              [--quiet] [--console-log FILE] [--marks] [--no-trace]
              [--plugin FILE --plugin-log FILE]"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in tools/kvm
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import l1  # noqa: E402
import report  # noqa: E402

# tools/run.py (doorbell's make run), for its checks of the settings both share
_spec = importlib.util.spec_from_file_location("doorbell_run",
                                               os.path.join(l1.ROOT, "tools", "run.py"))
doorbell_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(doorbell_run)

AVIC_QEMU = os.path.join(l1.ROOT, "build", "qemu", "qemu-system-x86_64")
# L1 boot, module load, tracing set-up and poweroff take about 15 s under TCG on an idle host;
# allowed on top of the guest's TIMEOUT before the L1 counts as hung.
L1_ALLOWANCE = 120
STATUS = re.compile(r"^kvm-l1: status (\d+)$")
# the outer QEMU's -cpu EPYC-Rome names features TCG lacks; one warning each, twice
TCG_WARNING = re.compile(r"^qemu-system-x86_64: warning: TCG doesn't support requested feature")
TIMED_OUT = 137  # busybox timeout -s KILL: the L2 QEMU killed by SIGKILL


def mem_mib(size):
    m = re.fullmatch(r"(\d+)([MG])", size.upper())
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1) if m else 0


def options():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--guest", default="")
    ap.add_argument("--initrd", default="", help="with a bzImage guest: its initrd")
    ap.add_argument("--vcpus", default="", help="1 to 16 (default 1)")
    ap.add_argument("--mem", default="", help="2M to 3G (default 64M)")
    ap.add_argument("--args", default="")
    ap.add_argument("--opts", default="", help="doorbell's options: refused under KVM")
    ap.add_argument("--kvm-opts", default="", help="kvm-amd parameters; kvm.X=Y goes to kvm.ko")
    ap.add_argument("--smp", default="", help="CPUs of the L1, 1 to 16 (default 2)")
    ap.add_argument("--timeout", default="", help="the guest is stopped after this many s (120)")
    ap.add_argument("--avic", default="", help="1: L1 on the AVIC QEMU, avic=1 by default")
    ap.add_argument("--erratum", default="", help="1, with --avic 1: avic-erratum-1235=on")
    ap.add_argument("--quiet", action="store_true", help="only the guest, stats and status lines")
    ap.add_argument("--console-log", help="write the L1's whole console (traces too) to this file")
    ap.add_argument("--marks", action="store_true",
                    help="count KVM's exits between the guest's marks (guests/lib/kvm.h)")
    ap.add_argument("--no-trace", action="store_true",
                    help="no exit histograms or marks in the L1 (for instruction counts)")
    ap.add_argument("--plugin", help="a TCG plugin for the outer QEMU (tools/qemu/plugins/)")
    ap.add_argument("--plugin-log", help="with --plugin: the file its output goes to")
    a = ap.parse_args()
    # make run's own checks (tools/run.py), where they mean the same under KVM
    a.avic = doorbell_run.switch("AVIC", a.avic)
    a.erratum = doorbell_run.switch("ERRATUM", a.erratum)
    if a.erratum and not a.avic:
        doorbell_run.refuse("ERRATUM=1 needs AVIC=1: erratum #1235 exists only on the AVIC "
                            "platform (make run HV=kvm AVIC=1 ERRATUM=1)")
    if not a.guest:
        doorbell_run.refuse("HV=kvm needs GUEST=file: a Multiboot v1 ELF kernel or a Linux "
                            "bzImage, e.g. GUEST=build/guests/hello.elf")
    for what, path in (("GUEST", a.guest), ("INITRD", a.initrd)):
        if path and not os.path.isfile(path):
            doorbell_run.refuse(f"{what}={path}: no such file")
    if bool(a.plugin) != bool(a.plugin_log):
        doorbell_run.refuse("--plugin and --plugin-log go together: the plugin's output needs "
                            "a file")
    if a.plugin and not a.avic:
        doorbell_run.refuse("--plugin needs --avic 1: the plugins are built for the project's "
                            "QEMU (make qemu-avic)")
    if a.opts:
        doorbell_run.refuse("OPTS= are doorbell's options; under HV=kvm give kvm-amd's as "
                            "KVM_OPTS=\"avic=1 ...\"")
    a.vcpus = doorbell_run.number("VCPUS", a.vcpus, 1, 1, 16)
    a.smp = doorbell_run.number("SMP", a.smp, 2, 1, 16)
    a.timeout = doorbell_run.number("TIMEOUT", a.timeout, 120, 1, 1000000)
    a.mem = a.mem or "64M"
    if not 2 <= mem_mib(a.mem) <= 3072:
        doorbell_run.refuse(f"MEM={a.mem}: expected a size from 2M to 3G, e.g. MEM=64M")
    return a


def outer_command(a, vmlinuz, initrd):
    if a.avic:
        if not os.path.exists(AVIC_QEMU):
            raise l1.Error(f"{AVIC_QEMU} missing: run make qemu-avic")
        qemu, cpu = AVIC_QEMU, "EPYC-Rome,+svm,+avic" + (",avic-erratum-1235=on" if a.erratum else "")
        firmware = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
    else:
        qemu, cpu, firmware = "qemu-system-x86_64", "EPYC-Rome,+svm", []
    # The L1 holds the unpacked initramfs (about 150 MB) and the guest's RAM.
    mem = 640 + mem_mib(a.mem)
    return [qemu, "-machine", "q35", "-m", str(mem), "-smp", str(a.smp), "-cpu", cpu,
            "-display", "none", "-no-reboot", "-serial", "stdio", "-monitor", "none",
            "-net", "none", "-kernel", vmlinuz, "-initrd", initrd,
            "-append", l1_cmdline(a.smp)] + firmware + (
                ["-plugin", a.plugin, "-d", "plugin", "-D", a.plugin_log] if a.plugin else [])


def l1_cmdline(cpus):
    """The L1 kernel's command line. tsc=reliable: under TCG the L1 finds its CPUs' TSCs
    unsynchronized and marks the TSC unstable, after which KVM updates every vCPU's clock, with a
    kick that wakes halted vCPUs, 100 ms after any vCPU load, which hardware KVM does not do and
    which ended lost wake-ups. CPUs 1 and up without the periodic tick while they run one task
    (nohz_full, RCU callbacks elsewhere), so that the vCPU pinned there stays in guest mode
    (tools/kvm/init.sh pins vCPU 0 to CPU 1). docs/kvm.md, "The erratum". no_timer_check:
    Linux's check_timer() wants 4 PIT ticks within a TSC window that a QEMU descheduled on a loaded
    host overruns ("IO-APIC + timer doesn't work!" panicked the L1 at load 19), as for the linux
    stage's guests (docs/linux.md)."""
    cmdline = ("console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off tsc=reliable "
               "no_timer_check")
    if cpus >= 2:
        cmdline += f" nohz_full=1-{cpus - 1} rcu_nocbs=1-{cpus - 1}"
    return cmdline


def status_of(l2, lines):
    """make run's status from the L2 QEMU's, with the reason."""
    if l2 == TIMED_OUT:
        return 251, "the guest still ran after the timeout (its QEMU was killed)"
    if l2 == 0:
        # QEMU -no-reboot exits with 0 for both; its SHUTDOWN event says which (tools/kvm/init.sh)
        if "kvm-l1: shutdown reason guest-shutdown" in lines:
            return 1, "the guest powered off (ACPI S5), as doorbell's make run reports it"
        return 253, "the guest shut down: triple fault or reset (QEMU -no-reboot exits with 0)"
    if l2 == 1 and any(l.startswith("kvm-l1: L1 QEMU: qemu-system-x86_64:") and "warning" not in l
                       for l in lines):
        return 255, "the L1's QEMU failed to start the guest (its message above)"
    if l2 & 1:
        return l2, f"the guest wrote {l2 >> 1} to isa-debug-exit"
    return 255, f"the L1's QEMU ended with status {l2}"


def main():
    a = options()
    kvm_opts = a.kvm_opts.strip() or ("avic=1" if a.avic else "avic=0")
    want_avic = re.search(r"(^|\s)avic=(1|y|Y)(\s|$)", kvm_opts) is not None
    name = os.path.basename(a.guest)
    try:
        vmlinuz, base = l1.base_initramfs()
        workdir = os.path.join(l1.BUILD, "run")
        initrd = l1.run_initrd(workdir, base, a.guest, a.initrd, dict(
            KVM_OPTS=kvm_opts, VCPUS=a.vcpus, MEM=a.mem, ARGS=a.args, TIMEOUT=a.timeout,
            MARKS=int(a.marks), TRACE=0 if a.no_trace else 1))
        cmd = outer_command(a, vmlinuz, initrd)
    except l1.Error as e:
        sys.exit(f"make run HV=kvm: {e}")
    limit = int(a.timeout) + L1_ALLOWANCE
    lines, l2 = [], None
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    in_trace = False
    console_log = open(a.console_log, "w") if a.console_log else None
    try:
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if console_log:
                console_log.write(line + "\n")
            m = STATUS.match(line)
            if m:
                l2 = int(m.group(1))
            if line.startswith("kvm-l1: trace "):
                in_trace = line.startswith("kvm-l1: trace BEGIN")
                continue
            quiet = a.quiet or in_trace or TCG_WARNING.match(line)
            show = line.startswith(f"[{name}]") or not quiet
            if show:
                print(line, flush=True)
            if time.monotonic() - start > limit:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if console_log:
            console_log.close()
    if l2 is None:
        if time.monotonic() - start > limit:
            status, why = 251, f"the L1 did not finish within {limit} s"
        else:
            status, why = 255, "the L1 ended without reporting the guest's status"
    else:
        status, why = status_of(l2, lines)
    blocks = report.parse(lines)
    for s in report.stats_lines(name, blocks):
        print(s)
    for line in report.inhibit_summary(blocks) + report.pio_lines(blocks):
        print(line)
    if a.marks:
        for line in report.mark_lines(lines):
            print(line)
    if want_avic and l2 is not None:
        problem = report.avic_verdict(blocks, lines)
        if problem:
            print(f"make run HV=kvm: FAILED: AVIC was asked for ({kvm_opts}) but {problem}",
                  file=sys.stderr)
            status, why = 255, "AVIC not active: this run compares nothing"
        else:
            print("kvm: AVIC active for the guest's run (kvm_amd.avic=Y, no APICv inhibit after its first STI)")
    print(f"make run: QEMU exit status {status}: {why} (under KVM, kvm-amd {kvm_opts})",
          file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
