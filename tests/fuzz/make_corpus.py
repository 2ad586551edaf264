#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target to tests/fuzz/corpus/<target>/
(tests/fuzz/README.md).

Run from anywhere: python3 tests/fuzz/make_corpus.py. The files are small, deterministic and
committed; the ACPI and IVRS seeds are the captured QEMU tables of tests/unit/data, relocated
into the fuzz target's memory image. Each section says the input format of its target, which is
documented at the top of tests/fuzz/fuzz_<target>.c."""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "tests", "unit", "data")
CORPUS = os.path.join(HERE, "corpus")


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))


def read(*parts):
    with open(os.path.join(DATA, *parts), "rb") as f:
        return f.read()


def checksum_fix(buf, start, length, at):
    buf[at] = 0
    buf[at] = (-sum(buf[start:start + length])) & 0xff


# ---- acpi: flags (1: raw, 2: BIOS search), EBDA segment (2 bytes), the image at 0xE0000 ----
ACPI_BASE = 0xE0000


def acpi_image(folder, tables, rsdp_rev=None):
    """The RSDP, then every table of 'tables' (names of .bin files in 'folder') 16-byte aligned,
    with the RSDP, RSDT and XSDT pointers rewritten to their new places and checksums fixed."""
    rsdp = bytearray(read(folder, "RSDP.bin"))
    rev = rsdp[15] if rsdp_rev is None else rsdp_rev
    if rev >= 2 and len(rsdp) < 36:
        rsdp += bytes(36 - len(rsdp))
    img = bytearray(rsdp)
    where = {}
    blobs = {}
    for t in tables:
        while len(img) % 16:
            img.append(0)
        where[t] = ACPI_BASE + len(img)
        blobs[t] = bytearray(read(folder, t + ".bin"))
        img += blobs[t]
    leaves = [t for t in tables if t not in ("RSDT", "XSDT")]
    for root, size in (("RSDT", 4), ("XSDT", 8)):
        if root not in where:
            continue
        off = where[root] - ACPI_BASE
        body = b"".join(struct.pack("<Q" if size == 8 else "<I", where[t]) for t in leaves)
        length = 36 + len(body)
        img[off + 36:off + 36 + (len(blobs[root]) - 36)] = bytes(len(blobs[root]) - 36)
        img[off + 36:off + length] = body
        struct.pack_into("<I", img, off + 4, length)
        checksum_fix(img, off, length, off + 9)
    struct.pack_into("<I", img, 16, where.get("RSDT", 0))
    img[15] = rev
    if rev >= 2:
        struct.pack_into("<I", img, 20, 36)
        struct.pack_into("<Q", img, 24, where.get("XSDT", 0))
    checksum_fix(img, 0, 20, 8)
    if rev >= 2:
        checksum_fix(img, 0, 36, 32)
    return bytes(img)


def sdt(sig, body, rev=1):
    t = bytearray(sig + struct.pack("<IBB", 36 + len(body), rev, 0) + b"DOORBL" + b"FUZZTABL"
                  + struct.pack("<III", 1, 0, 0) + body)
    checksum_fix(t, 0, len(t), 9)
    return bytes(t)


def acpi_image_of(tables, rsdp_rev=2):
    """RSDP, XSDT and RSDT naming 'tables' (whole tables as bytes), all in one image."""
    rsdp_len = 36
    where, off = [], 48
    for t in tables:
        where.append(ACPI_BASE + off)
        off += (len(t) + 15) & ~15
    xsdt = sdt(b"XSDT", b"".join(struct.pack("<Q", a) for a in where))
    xsdt_at = ACPI_BASE + off
    off += (len(xsdt) + 15) & ~15
    rsdt = sdt(b"RSDT", b"".join(struct.pack("<I", a) for a in where))
    rsdt_at = ACPI_BASE + off
    rsdp = bytearray(b"RSD PTR " + bytes(1) + b"DOORBL" + bytes([rsdp_rev])
                     + struct.pack("<IIQ", rsdt_at, rsdp_len, xsdt_at) + bytes(4))
    checksum_fix(rsdp, 0, 20, 8)
    checksum_fix(rsdp, 0, 36, 32)
    img = bytearray(rsdp) + bytes(48 - rsdp_len)
    for t in tables + [xsdt, rsdt]:
        img += t + bytes(-len(t) % 16)
    return bytes(img)


def make_acpi_synthetic():
    entries = [
        struct.pack("<BBBBI", 0, 8, 0, 0, 1), struct.pack("<BBBBI", 0, 8, 1, 1, 2),
        struct.pack("<BBBBI", 0, 8, 2, 0xff, 1), struct.pack("<BBBBII", 1, 12, 0, 0, 0xfec00000, 0),
        struct.pack("<BBBBIH", 2, 10, 0, 0, 2, 0), struct.pack("<BBBBIH", 2, 10, 0, 9, 9, 0xd),
        struct.pack("<BBHI", 3, 8, 0xd, 23), struct.pack("<BBBHB", 4, 6, 0xff, 5, 1),
        struct.pack("<BBHQ", 5, 12, 0, 0xfee00000), struct.pack("<BBHIII", 9, 16, 0, 0x100, 1, 9),
        struct.pack("<BBHIB3x", 10, 12, 5, 0xffffffff, 1), struct.pack("<BB", 0x7f, 2),
    ]
    madt = sdt(b"APIC", struct.pack("<II", 0xfee00000, 1) + b"".join(entries), rev=5)
    mcfg = sdt(b"MCFG", bytes(8) + b"".join(struct.pack("<QHBBI", 0xb0000000 + i * 0x10000000,
                                                        i, 0, 0xff - i, 0) for i in range(3))
               + struct.pack("<QHBBI", 0xe0000000, 9, 5, 4, 0))
    others = [sdt(s, bytes(8)) for s in (b"FACP", b"HPET", b"IVRS", b"SSDT")]
    out("acpi", "synthetic-all-madt-types", b"\x00\x00\x00" + acpi_image_of([madt, mcfg] + others))
    out("acpi", "synthetic-rsdt-only", b"\x00\x00\x00" + acpi_image_of([madt, mcfg], rsdp_rev=0))


def make_acpi():
    pc = ["RSDT", "APIC", "HPET", "FACP", "WAET"]
    q35 = ["RSDT", "APIC", "HPET", "FACP", "MCFG", "IVRS", "WAET"]
    ovmf = ["XSDT", "RSDT", "APIC", "HPET", "FACP", "MCFG", "IVRS", "WAET", "BGRT"]
    seeds = {
        "pc-smp2": acpi_image("qemu-pc-smp2", pc),
        "q35-seabios": acpi_image("qemu-q35-iommu-seabios", q35),
        "q35-ovmf-xsdt": acpi_image("qemu-q35-iommu-ovmf", ovmf),
        "q35-ovmf-rsdt-only": acpi_image("qemu-q35-iommu-ovmf", q35, rsdp_rev=0),
    }
    for name, img in seeds.items():
        out("acpi", name, b"\x00\x00\x00" + img)
        out("acpi", name + "-raw", b"\x01\x00\x00" + img)
    # the BIOS search: the RSDP 16-byte aligned in the EBDA alias (segment 0x9fc0) or at 0xE0000
    out("acpi", "search-rom", b"\x02\x00\x00" + seeds["q35-ovmf-xsdt"])
    out("acpi", "search-ebda", b"\x02\xc0\x9f" + seeds["pc-smp2"])
    # the malformed tables of the unit tests, in place of their good twins
    bad = bytearray(seeds["q35-ovmf-xsdt"])
    madt = bytes(read("malformed", "madt-entry-past-end", "APIC.bin"))
    off = bytes(bad).find(b"APIC")
    if off > 0 and len(madt) <= 144:
        bad[off:off + len(madt)] = madt
        out("acpi", "madt-entry-past-end", b"\x00\x00\x00" + bytes(bad))


# ---- ivrs: a flags byte (1: raw, else the harness fixes Length and checksum), then the table --
def ivhd(btype, devid, entries, efr=0):
    body = b"".join(entries)
    hlen = 24 if btype == 0x10 else 40
    h = struct.pack("<BBHHHQHHI", btype, 0xb0, hlen + len(body), devid, 0x40, 0xfed80000,
                    0, 0, 0x40 if btype == 0x10 else 0)
    if btype != 0x10:
        h += struct.pack("<QQ", efr, 0)
    return h + body


def dev4(t, devid, settings=0):
    return struct.pack("<BHB", t, devid, settings)


def dev8(t, devid, b4, devid2, b7, settings=0):
    return struct.pack("<BHBBHB", t, devid, settings, b4, devid2, b7)


def ivrs_table(blocks, ivinfo=0x00203040):
    body = b"".join(blocks)
    t = bytearray(b"IVRS" + struct.pack("<IBB", 48 + len(body), 2, 0) + b"DOORBLFUZZ      "[:6]
                  + b"FUZZIVRS" + struct.pack("<III", 1, 0, 0) + struct.pack("<IQ", ivinfo, 0)
                  + body)
    checksum_fix(t, 0, len(t), 9)
    return bytes(t)


def make_ivrs():
    for folder in ("qemu-q35-iommu-seabios", "qemu-q35-iommu-ovmf"):
        out("ivrs", folder, b"\x00" + read(folder, "IVRS.bin"))
        out("ivrs", folder + "-raw", b"\x01" + read(folder, "IVRS.bin"))
    entries = [dev4(0x01, 0, 0), dev4(0x02, 0x10), dev4(0x03, 0x100, 0xd7), dev4(0x04, 0x1ff),
               dev8(0x42, 0x208, 0, 0x200, 0), dev8(0x43, 0x300, 0, 0x2f8, 0),
               dev4(0x04, 0x3ff), dev8(0x46, 0x400, 0, 0, 0x80), dev8(0x47, 0x500, 0, 0, 0),
               dev4(0x04, 0x5ff), dev8(0x48, 0, 0x21, 0xa0, 1), dev8(0x48, 0, 0, 0xa5, 2),
               dev4(0x00, 0)]
    hid = struct.pack("<BHB", 0xf0, 0xa8, 0) + b"AMDI0020" + bytes(8) + bytes([2, 4]) + b"ID00"
    ivmd = [struct.pack("<BBHHHQQQ", t, 0x07, 32, 0x10, 0, 0, 0xfe000000, 0x10000)
            for t in (0x20, 0x21, 0x22)]
    efr = (1 << 7) | (1 << 2)
    out("ivrs", "ivhd10-all-entries", b"\x00" + ivrs_table([ivhd(0x10, 0x18, entries)]))
    out("ivrs", "ivhd11-all-entries", b"\x00" + ivrs_table(
        [ivhd(0x10, 0x18, entries), ivhd(0x11, 0x18, entries, efr)]))
    out("ivrs", "ivhd40-hid-ivmd", b"\x00" + ivrs_table(
        [ivhd(0x10, 0x18, entries[:3]), ivhd(0x11, 0x18, entries[:3], efr),
         ivhd(0x40, 0x18, entries + [hid], efr)] + ivmd))
    out("ivrs", "two-iommus", b"\x00" + ivrs_table(
        [ivhd(0x11, 0x18, entries[:6], efr), ivhd(0x11, 0x20, entries[6:], 0)] + ivmd[:1]))


# ---- apic_route: ICR, mode byte, vCPU count - 1, 12 bytes per vCPU -------------------------------
def route_vcpu(apic_id, ldr, dfr_model, flags, ppr, arb):
    return struct.pack("<IIBBBB", apic_id, ldr, dfr_model, flags, ppr, arb)


def make_apic_route():
    xapic = [route_vcpu(i, 1 << (24 + i), 0xff, 6, 0x10 * (i % 2), i) for i in range(4)]
    cluster = [route_vcpu(i, (0x10 * (i // 2) | 1 << (i % 2)) << 24, 0x0f, 6, 0, i)
               for i in range(4)]
    x2 = [route_vcpu(i, (i // 16) << 16 | 1 << (i % 16), 0xff, 7, 0x20, i) for i in range(4)]
    cases = {
        "fixed-physical-1": (0x4030 | 1 << 56, 0 << 1, xapic),
        "lowest-logical-flat": (0x4930 | 0x0f << 56, 1 << 1, xapic),
        "nmi-cluster": (0x4c00 | 0x13 << 56, 2 << 1, cluster),
        "init-deassert": (0x8500 | 0xff << 56, 0, xapic),
        "sipi-others": (0xc4608, 0, xapic),
        "x2apic-cluster": (0x4840 | 0x00000003 << 32, 1 | 0 << 1, x2),
        "x2apic-broadcast": (0x4040 | 0xffffffff << 32, 1 | 3 << 1, x2),
    }
    for name, (icr, mode, vcpus) in cases.items():
        out("apic_route", name, struct.pack("<QBB", icr, mode, len(vcpus) - 1) + b"".join(vcpus))


# ---- vapic: vCPU count - 1, then operations (tests/fuzz/fuzz_vapic.c) -------------------------
def mmio_w(cpu, reg, value):
    return struct.pack("<BBI", cpu << 4 | 0, reg >> 4, value)


def msr_w(cpu, msr, value):
    return struct.pack("<BBQ", cpu << 4 | 2, msr - 0x800, value)


def make_vapic():
    enable = b"".join(mmio_w(c, 0xf0, 0x1ff) for c in range(4))
    accept = lambda c: bytes([c << 4 | 6])
    seeds = {
        "fixed-ipi-eoi": enable + mmio_w(0, 0x310, 1 << 24) + mmio_w(0, 0x300, 0x4041)
        + accept(1) + mmio_w(1, 0xb0, 0),
        "timer-periodic": enable + mmio_w(0, 0x3e0, 0xb) + mmio_w(0, 0x320, 0x20040)
        + mmio_w(0, 0x380, 100) + struct.pack("<BH", 7, 250) + accept(0)
        + bytes([1, 0x39]) + mmio_w(0, 0xb0, 0) + struct.pack("<BH", 7, 1000),
        "x2apic-ipi": enable + struct.pack("<BQB", 4, 0xfee00d00, 16)
        + struct.pack("<BQB", 0x14, 0xfee00c00, 16) + msr_w(0, 0x830, 0x0000000100004050)
        + msr_w(0, 0x83f, 0x60) + bytes([0x13, 0x02, 0x03, 0x0d]),
        "lowest-logical": enable + b"".join(mmio_w(c, 0xe0, 0xffffffff) + mmio_w(c, 0xd0,
                                                                                  1 << (24 + c))
                                            for c in range(4))
        + mmio_w(2, 0x80, 0x20) + mmio_w(0, 0x310, 0x0f << 24) + mmio_w(0, 0x300, 0x4951),
        "illegal-vector-esr": enable + mmio_w(0, 0x370, 0xfe) + mmio_w(0, 0x300, 0x4005)
        + mmio_w(0, 0x280, 0) + bytes([0x01, 0x28]) + bytes([0x15, 0x03, 0x00]),
        "init-sipi": enable + mmio_w(0, 0x310, 3 << 24) + mmio_w(0, 0x300, 0xc4500)
        + mmio_w(0, 0x300, 0xc4608) + bytes([0x38]),
    }
    for name, ops in seeds.items():
        out("vapic", name, bytes([3]) + ops)


# ---- irte: entry (16), APIC ID (4), vector, GA root (8), GA tag (4), host APIC ID (8), flags ----
def make_irte():
    guest_lo = 1 | 1 << 7 | 1 << 2 | 0x12340001 << 32
    guest_hi = 0x41 | 0x12345000
    cases = {
        "guest-running": (guest_lo, guest_hi, 3, 0x41, 0x12345000, 0x12340001, 2, 0x10 | 4),
        "guest-blocked": (guest_lo | 1 << 6, guest_hi, 3, 0x41, 0x12345000, 0x12340001, -1,
                          0x10 | 4 | 8 | 2),
        "remapped-logical": (1 | 1 << 6 | 0x01 << 8, 0x30, 0xff000001, 0x30, 0, 0, 1, 1),
        "x2apic-destination": (guest_lo | 0xabcdef << 8, guest_hi | 0x7f << 56, 0x7fabcdef, 0xee,
                               0xffffffffff000, 0xffffffff, 0x12345678, 4),
        "stale-tag": (guest_lo, guest_hi, 0, 0x20, 0x1000, 0x99, 5, 4),
    }
    for name, (lo, hi, dest, vec, root, tag, host, flags) in cases.items():
        out("irte", name, struct.pack("<QQIBQIqB", lo, hi, dest, vec, root, tag, host, flags))


# ---- cmdline: the command line itself ----------------------------------------------------------
def make_cmdline():
    lines = {
        "doorbell": b"log=debug cpus=2 policy=errata timeout=120 test-race=wake",
        "vm-options": b"vcpus=4 mem=64M cpus=0,1-1 pci=00:03.0 replay=all name=ipi "
                      b"args=\"-smp 2 x=y\"",
        "grub-requoted": b"\"args=a b c\" mem=0x4000000 mem=4096K mem=1G pci=ff:1f.7",
        "bad-values": b"mem=18446744073709551616 vcpus=0x pci=00:20.0 cpus=3-1 =x key= \t \"",
    }
    for name, line in lines.items():
        out("cmdline", name, line)


# ---- loader: argument length, arguments, initrd KiB, the image ---------------------------------
MB1_MAGIC = 0x1BADB002
MB2_MAGIC = 0xE85250D6


def elf32(body, body_at, load_at=0x100000, bss=0x1000, extra_phdrs=()):
    """An ELF32 i386 executable: header, program headers, then body at file offset body_at."""
    phdrs = [(1, 0, load_at, load_at, 0, 0, 5, 0x1000)] + list(extra_phdrs)
    size = body_at + len(body)
    phdrs[0] = (1, 0, load_at, load_at, size, size + bss, 5, 0x1000)
    eh = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9) + struct.pack(
        "<HHIIIIIHHHHHH", 2, 3, 1, load_at + body_at + 12, 52, 0, 0, 52, 32, len(phdrs), 40, 0, 0)
    img = bytearray(eh + b"".join(struct.pack("<IIIIIIII", *p) for p in phdrs))
    img += bytes(body_at - len(img))
    return bytes(img + body)


def elf64(body, body_at, load_at=0x100000, bss=0x1000):
    size = body_at + len(body)
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 2, 62, 1, load_at + body_at + 24, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 0, load_at, load_at, size, size + bss, 0x1000)
    img = bytearray(eh + ph)
    img += bytes(body_at - len(img))
    return bytes(img + body)


def make_loader():
    mb1 = struct.pack("<III", MB1_MAGIC, 0, (-MB1_MAGIC) & 0xffffffff) + b"\xf4" * 4
    mb2_len = 24
    mb2 = struct.pack("<IIII", MB2_MAGIC, 0, mb2_len, (-(MB2_MAGIC + mb2_len)) & 0xffffffff)
    mb2 += struct.pack("<HHI", 0, 0, 8) + b"\xf4" * 8
    args = b"console=ttyS0 \"x=a b\""
    seeds = {
        "elf32-mb1": elf32(mb1, 0x60),
        "elf32-mb2": elf32(mb2, 0x60),
        "elf64-mb2": elf64(mb2, 0x80),
        "elf64-mb1": elf64(mb1, 0x80),
        "elf32-two-segments": elf32(mb1, 0x80, extra_phdrs=[(1, 0, 0x180000, 0x180000, 0, 0x2000,
                                                             6, 0x1000)]),
        "elf32-note-and-load": elf32(mb1, 0x80, extra_phdrs=[(4, 0x60, 0, 0, 8, 8, 4, 4)]),
    }
    for name, img in seeds.items():
        out("loader", name, bytes([0, 0]) + img)
    out("loader", "elf32-mb1-args", bytes([len(args)]) + args + b"\x00" + seeds["elf32-mb1"])
    out("loader", "elf64-mb2-args", bytes([len(args)]) + args + b"\x00" + seeds["elf64-mb2"])
    for name, (version, reloc, pref, init_size, initrd_kib) in {
            "bzimage-2.15": (0x20f, 1, 0x400000, 0x200000, 0),
            "bzimage-2.15-initrd": (0x20f, 1, 0x400000, 0x200000, 64),
            "bzimage-2.10-fixed": (0x20a, 0, 0x100000, 0x100000, 4),
            "bzimage-2.05-old": (0x205, 1, 0x100000, 0x100000, 0)}.items():
        out("loader", name, bytes([len(args)]) + args + bytes([initrd_kib])
            + bzimage(version, reloc, pref, init_size))


def bzimage(version, relocatable, pref, init_size, setup_sects=1, kernel=b"\x90" * 64 + b"\xf4"):
    """A bzImage setup header as Linux's arch/x86/boot/header.S lays it out (x86 boot protocol):
    setup_sects, boot flag, HdrS, version, loadflags, code32_start, initrd_addr_max,
    kernel_alignment, relocatable_kernel, cmdline_size, pref_address, init_size."""
    img = bytearray((setup_sects + 1) * 512)
    img[0x1f1] = setup_sects
    struct.pack_into("<H", img, 0x1fe, 0xaa55)
    img[0x200:0x202] = b"\xeb\x66"
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, version)
    img[0x211] = 0x01
    struct.pack_into("<I", img, 0x214, 0x100000)
    struct.pack_into("<I", img, 0x22c, 0x7fffffff)
    struct.pack_into("<I", img, 0x230, 0x200000)
    img[0x234] = relocatable
    struct.pack_into("<I", img, 0x238, 0x7ff)
    struct.pack_into("<Q", img, 0x258, pref)
    struct.pack_into("<I", img, 0x260, init_size)
    return bytes(img) + kernel


# ---- emulate: control, fault offset (2), instruction length and bytes, registers ----------------
def make_emulate():
    forms = {
        "mov-load": (3, b"\x8b\x03"), "mov-store-imm": (3, b"\xc7\x00\x44\x33\x22\x11"),
        "movzx-byte": (3, b"\x0f\xb6\x4b\x01"), "movsxd": (3, b"\x48\x63\x07"),
        "rep-movsd": (2, b"\xf3\xa5"), "rep-stosb-df": (2 | 4, b"\xf3\xaa"),
        "add-store": (3, b"\x01\x18"), "cmp-imm": (2, b"\x83\x3d\x00\x00\xe0\xfe\x05"),
        "test-ah": (1, b"\x84\x20"), "xchg-rex": (3, b"\x4c\x87\x00"),
        "moffs-a1": (2, b"\xa1\x30\x00\xe0\xfe"), "sbb-load-16": (3, b"\x66\x1b\x07"),
        "read-fails": (3 | 8, b"\x8b\x03"), "write-fails": (3 | 16, b"\x89\x03"),
    }
    regs = struct.pack("<16Q", 0x1122334455667788, 3, 0xdeadbeef, 0xfee00030, 0x8000, 0,
                       0x100, 0x200, *range(8, 16))
    for name, (ctl, insn) in forms.items():
        out("emulate", name, struct.pack("<BHB", ctl, 0x30, len(insn)) + insn + regs)


# ---- multiboot2: the boot information block (total_size is set by the harness) ----------------
def mb2_tag(t, payload):
    body = struct.pack("<II", t, 8 + len(payload)) + payload
    return body + bytes(-len(body) % 8)


def make_multiboot2():
    rsdp = read("qemu-q35-iommu-ovmf", "RSDP.bin")
    rsdp_v1 = read("qemu-pc-smp2", "RSDP.bin")
    mmap = struct.pack("<II", 24, 0) + b"".join(
        struct.pack("<QQII", b, l, t, 0) for b, l, t in
        ((0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0x100000, 0x7ee0000, 1), (0xfffc0000, 0x40000, 2)))
    fb = struct.pack("<QIIIBBH", 0xfd000000, 4096, 1024, 768, 32, 1, 0)
    tags = [
        mb2_tag(1, b"log=debug policy=soft\x00"),
        mb2_tag(2, b"GRUB 2.06\x00"),
        mb2_tag(3, struct.pack("<II", 0x200000, 0x210000) + b"guest.elf vcpus=2 mem=64M\x00"),
        mb2_tag(3, struct.pack("<II", 0x210000, 0x220000) + b"ipi.elf\x00"),
        mb2_tag(4, struct.pack("<II", 639, 130048)),
        mb2_tag(6, mmap),
        mb2_tag(8, fb),
        mb2_tag(14, rsdp_v1),
        mb2_tag(15, rsdp),
        mb2_tag(0, b""),
    ]
    out("multiboot2", "grub-like", bytes(8) + b"".join(tags))
    out("multiboot2", "cmdline-only", bytes(8) + tags[0] + tags[-1])
    out("multiboot2", "modules-mmap", bytes(8) + tags[2] + tags[3] + tags[5] + tags[-1])


# ---- config: doorbell's own command line -------------------------------------------------------
def make_config():
    lines = {
        "all-good": b"log=debug cpus=2 policy=errata timeout=120 iommu-test=edu-irq "
                    b"test-race=wake test-fault=ud",
        "bad-lenient": b"policy=fast cpus=0 timeout=x lenient unknown=1 test-fault",
        "quoted": b"\"policy=soft\" log=\"warn\" cpus=0x10",
    }
    for name, line in lines.items():
        out("config", name, line)


# ---- acpi_s5: the AML of a DSDT (its body after the 36-byte header) -------------------------
def make_acpi_s5():
    for folder in ("qemu-pc-smp2", "qemu-q35-iommu-seabios", "qemu-q35-iommu-ovmf"):
        out("acpi_s5", folder, read(folder, "DSDT.bin")[36:])
    seeds = {
        "root-prefix-bytes": b"\x10\x08\x5c_S5_\x12\x0a\x04\x0a\x05\x0a\x05\x00\x00",
        "word-two-byte-pkglength": b"\x08_S5_\x12\x41\x00\x02\x0b\x07\x00\x01",
        "dword-one-element": b"\x08_S5_\x12\x0c\x01\x0c\x06\x00\x00\x00",
        "reference-then-declaration": b"\x70_S5_\x60\x08_S5_\x12\x05\x02\x0a\x02\x01",
        "name-string-element": b"\x08_S5_\x12\x07\x01SLP5",
    }
    for name, data in seeds.items():
        out("acpi_s5", name, data)


# ---- vm_options: host CPUs online, then the VM's option words ---------------------------------
def make_vm_options():
    lines = {
        "all-options": b"vcpus=4 mem=64M cpus=0,1-3 pci=00:03.0 pci=00:04.1 replay=all name=vm1 "
                       b"args=\"console=ttyS0 x=1\" initrd=initrd.img",
        "linux": b"vcpus=2 mem=256M initrd=initrd.img args=\"console=ttyS0 quiet\"",
        "bad-cpus": b"cpus=7-9",
        "unknown": b"vcpus=1 colour=blue",
    }
    for name, line in lines.items():
        out("vm_options", name, bytes([3]) + line)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    for name, fn in sorted(globals().items()):
        if name.startswith("make_") and callable(fn):
            fn()


if __name__ == "__main__":
    main()
