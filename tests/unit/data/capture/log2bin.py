#!/usr/bin/env python3
"""Turns the serial log of acpidump (ACPIDUMP lines) into one binary file per table plus an
index.txt that records where each table lived in physical memory.

usage: log2bin.py SERIAL_LOG OUTPUT_DIR
"""
import os
import sys


def main():
    log, out = sys.argv[1], sys.argv[2]
    tables = []  # [signature, address, declared length, bytearray]
    rsdp = None
    complete = False
    with open(log, 'rb') as f:
        for raw in f:
            line = raw.decode('ascii', 'replace').strip()
            at = line.find('ACPIDUMP ')
            if at < 0:
                continue
            words = line[at:].split()
            if words[1] == 'RSDP':
                rsdp = int(words[2], 16)
            elif words[1] == 'T':
                tables.append([words[2], int(words[3], 16), int(words[4], 16), bytearray()])
            elif words[1] == 'D':
                tables[-1][3] += bytes.fromhex(words[2])
            elif words[1] == 'END':
                complete = True
    if not complete or rsdp is None:
        sys.exit('%s: no complete dump' % log)

    os.makedirs(out, exist_ok=True)
    seen = {}
    index = ['# file  physical-address  (written by capture/log2bin.py)',
             'rsdp 0x%016x' % rsdp]
    for sig, addr, length, data in tables:
        if len(data) != length:
            sys.exit('%s at 0x%x: %d bytes dumped, %d declared' % (sig, addr, len(data), length))
        name = 'RSDP' if sig == 'RSD_' else sig
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name += '-%d' % seen[name]
        with open(os.path.join(out, name + '.bin'), 'wb') as f:
            f.write(data)
        index.append('table %s.bin 0x%016x' % (name, addr))
    with open(os.path.join(out, 'index.txt'), 'w') as f:
        f.write('\n'.join(index) + '\n')


if __name__ == '__main__':
    main()
