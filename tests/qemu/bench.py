# `make bench`: the bench guest (guests/bench.c) under doorbell — TSC cycles and exits per
# operation, measured by the guest — in the soft policy on stock QEMU and in the errata and
# standard policies on the AVIC platform. Read by tests/qemu/run.py; tools/bench_report.py turns
# the logs into docs/bench.md's table.
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AVIC_QEMU = os.path.join(ROOT, "build", "qemu", "qemu-system-x86_64")
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
EXPECT = [r"^\[bench.elf\] bench: cpuid \d+ cycles$", r"^\[bench.elf\] bench: hlt_wake \d+ cycles$",
          r"^\[bench.elf\] bench: ipi_running \d+ cycles$",
          r"^\[bench.elf\] bench: ipi_halted \d+ cycles$", r"^\[bench.elf\] guest-bench: \d+ passed, 0 failed$",
          # measured by the hypervisor at boot (iommu-test=irte-bench, tests/hooks/intremap_test.c
          # and tests/hooks/trace_bench.c)
          r"^bench: irte_update \d+ cycles$", r"^bench: trace_off \d+ cycles$",
          r"^bench: trace_on \d+ cycles$",
          # one guest register switch, measured at every boot with guests (svm/cpu/lazy_regs.c)
          r"^bench: xstate_switch \d+ cycles$"]


# BENCH_REPEAT (make bench BENCH_REPEAT=n, checked by the Makefile): runs of each configuration,
# named bench-<policy>-<i>; tools/bench_report.py gives the median and the spread.
REPEAT = int(os.environ.get("BENCH_REPEAT") or 5)


def bench(policy, avic, rep):
    t = dict(name=f"bench-{policy}-{rep}", boot="grub-bios", machine="q35", smp=2, mem=1024,
             cpu="EPYC-Rome,+svm" + (",+avic" if avic else ""),
             cmdline=f"timeout=200 policy={policy} iommu-test=irte-bench", guests=[("build/guests/bench.elf", "vcpus=2")],
             status=1, expect=EXPECT, timeout=260)
    if avic:
        t.update(qemu=AVIC_QEMU, qemu_args=FIRMWARE)
    return t


TESTS = [bench(policy, avic, rep) for rep in range(1, REPEAT + 1)
         for policy, avic in (("soft", False), ("errata", True), ("standard", True))]
