# The test guests under Linux KVM 6.1 (make run HV=kvm, docs/kvm.md): Debian's kernel as an L1
# inside the project's QEMU, Debian's QEMU -accel kvm in it. Each case is one tools/kvm/run.py
# run; its exit status is the guest's isa-debug-exit status, as under QEMU alone.
#   avic=1 and avic=0 runs of guests that pass under QEMU directly;
#   with avic=1, KVM kept AVIC active (else run.py fails with 255) and counted AVIC exits;
#   erratum #1235 on the AVIC platform: KVM 6.1 with avic=1 loses the wake-up (the guest reports
#   the halted CPU never woken: status 3, the EXPECTED outcome, asserted here), and with the
#   erratum off (the control) every wake-up arrives;
#   the AVIC check itself: avic=1 where the CPU has no AVIC must fail with 255;
#   KVM's exits between the bench guest's marks (--marks, docs/kvm.md "Exits between marks"):
#   exactly one CPUID exit per CPUID of its loop, an HLT exit per halted round trip.
# Time limits are generous: each run boots the L1 under TCG (about 20 s idle, 60-150 s on a
# 2-core host shared with other QEMUs). Read by tests/qemu/run.py.
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, "tools", "kvm", "run.py")
AVIC_ACTIVE = r"^kvm: AVIC active for the guest's run "
# The loss came at rounds 2, 2 and 28 in three runs; it ends the run, so the erratum case may
# allow more rounds than the control and avic=0 cases, which run them all.
ERRATUM_ARGS = "rounds=100 gap_us=1000 busy_us=20000"
ERRATUM_LOSS_ARGS = "rounds=300 gap_us=1000 busy_us=20000"
LOST = r"^\[erratum.elf\] info: round \d+: IPI to the halted CPU 1 not taken within \d+ ms: lost wake-up$"
ALL_ARRIVED = r"^\[erratum.elf\] guest-erratum: 2 passed, 0 failed$"


def avic_exits(text):
    """The run's AVIC exits (401h and 402h) summed over vCPUs: KVM's accelerated path ran."""
    n = sum(int(m.group(1)) for m in re.finditer(
        r"^stats vm=\S+ vcpu=\d+ exit=avic_(?:incomplete_ipi|noaccel) count=(\d+)$", text, re.M))
    return [] if n > 0 else ["no AVIC exit counted under avic=1: AVIC did not run"]


BENCH_ROUNDS = 100
WINDOW = r"^kvm: exits between marks label={} vcpu={} exits=(\d+) \((.*)\)$"


def marked_exits(text):
    """KVM's exits between the bench guest's marks, by reason: the CPUID loop's window holds
    exactly its BENCH_ROUNDS CPUID exits, hlt_wake's window on the sender at least one HLT exit
    per round trip."""
    problems = []
    for label, vcpu, reason, lo, hi in (("cpuid", 0, "cpuid", BENCH_ROUNDS, BENCH_ROUNDS),
                                        ("hlt_wake", 0, "hlt", BENCH_ROUNDS, 3 * BENCH_ROUNDS)):
        m = re.search(WINDOW.format(label, vcpu), text, re.M)
        if not m:
            problems.append(f"no window {label} of vCPU {vcpu}")
            continue
        by = dict((k, int(n)) for k, n in (w.rsplit(" ", 1) for w in m.group(2).split(", ")))
        if not lo <= by.get(reason, 0) <= hi:
            problems.append(f"{label} vCPU {vcpu}: {by.get(reason, 0)} {reason} exits between the "
                            f"marks, expected {lo}-{hi}")
    return problems + avic_exits(text)


def case(name, guest, args="", vcpus=1, avic=False, erratum=False, kvm_opts="", status=1,
         expect=(), forbid=(), timeout_s=240, marks=False):
    def command(workdir):
        cmd = [sys.executable, RUN, "--guest", os.path.join(ROOT, "build", "guests", guest),
               "--vcpus", str(vcpus), "--args", args, "--timeout", str(timeout_s), "--quiet",
               "--console-log", os.path.join(workdir, "l1-console.log")] + ["--marks"] * marks
        if avic:
            cmd += ["--avic", "1"] + (["--erratum", "1"] if erratum else [])
        if kvm_opts:
            cmd += ["--kvm-opts", kvm_opts]
        return cmd
    wants_avic = avic and "avic=0" not in kvm_opts
    return dict(name=name, command=command, status=status, timeout=timeout_s + 240,
                expect=list(expect) + ([AVIC_ACTIVE] if wants_avic and status != 255 else []),
                forbid=list(forbid) + [r"^make run HV=kvm: FAILED"] * (status != 255),
                check=marked_exits if marks else avic_exits if wants_avic and status != 255
                else None)


TESTS = [
    # the bench guest (it replaced the smp4 guest here, for time: both start their APs with
    # INIT/SIPI, which KVM's AVIC takes as invalid_int_type exits; 4 vCPUs under KVM: make compare)
    case("kvm-bench-marks-avic1", "bench.elf", f"iterations={BENCH_ROUNDS}", vcpus=2, avic=True,
         marks=True, expect=[r"^\[bench.elf\] guest-bench: 10 passed, 0 failed$",
                             r"^stats vm=bench.elf vcpu=0 exit=avic_incomplete_ipi "
                             r"id=invalid_int_type count=\d+$"],
         forbid=[r"^kvm: marks: "]),
    case("kvm-erratum-on-avic1", "erratum.elf", ERRATUM_LOSS_ARGS, vcpus=2, avic=True,
         erratum=True,
         status=3, expect=[LOST, r"^\[erratum.elf\] FAIL: every wake-up IPI to a halted CPU"]),
    case("kvm-erratum-off-avic1", "erratum.elf", ERRATUM_ARGS, vcpus=2, avic=True,
         expect=[ALL_ARRIVED, r"^stats vm=erratum.elf vcpu=0 exit=avic_incomplete_ipi "
                              r"id=target_not_running count=\d+$"], forbid=[LOST]),
    case("kvm-erratum-on-avic0", "erratum.elf", ERRATUM_ARGS, vcpus=2, avic=True, erratum=True,
         kvm_opts="avic=0", expect=[ALL_ARRIVED], forbid=[LOST, r"exit=avic_"]),
    # a triple fault ends the L2 QEMU (-no-reboot) with 0, as a power-off does: QEMU's SHUTDOWN
    # event (guest-reset) makes it 253, never the 1 of a power-off (docs/kvm.md, the status)
    case("kvm-triple-fault", "triple_fault.elf", status=253,
         expect=[r"^\[triple_fault.elf\] triple_fault: loading an empty IDT",
                 r"^make run: QEMU exit status 253: the guest shut down: triple fault or reset"]),
    # hello under KVM on stock QEMU, whose CPU has no AVIC: the guest passes, and the AVIC check
    # fails closed, as avic=1 was asked for
    case("kvm-hello-avic-absent", "hello.elf", "greeting=hello answer=42", kvm_opts="avic=1",
         status=255, expect=[r"^\[hello.elf\] guest-hello: 6 passed, 0 failed$",
                             r"^stats vm=hello.elf vcpu=0 exit=total count=\d+$",
                             r"^make run HV=kvm: FAILED: AVIC was asked for \(avic=1\) but "
                             r"kvm_amd.avic is not Y"], forbid=[r"exit=avic_"]),
]
