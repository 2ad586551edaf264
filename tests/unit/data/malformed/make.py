#!/usr/bin/env python3
"""Builds the malformed table sets in this folder from the real OVMF q35 capture
(../qemu-q35-iommu-ovmf). Each variant is a folder with an index.txt in the capture format whose
unchanged tables point back at the capture, plus the one or two modified files. Checksums are
recomputed only where the variant says so, so each variant breaks exactly one rule.

usage: python3 make.py   (run from any directory; rewrites the variant folders)
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, '..', 'qemu-q35-iommu-ovmf')
DSDT = 0x0f779000          # where the DSDT lives in the capture (AML: garbage as a table)
UNMAPPED = 0xdead0000      # no table in the capture is there


def read(name):
    with open(os.path.join(BASE, name), 'rb') as f:
        return bytearray(f.read())


def fix_checksum(data, at, length=None):
    """Makes bytes [0, length) sum to 0 mod 256 by adjusting the byte at 'at'."""
    length = len(data) if length is None else length
    data[at] = 0
    data[at] = (-sum(data[:length])) & 0xff


def variant(name, changed):
    """Writes variant 'name' whose files in 'changed' (file name -> bytes) replace the capture's."""
    out = os.path.join(HERE, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    lines = []
    with open(os.path.join(BASE, 'index.txt')) as f:
        for line in f:
            words = line.split()
            if words and words[0] == 'table':
                if words[1] in changed:
                    with open(os.path.join(out, words[1]), 'wb') as g:
                        g.write(changed[words[1]])
                else:
                    words[1] = '../../qemu-q35-iommu-ovmf/' + words[1]
                line = ' '.join(words) + '\n'
            lines.append(line)
    with open(os.path.join(out, 'index.txt'), 'w') as f:
        f.writelines(lines)


def main():
    rsdp = read('RSDP.bin')
    r = bytearray(rsdp)
    r[8] ^= 0x01                                   # 20-byte checksum wrong
    variant('rsdp-bad-checksum', {'RSDP.bin': r})

    r = bytearray(rsdp)
    r[32] ^= 0x01                                  # extended checksum wrong, first 20 bytes fine
    variant('rsdp-bad-xchecksum', {'RSDP.bin': r})

    variant('rsdp-truncated', {'RSDP.bin': rsdp[:20]})   # revision 2, only 20 bytes present

    r = bytearray(rsdp)
    struct.pack_into('<Q', r, 24, DSDT + 0x200)    # XSDT address points into AML
    fix_checksum(r, 32, 36)
    variant('xsdt-address-garbage', {'RSDP.bin': r})

    xsdt = read('XSDT.bin')
    x = bytearray(xsdt)
    struct.pack_into('<Q', x, 36 + 4 * 8, DSDT + 0x100)   # 5th entry (IVRS) -> into AML
    struct.pack_into('<Q', x, 36 + 5 * 8, UNMAPPED)       # 6th entry (WAET) -> nothing there
    fix_checksum(x, 9)
    variant('xsdt-entry-garbage', {'XSDT.bin': x})

    apic = read('APIC.bin')
    a = bytearray(apic)
    a[0x2f] = 0x10                                 # first CPU's APIC ID, checksum not fixed
    variant('madt-bad-checksum', {'APIC.bin': a})

    variant('madt-truncated', {'APIC.bin': apic[:100]})   # header still says 0x90 bytes

    a = bytearray(apic)
    a[0x4d] = 0                                    # the IOAPIC entry's length
    fix_checksum(a, 9)
    variant('madt-zero-length-entry', {'APIC.bin': a})

    a = bytearray(apic)
    a[0x8b] = 8                                    # last entry (LAPIC NMI, 6 bytes at 0x8a)
    fix_checksum(a, 9)
    variant('madt-entry-past-end', {'APIC.bin': a})

    i = read('IVRS.bin')
    i[0x40] ^= 0xff                                # IVHD segment byte, checksum not fixed
    variant('ivrs-bad-checksum', {'IVRS.bin': i})


if __name__ == '__main__':
    main()
