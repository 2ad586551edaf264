# Debian's own Linux kernel as a doorbell guest (issue 13; docs/linux.md): linux-image-amd64
# (6.1) with 4 vCPUs on 2 host CPUs and the initramfs of guests/linux (busybox-static and the
# workload), under soft (Debian's QEMU 7.2) and errata and standard (the AVIC platform,
# tools/qemu). Each run must bring all 4 CPUs online, run the workload to its expected counts with
# IPIs of each kind, show no RCU stall, soft lockup or hung task, and power off (ACPI S5: status
# 1). The same kernel and initramfs also boot under QEMU alone, for the boot-time comparison
# (timing marks: QEMU start to /init, and to the power-off). Read by tests/qemu/run.py; run after
# `make qemu-avic`. The kernel and busybox are fetched with apt-get download on first use
# (tools/debian/fetch.sh, cached in ~/.cache/doorbell-debian).
# And the erratum #1235 stall side by side (docs/linux.md "The erratum"): on the AVIC platform
# with avic-erratum-1235=on, the errata run takes every wake-up in time and under standard the
# workload reports a wake-up not taken (a stall) and doorbell's lost wake-up watch shows the
# sleeper blocked in HLT with the vector pending in its IRR, IsRunning clear.
import glob
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
scope = {"__file__": os.path.join(ROOT, "tests", "qemu", "guests.py")}
with open(scope["__file__"]) as f:
    exec(compile(f.read(), scope["__file__"], "exec"), scope)
vm_test, FORBID, CLEAN = scope["vm_test"], scope["FORBID"], scope["CLEAN"]

AVIC_QEMU = os.path.join(ROOT, "build", "qemu", "qemu-system-x86_64")
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
VCPUS = 4
ROUNDS = 30
# a loaded 2-core host boots the kernel in 60-110 s under doorbell (docs/linux.md)
LIMIT = 420
STALL_MS = 15000  # a round this slow ends the workload as stalled (a lost wake-up)
# no_timer_check: Linux's check_timer() wants 4 PIT ticks within 160 million TSC cycles; a QEMU
# descheduled on a loaded host sees its TSC jump past that window (panic "IO-APIC + timer doesn't
# work" in 1 of 5 runs at load 19). IRQ0 through the IOAPIC is checked below instead.
ARGS = f"console=ttyS0 no_timer_check workload_rounds={ROUNDS} workload_stall_ms={STALL_MS}"
# The erratum runs (avic-erratum-1235=on), errata and standard side by side, the workload with its
# phase 4 (idle wake-ups sent from a CPU that stayed in guest mode). The workload reports a
# wake-up of phase 4 not answered within WAKE_MS as a stall and goes on; doorbell's lost wake-up
# watch reports a vCPU blocked in HLT with a deliverable vector for 100 ms. A lost wake-up lasts
# until the sleeper's own timer fires (0.2-2.7 s seen); the host's load alone delayed one wake-up
# under errata by 2.3 s with the watch silent (docs/linux.md). So the watch is the criterion:
# silent under errata, and under standard (at 200 ms then) it reported 1-3 losses in each of 6
# runs of 30-100 rounds, so the stall run has 45 rounds of phase 4 alone; the workload's stall
# lines are printed, not asserted.
WAKE_MS = 1000
STALL_ROUNDS = 45
WAKEUPS_PER_ROUND = 24  # guests/linux/workload.c, in each pair of CPUs
ERRATUM_CPU = "EPYC-Rome,+svm,+avic,avic-erratum-1235=on"
ERRATUM_ARGS = (f"console=ttyS0 no_timer_check workload_rounds={{rounds}} "
                f"workload_stall_ms={STALL_MS} workload_wake_ms={WAKE_MS} workload_phases=1234")
STUCK = r"^debug vm=linux vcpu=\d+ stuck: "

kernel_dir = subprocess.run([os.path.join(ROOT, "tools", "debian", "fetch.sh"),
                             "linux-image-amd64"], check=True, capture_output=True,
                            text=True).stdout.split()[-1]
KERNEL = sorted(glob.glob(os.path.join(kernel_dir, "boot", "vmlinuz-*")))[-1]
subprocess.run(["make", "--no-print-directory", "-C", ROOT, "linux-initrd"], check=True,
               capture_output=True)
INITRD = os.path.join(ROOT, "build", "guests", "linux", "initrd.gz")

LINUX_FORBID = FORBID + [r"detected stalls? on CPUs", r"rcu_sched detected stall",
                         r"soft lockup", r"blocked for more than \d+ seconds", r"Oops",
                         r"BUG:"]
# Linux sends its IPIs in flat logical mode: they must reach the AVIC through the logical APIC ID
# table (each one an invalid target until doorbell kept that table after trapped LDR writes)
AVIC_FORBID = [r"exit=avic_incomplete_ipi id=invalid_target ", STUCK]


def linux_expect(vm, wakeups=False):
    total = VCPUS * ROUNDS
    n = ROUNDS * (VCPUS // 2) * WAKEUPS_PER_ROUND if wakeups else 0
    return [rf"^\[{vm}\] \[ *[\d.]+\] smpboot: Total of {VCPUS} processors activated",
            rf"^\[{vm}\] init: {VCPUS} CPUs online: 0-{VCPUS - 1}$",
            # the PIT's IRQ0 through IOAPIC pin 2 and the UART's IRQ 4 were taken
            rf"^\[{vm}\] init: irq 0:(?: +\d+)* +[1-9]\d*(?: +\d+)* +IO-APIC +2-edge +timer$",
            rf"^\[{vm}\] init: irq 4:(?: +\d+)* +[1-9]\d*(?: +\d+)* +IO-APIC +4-edge +ttyS0$",
            rf"^\[{vm}\] workload: {VCPUS} threads \(one per CPU, pinned\), {ROUNDS} rounds$",
            rf"^\[{vm}\] workload: heartbeat round {ROUNDS} of {ROUNDS} at \d+ ms$",
            rf"^\[{vm}\] workload: slowest round \d+ took \d+ ms$",
            rf"^\[{vm}\] workload: handoffs {total} \(expected {total}\)$",
            rf"^\[{vm}\] workload: wake-ups after a gap {n} \(expected {n}\), slowest \d+ ms$",
            rf"^\[{vm}\] workload: mprotects {ROUNDS * 4} munmaps {ROUNDS} membarriers {ROUNDS}$",
            rf"^\[{vm}\] workload: IPIs during the workload: CAL [1-9]\d* TLB [1-9]\d* "
            rf"RES [1-9]\d*$",
            rf"^\[{vm}\] workload: passed$",
            rf"^\[{vm}\] init: workload exit status 0$"]


TIMING = {"init": r"Run /init as init process", "poweroff": r"reboot: Power down"}


def on_policy(policy, erratum=False):
    args = ERRATUM_ARGS.format(rounds=ROUNDS) if erratum else ARGS
    t = vm_test(f"linux-{policy}",
                [(KERNEL, f'name=linux vcpus={VCPUS} mem=256M initrd=initrd.gz args="{args}"'),
                 (INITRD, "")],
                linux_expect("linux", wakeups=erratum) + [
                    rf"^avic: policy {policy} ",
                    # the platform as Linux reads it: FADT, MADT overrides, S5, the UART
                    r"^\[linux\] \[ *[\d.]+\] ACPI: PM-Timer IO Port: 0x608$",
                    r"^\[linux\] \[ *[\d.]+\] ACPI: INT_SRC_OVR \(bus 0 bus_irq 0 global_irq 2 ",
                    r"^\[linux\] \[ *[\d.]+\] ACPI: INT_SRC_OVR \(bus 0 bus_irq 9 global_irq 9 high "
                    r"level\)$",
                    r"^\[linux\] \[ *[\d.]+\] ACPI: PM: \(supports S0 S5\)$",
                    r"^\[linux\] \[ *[\d.]+\] serial8250: ttyS0 at I/O 0x3f8 \(irq = 4, "
                    r"base_baud = 115200\) is a 16550A$",
                    r"^vm linux: ended: guest powered off \(ACPI S5: SLP_EN with SLP_TYP 5\); "
                    r"exit value 0x0 \(from the guest\)",
                    rf"^stats vm=linux vcpu={VCPUS - 1} exit=total count=\d+$"],
                forbid=LINUX_FORBID + AVIC_FORBID, cmdline=f"timeout={LIMIT} policy={policy}",
                timeout=LIMIT + 60, timing=TIMING)
    t["name"] = f"linux-{policy}" + ("-erratum" if erratum else "")
    if policy != "soft":
        t["qemu"], t["qemu_args"] = AVIC_QEMU, FIRMWARE
        t["cpu"] = ERRATUM_CPU if erratum else "EPYC-Rome,+svm,+avic"
    return t


def erratum_stall():
    """standard with the erratum: the stall, and doorbell's view of the stuck vCPU"""
    # only phase 4, where every loss was seen (vector 251), to keep the stage's time
    args = ERRATUM_ARGS.format(rounds=STALL_ROUNDS).replace("workload_phases=1234",
                                                             "workload_phases=4")
    t = vm_test("linux-standard-erratum-stall",
                [(KERNEL, f'name=linux vcpus={VCPUS} mem=256M initrd=initrd.gz args="{args}"'),
                 (INITRD, "")],
                [r"^avic: policy standard ",
                 rf"^\[linux\] \[ *[\d.]+\] smpboot: Total of {VCPUS} processors activated",
                 # the sleeper as doorbell sees it: blocked, the IPI's vector in its IRR, the
                 # AVIC's IsRunning clear: nobody will wake it but its own timer
                 STUCK + r"blocked in HLT with IF=1 for \d+ ms, vector \d+ deliverable in its "
                 r"IRR, running_on=-1 is_running=0 timer_in_ms=-?\d+: a lost wake-up$",
                 r"^\[linux\] workload: wake-ups answered after more than 100 ms: \d+, after "
                 rf"more than {WAKE_MS} ms \(stalls\): \d+$",
                 r"^\[linux\] workload: passed$", r"^\[linux\] init: workload exit status 0$",
                 r"^vm linux: ended: guest powered off \(ACPI S5: SLP_EN with SLP_TYP 5\)"],
                forbid=FORBID + [r"Oops", r"BUG:"], cmdline=f"timeout={LIMIT} policy=standard",
                timeout=LIMIT + 60, timing=TIMING)
    t["name"] = "linux-standard-erratum-stall"
    t["qemu"], t["qemu_args"], t["cpu"] = AVIC_QEMU, FIRMWARE, ERRATUM_CPU
    return t


# soft; errata with the erratum (so a Zen 2 host: it must not matter); standard without it (the
# control) and with it (the stall)
TESTS = [on_policy("soft"), on_policy("errata", erratum=True), on_policy("standard"),
         erratum_stall()]
# the same kernel and initramfs under QEMU alone (4 vCPUs, TCG): the reference boot time
TESTS.append(dict(name="linux-qemu-alone", boot="kernel", machine="q35", smp=VCPUS, mem=256,
                  cpu="EPYC-Rome", guests=[(KERNEL, ARGS)], qemu_args=["-initrd", INITRD],
                  status=0, expect=[p.replace(r"^\[linux\] ", "^") for p in linux_expect("linux")],
                  forbid=LINUX_FORBID, timeout=300, timing=TIMING))
