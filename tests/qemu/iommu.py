# AMD IOMMU bring-up (issue 8): on the patched QEMU (tools/qemu; the stock 7.2 event log is broken)
# with -device amd-iommu,intremap=on and the edu DMA test device, and no guests, doorbell must
# list the PCI functions, enable the IOMMU and leave every device ID blocked (DMA and interrupts).
# Without an IOMMU (stock QEMU) it must say that DMA isolation is unavailable. Read by
# tests/qemu/run.py; run after `make qemu-avic`.
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU = os.path.join(ROOT, "build", "qemu", "qemu-system-x86_64")
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]
# the IOMMU must be created before the PCI devices it translates
DEVICES = ["-device", "amd-iommu,intremap=on", "-device", "edu"]

CLEAN = r"^doorbell: done, exit status 0$"
FORBID = [r"panic", r"exception", r"ALLOWED", r"NOT ISOLATED", r"not done after", r"command buffer full",
          r"unknown option", r"no AMD IOMMU", r"overflow"]
EDU = r"00:0[0-9a-f]\.0 1234:11e8"
BRING_UP = [
    r"^pci: configuration space through ECAM at 0x[0-9a-f]+ \(buses 0-255\)$",
    # the IOMMU itself; QEMU 7.2 gives it its devfn (10h) as PCI device ID
    r"^pci: 00:02\.0 1022:0010 class 0806$",
    rf"^pci: {EDU} class 00ff$",                       # edu
    r"^pci: \d+ function\(s\) found$",
    r"^iommu 0: 00:02\.0 registers at 0xfed80000, EFR 0x[0-9a-f]+: GASup GAMSup\(vAPIC\)",
    # control: IommuEn, HtTunEn (QEMU's IVHD flags 0xd1), EventLogEn, EventIntEn, InvTimeout 1 s,
    # Coherent, CmdBufEn (as Linux's iommu_init_flags())
    r"^iommu 0: enabled on segment 0: control 0x148f, command buffer and event log of 256 "
    r"entries, events by interrupt \(vector 0xef\)$",
    r"^iommu: segment 0 device table at 0x[0-9a-f]+: 65536 of 65536 device IDs blocked \(DMA and "
    r"interrupts aborted until assigned\); DMA blocked for 65536, unity-mapped for 0 \(IVMD\)$",
    rf"^iommu: {EDU} iommu 0: DMA blocked, interrupts blocked$",
    r"^iommu: 00:02\.0 1022:0010 iommu 0: DMA blocked, interrupts blocked$",
    CLEAN,
]

TESTS = [
    dict(name="iommu-bringup-grub", boot="grub-bios", machine="q35", smp=2, qemu=QEMU,
         qemu_args=FIRMWARE + DEVICES, expect=BRING_UP, forbid=FORBID),
    dict(name="iommu-bringup-uefi", boot="uefi", machine="q35", smp=2, qemu=QEMU,
         qemu_args=FIRMWARE + DEVICES, expect=BRING_UP, forbid=FORBID),
    # stock QEMU, no IOMMU: said plainly, and the boot goes on
    dict(name="iommu-absent", boot="grub-bios", machine="q35", smp=2,
         qemu_args=["-device", "edu"],
         expect=[r"^ACPI: no IVRS \(no AMD IOMMU\)$",
                 rf"^pci: {EDU} class 00ff$",
                 r"^iommu: no AMD IOMMU: DMA isolation unavailable \(no IVRS table\): every "
                 r"device can DMA to all memory$", CLEAN],
         forbid=[r"panic", r"exception", r"^iommu 0:"]),
]

# GA (guest virtual APIC) mode follows the interrupt policy: on with the AVIC policies when the
# IOMMU reports GASup and GAMSup, off under soft. A guest runs to show nothing else changed.
HELLO = [("build/guests/hello.elf", 'args="greeting=hello answer=42"')]
for policy, line in (("errata", r"^iommu: GA on: 128-bit IRTEs, guest virtual APIC mode \(GAEn, "
                                 r"GAMEn\), GA log of 512 entries with interrupt, also polled every 10000 us$"),
                     ("standard", r"^iommu: GA on: 128-bit IRTEs"),
                     ("soft", r"^iommu: GA off: the soft policy has no AVIC backing pages")):
    TESTS.append(dict(name=f"iommu-ga-{policy}", boot="grub-bios", machine="q35", smp=2,
                      qemu=QEMU, qemu_args=FIRMWARE + DEVICES, cpu="EPYC-Rome,+svm,+avic",
                      cmdline=f"policy={policy}", guests=HELLO,
                      expect=[line, r"^\[hello.elf\] hello from a doorbell test guest$",
                              r"^vm hello.elf: ended: .*exit value 0x0 \(from the guest\)"],
                      forbid=FORBID + [r"GALogRun not set"]))


def dma_fault_logged(text):
    """Each DMA the test made hit the page it named; the Mode 1 attempt must have logged an
    IO_PAGE_FAULT for edu's BDF at exactly that address."""
    m = re.search(r"^iommu-test: edu (\S+) DMA write to (0x[0-9a-f]+), entry blocked \(Mode 1",
                  text, re.M)
    if not m:
        return ["no Mode 1 DMA attempt reported"]
    bdf, addr = m.groups()
    event = rf"^iommu 0: event: IO_PAGE_FAULT device={re.escape(bdf)} domain=0x0 address={addr} flags=PR,RW$"
    return [] if re.search(event, text, re.M) else [f"missing /{event}/"]


# Test-only option: the hypervisor makes edu DMA while it is blocked. Memory must not change (and
# does change in a control attempt with access allowed);
# the translated variant must log an IO_PAGE_FAULT with edu's BDF and the address. QEMU's model
# logs nothing for a Mode 0 denial (amdvi_page_walk returns no permission without an event), so
# the Mode 0 attempt is checked for blocking only.
TESTS.append(dict(
    name="iommu-edu-dma-blocked", boot="grub-bios", machine="q35", smp=2, qemu=QEMU,
    qemu_args=FIRMWARE + DEVICES, cmdline="iommu-test=edu-dma",
    expect=[r"^iommu-test: blocked \(Mode 0, IR=IW=0\): memory unchanged \(DMA blocked\)",
            r"^iommu-test: blocked \(Mode 1, empty table, IR=IW=0\): memory unchanged \(DMA "
            r"blocked\), 1 event\(s\) logged, 1 by the event interrupt$",
            # control: the same DMA with access allowed reaches memory
            r"^iommu-test: open \(Mode 0, IR=IW=1\): memory CHANGED \(DMA not blocked\), 0 "
            r"event\(s\) logged, 0 by the event interrupt$",
            r"^iommu-test: done$", CLEAN],
    check=dma_fault_logged,
    forbid=[r"panic", r"exception", r"FAIL", r"blocked \(Mode.*CHANGED", r"not done after"]))


# ---- passthrough (pci=BB:DD.F) -----------------------------------------------------------------
# edu is 00:03.0 on q35 with the IOMMU at 00:02.0. Each refused VM is not started and says why;
# the VM that got the device runs (the hello guest), and the device is blocked again at the end.
EDU_BDF = "00:03.0"
ASSIGNED = (rf"^vm a: {EDU_BDF} 1234:11e8 assigned as guest 00:00\.0: DMA to guest-physical "
            r"\[0, 0x2000000\) only \(domain 1, 2 page table pages\), interrupts blocked until the "
            r"guest enables MSI$")
HELLO_ELF = "build/guests/hello.elf"
HELLO_ARGS = 'args="greeting=hello answer=42"'
TESTS.append(dict(
    name="passthrough-errors", boot="grub-bios", machine="q35", smp=2, qemu=QEMU,
    qemu_args=FIRMWARE + DEVICES, cmdline="policy=soft",
    guests=[(HELLO_ELF, f"name=a pci={EDU_BDF} {HELLO_ARGS}"),
            (HELLO_ELF, f"name=b pci={EDU_BDF}"),
            (HELLO_ELF, "name=c pci=00:00.0"),
            (HELLO_ELF, "name=d pci=00:1f.0"),
            (HELLO_ELF, "name=e pci=00:09.0"),
            (HELLO_ELF, "name=f pci=00:02.0"),
            (HELLO_ELF, "name=g pci=0:3"),
            (HELLO_ELF, f"name=h {HELLO_ARGS}")],
    status=249,  # QEMU_EXIT_VM_FAILED: some VMs could not start
    expect=[ASSIGNED,
            rf"^vm a: {EDU_BDF} BAR 0: host 0x[0-9a-f]+, guest 0xe0000000, 1024 KiB \(accesses "
            r"forwarded\)$",
            rf"^vm b: pci={EDU_BDF}: {EDU_BDF} is already assigned to VM a; this VM is not started$",
            r"^vm c: pci=00:00\.0: 00:00\.0 is a bridge \(class 0600\): only endpoints can be "
            r"assigned; this VM is not started$",
            r"^vm d: pci=00:1f\.0: 00:1f\.0 is a bridge \(class 0601\)",
            r"^vm e: pci=00:09\.0: no PCI function 00:09\.0 \(see the 'pci:' lines of the boot\); "
            r"this VM is not started$",
            r"^vm f: pci=00:02\.0: 00:02\.0 is the IOMMU; this VM is not started$",
            r"^vm g: pci= must be a PCI address bus:device\.function in hexadecimal, e\.g\. "
            r"pci=00:03\.0; this VM is not started$",
            r"^\[a\] guest-hello: 6 passed, 0 failed$",
            r"^\[h\] guest-hello: 6 passed, 0 failed$",
            rf"^vm a: {EDU_BDF} released: DMA blocked, interrupts blocked$",
            r"^doorbell: VMs destroyed, all their memory returned",
            r"^doorbell: 2 VM\(s\) ran, 6 could not start$"],
    forbid=[r"panic", r"exception", r"^vm [b-h]: .*assigned as"]))
# Without an IOMMU (stock QEMU) a device's DMA cannot be confined: that VM is refused with what
# to do, the other runs.
TESTS.append(dict(
    name="passthrough-no-iommu", boot="grub-bios", machine="q35", smp=2,
    qemu_args=["-device", "edu"],
    guests=[(HELLO_ELF, f"name=a pci={EDU_BDF}"), (HELLO_ELF, f"name=b {HELLO_ARGS}")],
    status=249,
    expect=[rf"^vm a: pci={EDU_BDF}: no AMD IOMMU, so the device's DMA could reach all memory; "
            r"turn the IOMMU on \(firmware setup; QEMU: -machine q35 -device "
            r"amd-iommu,intremap=on before the device\) or remove pci=; this VM is not started$",
            r"^\[b\] guest-hello: 6 passed, 0 failed$",
            r"^doorbell: 1 VM\(s\) ran, 1 could not start$"],
    forbid=[r"panic", r"exception", r"assigned as"]))

# The edu guest driving its assigned device: IDs, liveness, BAR sizing, DMA into its RAM and back,
# and a DMA aimed past its RAM (32 MiB: at 0x2100000), which the IOMMU must block and log with
# edu's BDF while the guest finds nothing written in its RAM. A second VM runs alongside.
EDU_ELF = "build/guests/edu.elf"
EDU_COMMON = [
    r"^\[a\] PASS: \[doorbell\] only the assigned device is on the guest's bus \(1\)$",
    r"^\[a\] PASS: \[doorbell\] no other function answers on buses 0, 1 and 255$",
    r"^\[a\] PASS: ID register 0x10000ed$",
    r"^\[a\] PASS: liveness register inverts",
    r"^\[a\] PASS: BAR0 sizes to 1 MiB",
    r"^\[a\] PASS: DMA: data went to the device and back$",
    r"^\[a\] info: DMA write to 0x2100000, outside RAM \[0, 0x2000000\)$",
    rf"^iommu 0: event: IO_PAGE_FAULT device={EDU_BDF} domain=0x0 address=0x2100000 flags=RW$",
    r"^\[a\] PASS: DMA outside RAM: nothing written in guest RAM$",
    r"^\[b\] guest-hello: 6 passed, 0 failed$",
    rf"^vm a: {EDU_BDF} released: DMA blocked, interrupts blocked$",
    r"^doorbell: VMs destroyed, all their memory returned",
]


def edu_faults(interrupts=0):
    """The 16-byte DMA past RAM faults once per 4-byte access QEMU's edu makes: exactly four
    IO_PAGE_FAULT events, at 0x2100000-0x210000c, all for edu; then one interrupt target abort
    (flags=I, at the MSI address) per MSI whose IRTE is invalid; no other event. doorbell prints
    at most 10 events a second per IOMMU and then the number it did not print (kernel/ratelimit.c):
    the printed ones must be those, in order, with none missing from the count."""
    want = [f"IO_PAGE_FAULT device={EDU_BDF} domain=0x0 address=0x{0x2100000 + 4 * i:x} flags=RW"
            for i in range(4)]
    want += [f"IO_PAGE_FAULT device={EDU_BDF} domain=0x0 address=0xfee00000 flags=I"] * interrupts

    def check(text):
        events = re.findall(r"^iommu 0: event: (.*)$", text, re.M)
        unprinted = sum(int(n) for n in re.findall(r"^iommu 0: (\d+) events? not printed", text,
                                                   re.M))
        rest = iter(want)
        in_order = all(any(e == w for w in rest) for e in events)
        if in_order and len(events) + unprinted == len(want):
            return []
        return [f"IOMMU events {events} and {unprinted} not printed, expected {want}"]
    return check


edu_faults_exact = edu_faults()


EDU_FORBID = [r"panic", r"exception", r"FAIL", r"unexpected", r"not done after"]
TESTS.append(dict(
    name="passthrough-edu-dma", boot="grub-bios", machine="q35", smp=2, qemu=QEMU,
    qemu_args=FIRMWARE + DEVICES, cmdline="policy=soft", timeout=120,
    guests=[(EDU_ELF, f'name=a pci={EDU_BDF} args="msi=0"'), (HELLO_ELF, f"name=b {HELLO_ARGS}")],
    expect=EDU_COMMON + [r"^\[a\] guest-edu: 11 passed, 0 failed$"], check=edu_faults_exact,
    forbid=EDU_FORBID))

# Interrupt remapping (svm/vm/intremap.c): with iommu-test=edu-irq the device_irq guest has the
# hypervisor bind edu's MSI to its CPU 1 and raise 20 edu interrupts while CPU 1 spins (phase 1)
# and 20 while it is in HLT (phase 2), each only after the previous one arrived: none may be lost.
# Under errata and standard the entry is a guest-mode IRTE that vcpu_load()/vcpu_put() reprogram:
# while the target runs, interrupts must be posted with IsRun=1 (doorbell, no GA log entry), so
# phase 1 must end with ga_log_wake=0 and irte_sched_in > 0 (without the schedule hooks the entry
# keeps IsRun=0/GALogIntr=1 from the bind and every interrupt goes through the GA log); in HLT
# they must come through the GA log wake-up (ga_log_wake > 0 in phase 2). Under soft the entry
# is a remapped IRTE to a host vector and every interrupt is counted as irq_remapped. Pinned with
# cpus=1, both vCPUs share one host CPU and CPU 1 is scheduled out while CPU 0 raises.
DEVICE_IRQ = [("build/guests/device_irq.elf", "vcpus=2")]
DEVICE_IRQ_PINNED = [("build/guests/device_irq.elf", "vcpus=2 cpus=1")]
DEVICE_IRQ_CLOSING = [
    r"^\[device_irq.elf\] PASS: edu's MSI bound to CPU 1, vector 0x61",
    r"^\[device_irq.elf\] PASS: target running: 20 of 20 edu interrupts arrived, none lost$",
    r"^\[device_irq.elf\] PASS: target halted: 20 of 20 edu interrupts arrived, none lost$",
    r"^\[device_irq.elf\] PASS: every interrupt arrived on CPU 1$",
    r"^\[device_irq.elf\] guest-device_irq: 7 passed, 0 failed$",
    r"^vm device_irq.elf: ended: .*exit value 0x0 \(from the guest\)",
]


def counters(text, phase):
    m = re.search(rf"^\[device_irq.elf\] info: phase {phase}: vcpu 1 (.*)$", text, re.M)
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))} if m else None


def guest_mode_checks(pinned):
    def check(text):
        p1, p2 = counters(text, 1), counters(text, 2)
        if not p1 or not p2:
            return ["no phase counters from the guest"]
        errors = []
        if p1["irte_sched_in"] < 1 or p2["irte_sched_out"] < 1:
            errors.append(f"guest-mode IRTEs never followed the vCPU: {p1} {p2}")
        if not pinned and p1["ga_log_wake"] != 0:
            errors.append(f"running target: interrupts went through the GA log: {p1}")
        if p2["ga_log_wake"] <= p1["ga_log_wake"]:
            errors.append(f"halted target: no GA log wake-up: {p1} -> {p2}")
        # the test feeds the GA log handler 3 bogus tags at bind time (intremap_test.c)
        if p2["bogus_tags"] != 3 or p2["irq_remapped"]:
            errors.append(f"unexpected counters: {p2}")
        return errors
    return check


def remapped_checks(text):
    p1, p2 = counters(text, 1), counters(text, 2)
    if not p1 or not p2:
        return ["no phase counters from the guest"]
    if p1["irq_remapped"] != 20 or p2["irq_remapped"] != 40:
        return [f"expected 20 and 40 remapped interrupts: {p1} {p2}"]
    if p2["irte_sched_in"] or p2["ga_log_wake"] or p2["bogus_tags"] != 3:
        return [f"guest-mode counters under soft, or not 3 bogus tags: {p2}"]
    return []


for policy, pinned in (("errata", False), ("standard", False), ("soft", False),
                       ("errata", True), ("soft", True)):
    ga = policy != "soft"
    TESTS.append(dict(
        name=f"iommu-device-irq-{policy}" + ("-oversubscribed" if pinned else ""),
        boot="grub-bios", machine="q35", smp=2, qemu=QEMU, qemu_args=FIRMWARE + DEVICES,
        cpu="EPYC-Rome,+svm,+avic", cmdline=f"policy={policy} iommu-test=edu-irq",
        guests=DEVICE_IRQ_PINNED if pinned else DEVICE_IRQ,
        expect=[r"^\[device_irq.elf\] info: edu's MSI goes to CPU 1 through a "
                + ("guest-mode" if ga else "remapped") + " IRTE$"] + DEVICE_IRQ_CLOSING,
        check=guest_mode_checks(pinned) if ga else remapped_checks,
        forbid=FORBID + [r"FAIL", r"intremap: "]))
# Stock QEMU 7.2 (no AVIC, no GAMSup): its amd-iommu remaps the 32-bit IRTE the same way.
TESTS.append(dict(
    name="iommu-device-irq-soft-stock", boot="grub-bios", machine="q35", smp=2,
    qemu_args=FIRMWARE + DEVICES, cpu="EPYC-Rome,+svm", cmdline="policy=soft iommu-test=edu-irq",
    guests=DEVICE_IRQ,
    expect=[r"^\[device_irq.elf\] info: edu's MSI goes to CPU 1 through a remapped IRTE$"]
    + DEVICE_IRQ_CLOSING,
    check=remapped_checks, forbid=FORBID + [r"FAIL", r"intremap: "]))
# MSIs of the assigned edu, with 4 vCPUs on 2 host CPUs, count=20 per case: to the sending vCPU,
# to a halted vCPU, to a running vCPU, to a vCPU among three busy ones; every one counted. Under
# soft the IRTEs are remapped and doorbell injects; under errata and standard (the AVIC platform)
# they are guest-mode IRTEs posting into the vCPU's backing page.
MSI_CASES = [("running vCPU \\(the sender\\)", 0), ("halted vCPU", 1),
             ("running other vCPU", 1), ("vCPU among busy vCPUs", 3)]
for policy, cpu in (("soft", "EPYC-Rome,+svm"), ("errata", "EPYC-Rome,+svm,+avic"),
                    ("standard", "EPYC-Rome,+svm,+avic")):
    TESTS.append(dict(
        name=f"passthrough-edu-msi-{policy}", boot="grub-bios", machine="q35", smp=2, qemu=QEMU,
        qemu_args=FIRMWARE + DEVICES, cpu=cpu, cmdline=f"policy={policy}", timeout=240,
        guests=[(EDU_ELF, f'name=a vcpus=4 pci={EDU_BDF} args="count=20"'),
                (HELLO_ELF, f"name=b {HELLO_ARGS}")],
        expect=EDU_COMMON + [
            rf"^\[a\] PASS: {what}: 20 of 20 MSIs counted on CPU {n}, none lost$"
            for what, n in MSI_CASES] + [
            r"^\[a\] guest-edu: 18 passed, 0 failed$",
            r"^vm a: passthrough: \d+ configuration accesses, \d+ BAR accesses forwarded, 8 MSI "
            r"programmings \(0 refused: bound to nothing\)$"],
        check=edu_faults_exact, forbid=EDU_FORBID))
# The same on stock QEMU 7.2 (no AVIC, no GA): remapped IRTEs, doorbell injects. Its event log
# is broken (tools/qemu patch 1), so the IO_PAGE_FAULT lines are not asked for; the guest still
# checks that its DMA past RAM wrote nothing.
TESTS.append(dict(
    name="passthrough-edu-msi-soft-stock", boot="grub-bios", machine="q35", smp=2,
    qemu_args=FIRMWARE + DEVICES, cpu="EPYC-Rome,+svm", cmdline="policy=soft", timeout=240,
    guests=[(EDU_ELF, f'name=a vcpus=4 pci={EDU_BDF} args="count=20"'),
            (HELLO_ELF, f"name=b {HELLO_ARGS}")],
    expect=[e for e in EDU_COMMON if "IO_PAGE_FAULT" not in e] + [
        r"^avic: policy soft ", r"^\[a\] guest-edu: 18 passed, 0 failed$"] + [
        rf"^\[a\] PASS: {what}: 20 of 20 MSIs counted on CPU {n}, none lost$"
        for what, n in MSI_CASES],
    forbid=EDU_FORBID))

# A guest programming MSIs doorbell must refuse (APIC ID 0x7f that no vCPU has, vector 3, an
# address outside the MSI window): nothing arrives in it, and nothing in the VM beside it, an
# IPI storm that fails on any interrupt it did not send; then valid MSIs still work.
TESTS.append(dict(
    name="passthrough-edu-msi-bogus", boot="grub-bios", machine="q35", smp=2, qemu=QEMU,
    qemu_args=FIRMWARE + DEVICES, cmdline="policy=soft", timeout=240,
    guests=[(EDU_ELF, f'name=a vcpus=2 pci={EDU_BDF} args="count=10 bogus=1"'),
            ("build/guests/ipi_storm.elf", 'name=b vcpus=2 args="count=300"')],
    expect=EDU_COMMON[:-3] + [
        r"^\[a\] PASS: \[doorbell\] bogus MSI \(no vCPU has APIC ID 0x7f\): nothing arrived$",
        r"^\[a\] PASS: \[doorbell\] bogus MSI \(vector 3\): nothing arrived$",
        r"^\[a\] PASS: \[doorbell\] bogus MSI \(address 0x12345000\): nothing arrived$",
        r"^\[a\] PASS: halted vCPU: 10 of 10 MSIs counted on CPU 1, none lost$",
        r"^\[a\] guest-edu: 16 passed, 0 failed$",
        r"^\[b\] PASS: total: 600 sent, as many received, none lost$",
        r"^\[b\] guest-ipi_storm: \d+ passed, 0 failed$",
        r"^vm a: passthrough: \d+ configuration accesses, \d+ BAR accesses forwarded, \d+ MSI "
        r"programmings \(3 refused: bound to nothing\)$"],
    # the 3 x 3 refused MSIs reach the IOMMU with an invalid IRTE: target-aborted and logged
    check=edu_faults(interrupts=9), forbid=EDU_FORBID))

# report=1 (docs/hardware.md "The machine report"): the machine report on the q35 + amd-iommu
# platform with AVIC, booted by UEFI (OVMF's GOP framebuffer), and no VM run.
REPORT = [
    r"^report: begin ",
    r"^report: cpu: AuthenticAMD family 17h model 31h stepping 0, 'AMD EPYC-Rome Processor', "
    r"microcode patch level 0x[0-9a-f]+$",
    r"^report: svm: revision 1, \d+ ASIDs, features 0x[0-9a-f]+: NPT yes, NRIP save \w+, decode "
    r"assists \w+, VGIF \w+, AVIC yes, x2AVIC no, vNMI no, V_SPEC_CTRL no$",
    r"^report: speculation: IBPB no, SPEC_CTRL bits 0x0, Retbleed exposed, SRSO exposed$",
    r"^report: apic: xAPIC mode, boot CPU APIC ID 0; 2 CPU\(s\) online with APIC IDs 0-1; MADT: "
    r"2 CPUs \(2 enabled\), highest APIC ID 1, 1 IOAPIC\(s\)$",
    r"^report: memory: \d+ ranges, \d+ MiB usable \(highest usable address 0x[0-9a-f]+\)",
    r"^report: framebuffer: \d+x\d+, 32 bpp, pitch \d+, at 0x[0-9a-f]+$",
    r"^report: timers: TSC \d+ MHz, LAPIC timer \d+ kHz, calibrated against the (PIT|ACPI PM timer); ACPI PM "
    r"timer 24-bit at port 0x608; HPET table at 0x[0-9a-f]+$",
    r"^report: iommu: IVRS with 1 IOMMU\(s\) \(IVHD type [0-9a-f]{2}h\)",
    r"^report: iommu 0: segment 0 00:02\.0 at 0xfed80000, enabled, EFR 0x[0-9a-f]+: GASup "
    r"GAMSup\(vAPIC\)",
    rf"^report: iommu 0: covers {EDU} class 00ff00$",
    r"^report: iommu 0: \d+ PCI function\(s\) found behind it$",
    r"^report: policy: policy=auto runs errata \(auto: family 17h/18h has AVIC erratum #1235",
    r"^report: end; no VM is run \(report=1\)$",
    CLEAN,
]
TESTS.append(dict(name="report-iommu-uefi", boot="uefi", machine="q35", smp=2, qemu=QEMU,
                  cpu="EPYC-Rome,+svm,+avic", qemu_args=FIRMWARE + DEVICES, cmdline="report=1",
                  guests=HELLO, expect=REPORT,
                  forbid=FORBID + [r"^vm hello", r"^\[hello"]))
