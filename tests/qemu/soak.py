# `make soak`: the IPI storms under the soft policy on Debian's QEMU: doorbell-ipi-storm (2000 IPIs
# from each of 4 vCPUs; since the lazy FPU/XSAVE switch of svm/cpu/lazy_regs.c it fails in about
# 1-3 of 10 runs, a triple fault or a vCPU running host code, open in docs/guests.md) and the long
# IPI storm (100 000 IPIs from each of 4 vCPUs on 2 CPUs, none lost),
# outside make test. It left make test on 2026-12-07: in the fresh-clone make test of that day it
# failed (a vCPU ran the host's code after VMRUN, the QEMU TCG symptom that host XSETBVs caused:
# svm/cpu/lazy_regs.c legacy_enough()), and after that fix one run still ended in a triple fault
# of vCPU 2 after 133 s (RIP 0x1002c3), not root-caused: docs/guests.md "Open". It is a soak, and
# an open bug, not a passing test: run it with make soak.
#
# And issue 18's 10^6 IPIs, none lost, per policy (docs/soak.md): the storm with 250 000 IPIs from
# each of 4 vCPUs on 2 host CPUs, under soft (Debian's QEMU), errata with erratum #1235 on and
# standard with it off (the AVIC platform, tools/qemu; `make qemu-avic` first). Each takes 20-60
# minutes of TCG, so plain `make soak` leaves them out: `make soak SOAK=ipi-1m-errata` runs one
# (SOAK= takes a comma-separated list of soak names without the doorbell- prefix).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guests import SOAK, closing, vm_test  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AVIC_QEMU = os.path.join(ROOT, "build", "qemu", "qemu-system-x86_64")
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
PER_CPU = 250000
# limit_s: the guest's own limit for the whole storm; the 400 000-IPI storm took 736 s on the
# shared host (docs/guests.md), so 10^6 gets 2.5x that and twice again for the AVIC platform
LIMIT_S = 4000


def million(policy, erratum):
    t = vm_test(f"ipi-1m-{policy}",
                [("build/guests/ipi_storm.elf", f'vcpus=4 args="count={PER_CPU} limit_s={LIMIT_S}"')],
                closing("ipi_storm") +
                [rf"^\[ipi_storm\.elf\] PASS: total: {4 * PER_CPU} sent, as many received, none lost$",
                 r"^\[ipi_storm\.elf\] PASS: every CPU finished sending within its time limit$"],
                timeout=LIMIT_S + 300, cmdline=f"timeout={LIMIT_S + 100} policy={policy}")
    if policy != "soft":
        t["qemu"], t["qemu_args"] = AVIC_QEMU, FIRMWARE
        t["cpu"] = "EPYC-Rome,+svm,+avic" + (",avic-erratum-1235=on" if erratum else "")
        t["expect"].append(rf"^avic: policy {policy} ")
    return t


TESTS = list(SOAK) + [million("soft", False), million("errata", True), million("standard", False)]
ONLY = [n for n in os.environ.get("SOAK", "").split(",") if n]
if not ONLY:
    TESTS = list(SOAK)
else:
    unknown = sorted(set(ONLY) - {t["name"][len("doorbell-"):] for t in TESTS})
    if unknown:
        sys.exit(f"SOAK={','.join(unknown)}: not a soak; the soaks are "
                 + ", ".join(t["name"][len("doorbell-"):] for t in TESTS))
    TESTS = [t for t in TESTS if t["name"][len("doorbell-"):] in ONLY]
