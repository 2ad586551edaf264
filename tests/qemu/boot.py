# Boot tests (issue "Boot doorbell from UEFI and GRUB…"): each boot path brings every CPU of the
# MADT online and exits cleanly; a forced hypervisor fault dumps registers and fails the run.
# Read by tests/qemu/run.py.

def cpus_online(n):
    """Every CPU reported online with its APIC ID: IDs 1..n-1 for the APs (QEMU numbers them
    densely), and the summary line counting n of n."""
    expect = [r"lapic: x?APIC mode, boot CPU APIC ID 0$",
              rf"smp: all CPUs online: {n} of {n} in the MADT$",
              rf"ACPI: MADT: {n} CPUs \({n} enabled\)"]
    expect += [rf"smp: CPU {i} online, APIC ID {i}$" for i in range(1, n)]
    # INIT leaves an AP with CR0.CD and NW set: each AP must switch its caches on (and set
    # CR4.MCE, which QEMU's CPU models offer)
    expect += [rf"smp: caches on \(CR0\.CD=NW=0\) on all {n} CPUs, {n - 1} of them started "
               r"with CD/NW set; CR4\.MCE set$"]
    return expect

MEMORY = r"^memory: \d+ MiB usable, \d+ MiB ACPI, \d+ MiB reserved, \d+ MiB boot data$"
CLEAN = r"^doorbell: done, exit status 0$"
FORBID = [r"panic", r"exception", r"did not come up", r"unknown option"]
TIMING = {"online": r"smp: all CPUs online"}

TESTS = [
    dict(name="boot-uefi", boot="uefi", machine="q35", smp=4, cpu="EPYC-Rome,+svm",
         expect=[r"booted by uefi", MEMORY, CLEAN] + cpus_online(4), forbid=FORBID,
         timing=TIMING),
    dict(name="boot-grub-bios", boot="grub-bios", machine="pc", smp=2,
         expect=[r"booted by multiboot2", MEMORY, CLEAN] + cpus_online(2), forbid=FORBID,
         timing=TIMING),
    dict(name="boot-grub-efi", boot="grub-efi", machine="q35", smp=2,
         expect=[r"booted by multiboot2", MEMORY, CLEAN] + cpus_online(2), forbid=FORBID,
         timing=TIMING),
    # cpus= leaves CPUs offline on purpose
    dict(name="boot-cpus-option", boot="grub-bios", machine="pc", smp=4, cmdline="cpus=2",
         expect=[r"smp: all CPUs online: 2 of 4 in the MADT$",
                 r"smp: 2 CPU\(s\) left offline by cpus=2"], forbid=FORBID),
    # a bad command line stops doorbell before any CPU or VM starts (status 247), every bad
    # option named with what to write instead; `lenient` reports them and boots anyway
    dict(name="boot-bad-options", boot="grub-bios", machine="pc", smp=2,
         cmdline="log=info polcy=errata cpus=0 policy=erata",
         status=247,
         expect=[r"^config: 'polcy=errata': unknown option \(README \"Command-line options\"\)$",
                 r"^config: 'cpus=0': expected a number of CPUs >= 1",
                 r"^config: 'policy=erata': expected policy=auto, errata, standard or soft",
                 r"^config: 3 bad option\(s\) on the command line: no VM is run; correct them, "
                 r"or add 'lenient' to boot anyway without them$",
                 r"^doorbell: done, exit status 123$"],
         forbid=[r"smp: all CPUs online", r"panic"]),
    dict(name="boot-lenient", boot="grub-bios", machine="pc", smp=1,
         cmdline="log=info frobnicate=1 lenient",
         expect=[r"^config: 'frobnicate=1': unknown option",
                 r"^config: 1 bad option\(s\) ignored \(lenient\): this run is not the one the "
                 r"command line describes$", CLEAN]),
    # The image users boot has no test hooks (svm/vm/test_hooks.h): a test-only option is
    # refused like any bad option, and no VM runs.
    dict(name="boot-product-has-no-test-hooks", boot="grub-bios", machine="pc", smp=1,
         image="doorbell", cmdline="test-fault=pf", status=247,
         expect=[r"^config: 'test-fault=pf': a test-only option: this image has no test hooks",
                 r"^doorbell: done, exit status 123$"],
         forbid=[r"test-fault: forcing", r"hypervisor exception"]),
    # A fault in the hypervisor: register dump, backtrace, failing QEMU status (0x7f << 1 | 1).
    dict(name="boot-fault", boot="grub-bios", machine="pc", smp=2, cmdline="test-fault=pf",
         status=255,
         expect=[r"\*\*\* hypervisor exception 14 \(#PF page fault\) error code 0x2 on CPU 0",
                 r"^rax=[0-9a-f]{16} rbx=[0-9a-f]{16}", r"^rip=[0-9a-f]{16} cs=0008",
                 r"cr2=00000dead0000000", r"^backtrace:", r"^  #0  0x[0-9a-f]{16}$",
                 r"doorbell: stopped after a fatal error"],
         forbid=[CLEAN]),
    dict(name="boot-fault-ud", boot="uefi", machine="q35", smp=2, cmdline="test-fault=ud",
         status=255,
         expect=[r"\*\*\* hypervisor exception 6 \(#UD invalid opcode\)", r"^backtrace:"],
         forbid=[CLEAN]),
]

# Without a PIT (QEMU -machine pc,pit=off; boards whose firmware turns the 8254 off) the TSC and
# LAPIC timer are calibrated against the ACPI PM timer the FADT names, within a bounded wait.
TESTS.append(dict(name="boot-no-pit", boot="grub-bios", machine="pc,pit=off", smp=2,
                  expect=[r"^timer: no PIT: calibrating against the ACPI PM timer at port 0x[0-9a-f]+",
                          r"^timer: TSC \d+ MHz, LAPIC timer \d+ kHz \(ACPI PM timer calibrated\)$",
                          CLEAN] + cpus_online(2),
                  forbid=FORBID + [r"assuming 1 GHz", r"PIT calibrated"], timeout=120))

# On bare metal (no CPUID hypervisor bit) port 510h, QEMU's fw_cfg selector, is never written:
# doorbell then does not know it runs under QEMU, so it cannot end QEMU and parks after the run.
TESTS.append(dict(name="boot-no-hypervisor-bit", boot="grub-bios", machine="pc", smp=2,
                  cpu="qemu64,hypervisor=off",
                  expect=[r"^platform: no hypervisor \(CPUID Fn0000_0001 ECX\[31\] clear\): bare "
                          r"metal, QEMU's fw_cfg port 510h not probed$", CLEAN] + cpus_online(2),
                  forbid=FORBID, expect_timeout=True, timeout=30))

# after= (docs/hardware.md "After the run"): reset or ACPI power-off once the run is over, instead
# of handing the status to QEMU's isa-debug-exit. QEMU then ends with status 0 (run.py passes
# -no-reboot, so a reset ends it too); each way that does not take effect is followed by the next
# one or by "did not", which the tests forbid. q35's FADT has a reset register (port 0xcf9, value
# 0xf); pc's (a revision 1 FADT) has none, so doorbell writes port 0xcf9 itself. Power-off: the
# DSDT's _S5 (SLP_TYP 0 on QEMU) into PM1a_CNT.
AFTER_FORBID = FORBID + [r"did not (reset|power off)", r"cannot power off"]
TESTS += [
    dict(name="after-reboot-reset-register", boot="grub-bios", machine="q35", smp=2,
         cmdline="after=reboot", status=0,
         expect=[CLEAN, r"^power: reset through the FADT reset register \(port 0xcf9, value "
                        r"0xf\)$"],
         forbid=AFTER_FORBID + [r"^power: reset through port 0xcf9$"]),
    dict(name="after-reboot-cf9", boot="grub-bios", machine="pc", smp=2,
         cmdline="after=reboot", status=0,
         expect=[CLEAN, r"^power: reset through port 0xcf9$"],
         forbid=AFTER_FORBID + [r"FADT reset register", r"keyboard controller"]),
    dict(name="after-poweroff", boot="grub-bios", machine="q35", smp=2,
         cmdline="after=poweroff", status=0,
         expect=[CLEAN, r"^power: ACPI S5 \(SLP_TYPa 0, SLP_TYPb 0\) through PM1a_CNT port "
                        r"0x604$"],
         forbid=AFTER_FORBID + [r"^power: reset"]),
]

# console=com2 (servers with serial-over-LAN on COM2): everything doorbell prints, from its first
# line, goes to COM2 at 0x2f8; COM1 is not connected here (run.py serial="com2")
TESTS.append(dict(name="boot-console-com2", boot="grub-bios", machine="pc", smp=2, serial="com2",
                  cmdline="console=com2",
                  expect=[r"^doorbell: booted by multiboot2$",
                          r"^doorbell: command line 'console=com2'$", MEMORY, CLEAN],
                  forbid=FORBID))
