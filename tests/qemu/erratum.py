# The erratum #1235 experiment end to end (issue "AVIC with the erratum #1235 policy"), on the AVIC
# platform (tools/qemu) with avic-erratum-1235=on: the ICR delivery of a vCPU may act on a target's
# IsRunning bit from before its latest clear (tools/qemu/README.md, "The erratum window").
# The guest (guests/erratum.c): CPU 1 halts with only CPU 0's IPI to wake it; CPU 0 sends that
# IPI just after CPU 1's HLT has left guest mode, and reports an IPI not taken within 500 ms; one
# taken within 10 s more was late (a starved QEMU thread, reported, not a failure), else lost.
#   errata policy, erratum on   - IsRunning never set: every IPI exits and doorbell delivers it.
#   standard policy, erratum on - the lost wake-up must be reproduced: the guest reports it and
#                                 fails; that is this experiment's EXPECTED outcome, asserted
#                                 here, not counted as a pass of the guest. Traced: the trace
#                                 must show the loss's timeline (lost_timeline below).
#   standard policy, erratum off - the control: nothing may be lost (docs/avic.md, "Fixed",
#                                 for the one lost round 0 it once reported).
# And the IPI storm (4 vCPUs on 2 CPUs) with the erratum on under errata: nothing lost.
# Read by tests/qemu/run.py.
import importlib.util
import io
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU = os.path.join(ROOT, "build", "qemu", "qemu-system-x86_64")
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
GUEST = [("build/guests/erratum.elf", 'vcpus=2 cpus=0-1 args="rounds=5000 gap_us=1000"')]
# Where the loss is expected the guest stops at the first one (seen in rounds 0 to 851), but 5000
# rounds did not always contain one (2 runs of 6 at 03:55-04:00 UTC): up to 30000 here.
# Traced (docs/trace.md, "The erratum's timeline"): when an IPI is not taken, the guest's
# HC_DEBUG_VCPU names its ICR write's TSC and doorbell prints each vCPU's 64 records (trace-dump=)
# from that moment, before CPU 0's ticks overwrite them in the rings (the VM's end prints 64 more
# per vCPU: about 200 console lines, 5-15 s under TCG).
GUEST_LOSS = [("build/guests/erratum.elf", 'vcpus=2 cpus=0-1 trace=all trace-dump=64 '
               'args="rounds=30000 gap_us=1000"')]
ALL_ARRIVED = r"^\[erratum.elf\] guest-erratum: 2 passed, 0 failed$"
LOST = r"^\[erratum.elf\] info: round \d+: IPI to the halted CPU 1 not taken within \d+ ms: lost wake-up$"


def trace_tool():
    spec = importlib.util.spec_from_file_location("trace", os.path.join(ROOT, "tools", "trace.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def lost_timeline(text):
    """The lost wake-up's timeline as the trace shows it (tools/trace.py icr): the last ICR write
    the guest marked (the lost round's) left no record in doorbell's trace (no exit during it,
    no IPI, doorbell or kick, no wake-up of vCPU 1 after it), while vCPU 1 was blocked in HLT with
    IsRunning=0, and vCPU 1's IsRunning was 1 at vCPU 0's latest VMRUN before it (or set just
    after vCPU 0's entry record, which precedes the VMRUN: seen in 1 of 2 runs)."""
    trace = trace_tool()
    records, mhz = trace.read([text.splitlines()], "erratum.elf")
    if not any(not r["guest"] for r in records):
        return ["lost timeline: no trace records of erratum.elf (trace= snapshot missing)"]
    writes = trace.icr_writes(records)
    if not writes:
        return ["lost timeline: no guest trace-mark icr_write line"]
    x = writes[-1]
    shape = {"verdict is lost": x["verdict"] == "lost",
             "vCPU 0 entered guest mode before the write": x["entry"] is not None,
             "vCPU 1 IsRunning=1 at or after vCPU 0's VMRUN": x["stale_view"] == 1,
             "vCPU 1 IsRunning=0 at the write": x["is_running_at_write"] == 0,
             "vCPU 1 blocked in HLT at the write": x["blocked"] is True,
             "no exit of vCPU 0 during the write": not x["exits_during"],
             "no ipi/doorbell/kick record after it": not x["sent"],
             "no wake-up of vCPU 1 after it": x["wake"] is None,
             "vCPU 0's next exit is no avic_incomplete_ipi": x["next_exit"] is None or
             x["next_exit"]["a"] & 0xffffffff != 0x401}
    bad = [k for k, ok in shape.items() if not ok]
    if not bad:
        return []
    out = io.StringIO()
    trace.icr(records, mhz, out)
    return [f"lost timeline: not {', '.join(bad)}"] + out.getvalue().splitlines()


def experiment(name, policy, erratum, status, expect, forbid, guests=GUEST, check=None):
    cpu = "EPYC-Rome,+svm,+avic" + (",avic-erratum-1235=on" if erratum else "")
    return dict(name=name, boot="grub-bios", machine="q35", smp=2, mem=1024, qemu=QEMU,
                qemu_args=FIRMWARE, cpu=cpu, cmdline=f"timeout=200 policy={policy}",
                guests=guests, status=status, expect=[rf"^avic: policy {policy} "] + expect,
                forbid=forbid + [r"panic", r"hypervisor exception"], timeout=260, check=check)


TESTS = [
    experiment("erratum-on-errata", "errata", True, 1,
               [ALL_ARRIVED, r"^stats vm=erratum.elf vcpu=0 exit=avic_incomplete_ipi "
                             r"id=target_not_running count=\d+$"], [LOST]),
    experiment("erratum-on-standard", "standard", True, 3,
               [LOST, r"^\[erratum.elf\] FAIL: every wake-up IPI to a halted CPU arrived",
                # doorbell's view of CPU 1 (HC_DEBUG_VCPU) when it is declared lost: blocked,
                # on no CPU, with the wake-up vector 0x70 deliverable in its IRR
                r"^debug vm=erratum.elf vcpu=1 state=blocked halted=1 running_on=-1 ",
                r"^debug vm=erratum.elf vcpu=1 tpr=0x0 ppr=0x0 pending_vector=112 "],
               [], GUEST_LOSS, lost_timeline),
    experiment("erratum-off-standard", "standard", False, 1, [ALL_ARRIVED], [LOST]),
    experiment("erratum-on-errata-storm", "errata", True, 1,
               [r"^\[ipi_storm.elf\] guest-ipi_storm: \d+ passed, 0 failed$",
                r"^stats vm=ipi_storm.elf vcpu=0 exit=avic_incomplete_ipi "
                r"id=target_not_running count=\d+$"],
               [r"^\[ipi_storm.elf\] FAIL",
                r"^\[ipi_storm.elf\] info: CPU \d+: IPI \d+ to CPU \d+ lost"],
               [("build/guests/ipi_storm.elf", 'vcpus=4 args="count=500"')]),
]
