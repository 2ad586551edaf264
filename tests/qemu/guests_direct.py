# The test guests (guests/*.c) directly under QEMU with -kernel, without doorbell: the reference
# each guest's run under doorbell is compared with. Read by tests/qemu/run.py; build the guests
# first (make guests). QEMU exits with status (code << 1) | 1 through isa-debug-exit: 1 when every
# check passed, 3 when one failed.

PASSED = 1
FORBID = [r"^FAIL", r"unexpected (exception|interrupt)", r"aborted"]


def summary(name, checks):
    """The guest's closing line: every one of its checks passed."""
    return rf"^guest-{name}: {checks} passed, 0 failed$"


def guest(name, cmdline="", checks=None, smp=1, timeout=60, expect=(), **kw):
    closing = [summary(name, checks if checks is not None else r"\d+")]
    return dict(name=f"direct-{name}", boot="kernel", machine=kw.pop("machine", "q35"),
                cpu="EPYC-Rome", smp=smp, mem=kw.pop("mem", 256),
                guests=[(f"build/guests/{name}.elf", cmdline)], status=kw.pop("status", PASSED),
                timeout=timeout, expect=list(expect) + closing, forbid=FORBID, **kw)


TESTS = [
    # issue "Run guests"
    guest("hello", "greeting=hello answer=42", checks=6,
          expect=[r"^hello from a doorbell test guest$"]),
    guest("cpuid_msr", checks=27),
    # issue 17: the reference for the CPU model doorbell advertises
    guest("cpu_model", checks=48, expect=[r"^info: PerfCtrExtCore "]),
    guest("single_step", checks=27),
    guest("nmi", checks=9),
    guest("tpr", checks=17),
    guest("exception", checks=23, expect=[r"^info: all exceptions handled"]),
    guest("hlt_timer", checks=14),
    # Not expected to match a run under doorbell (which stops the VM): QEMU reads unassigned
    # memory and the guest prints the value.
    guest("unmapped", checks=1, expect=[r"^unmapped: read 0x[0-9a-f]+ from 0xc0000000$"]),
    # -no-reboot turns the shutdown into a QEMU exit with status 0, before any closing line.
    dict(name="direct-triple_fault", boot="kernel", machine="q35", cpu="EPYC-Rome", smp=1,
         mem=256, guests=[("build/guests/triple_fault.elf", "")], status=0, timeout=30,
         expect=[r"^triple_fault: loading an empty IDT and executing INT3$"],
         forbid=FORBID + [r"^guest-triple_fault:"]),
    guest("smp4", "cpus=4", checks=8, smp=4),
    guest("busy", "seconds=2", checks=1, expect=[r"^busy: progress 4/4$"]),
    # issue "virtual local APIC"
    guest("ipi", checks=72, smp=4, timeout=120),
    guest("ipi_storm", "count=2000", checks=12, smp=4, timeout=120,
          expect=[r"^PASS: total: 8000 sent, as many received, none lost$"]),
    guest("bench", "iterations=1000", checks=10, smp=2, timeout=120,
          expect=[rf"^bench: {m} \d+ cycles$"
                  for m in ("cpuid", "ipi_running", "ipi_halted", "hlt_wake")]),
]

# issue "A QEMU-compatible guest platform": fw_cfg, ACPI, IOAPIC, UART interrupt, PIT, CMOS, PIC
# and ports, checked against QEMU's own q35 devices
TESTS.append(guest("platform", checks=27, smp=2, timeout=60,
                   expect=[r"^PASS: unassigned port 0x3e0 reads 0xff$"]))

# issue 8: the edu driver against QEMU's own edu device (no IOMMU: the DMA outside RAM is not
# tried, as all addresses below edu's 28-bit limit are RAM with -m 256)
TESTS.append(guest("edu", "count=20", checks=15, smp=4, timeout=120,
                   qemu_args=["-device", "edu"],
                   expect=[r"^info: no address between the end of RAM",
                           r"^PASS: vCPU among busy vCPUs: 20 of 20 MSIs counted on CPU 3, none "
                           r"lost$"]))
