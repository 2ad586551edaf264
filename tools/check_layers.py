#!/usr/bin/env python3
"""The floors of doorbell and the includes between them (docs/architecture.md "Floors").

Every hypervisor source belongs to one floor, by its folder; a file may include headers of its own
floor and of the floors below. An include that goes up a floor is a defect, except the ones listed
in tools/layers_allowed.txt, each with the reason it is still there: that list may only shrink.
The check fails on an upward include that is not listed, and on a listed one that no longer
exists (so the list stays true). `make test` runs it (stage layers).

docs/architecture.md carries the picture of the floors that --doc prints, between the markers
<!-- floors --> and <!-- /floors -->; the check fails when that picture is not the current one.

usage: check_layers.py [--doc | --update-doc | --graph]
  --doc         the floors picture for docs/architecture.md
  --update-doc  write it there
  --graph  the folder graph as Graphviz dot"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOWED = os.path.join(ROOT, "tools", "layers_allowed.txt")
ARCHITECTURE = os.path.join(ROOT, "docs", "architecture.md")

# Bottom to top: (folder, what it holds).
FLOORS = [
    ("kernel", "the host kernel: console, memory, paging, ACPI, LAPIC, timers, SMP, scheduler"),
    ("iommu", "the AMD IOMMU driver: device table, commands, logs, IRTE formats"),
    ("avic/vlapic", "the virtual local APIC and IPI routing"),
    ("svm", "SVM hardware: features, VMCB format, world switch, NPT, exit statistics"),
    ("svm/cpu", "the virtual CPU: CPUID policy, MSRs, control registers, guest registers"),
    ("svm/emul", "instruction decoder, emulator, guest page walk"),
    ("svm/platform", "virtual platform: UART, output log, PIT, IOAPIC, ports, vPCI, guest ACPI"),
    ("avic", "AVIC hardware: physical/logical tables, backing pages, policy, delivery protocol"),
    ("svm/vm", "VMs and vCPUs: run loop, exit handlers, loader, runner, IRTE binding"),
    ("boot", "entry paths (Multiboot2, UEFI), command line, start-up sequence"),
    ("tests/hooks", "test-only code, linked into the test image only"),
]
RANK = {folder: i for i, (folder, _) in enumerate(FLOORS)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def floor_of(path):
    """The floor of a repository path: its longest floor-folder prefix, or None."""
    best = None
    for folder in RANK:
        if path.startswith(folder + "/") and (best is None or len(folder) > len(best)):
            if os.path.dirname(path) == folder:
                best = folder
    return best


def sources():
    for folder in RANK:
        d = os.path.join(ROOT, folder)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if name.endswith((".c", ".h", ".S")):
                yield f"{folder}/{name}"


def upward_includes():
    """(file, header) for every include that goes up a floor; and the number of includes seen."""
    up, seen = [], 0
    for path in sources():
        text = open(os.path.join(ROOT, path), encoding="utf-8").read()
        for header in INCLUDE.findall(text):
            target = floor_of(header)
            if target is None:
                continue  # build/ (the font), or a header outside the floors
            seen += 1
            if RANK[target] > RANK[floor_of(path)]:
                up.append((path, header))
    return up, seen


def allowed():
    """file -> header pairs of tools/layers_allowed.txt ("file -> header: reason")."""
    pairs = {}
    for n, line in enumerate(open(ALLOWED, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^(\S+) -> (\S+): (.+)$", line)
        if not m:
            sys.exit(f"{ALLOWED}:{n}: expected 'file -> header: reason'")
        pairs[(m.group(1), m.group(2))] = m.group(3)
    return pairs


def folder_edges():
    edges = {}
    for path in sources():
        text = open(os.path.join(ROOT, path), encoding="utf-8").read()
        for header in INCLUDE.findall(text):
            a, b = floor_of(path), floor_of(header)
            if b and a != b:
                edges[(a, b)] = edges.get((a, b), 0) + 1
    return edges


def picture():
    """The floors, top first: each with what it holds and the floors below it that it includes
    (the upward includes still allowed are listed in tools/layers_allowed.txt)."""
    edges = folder_edges()
    width = max(len(f) for f in RANK) + 2
    lines = ["```"]
    for folder, what in reversed(FLOORS):
        down = sorted({b for (a, b) in edges if a == folder and RANK[b] < RANK[a]},
                      key=lambda b: -RANK[b])
        lines.append(f"{RANK[folder] + 1:2}  {folder + '/':{width}} {what}")
        lines.append(f"    {'':{width}} uses: {', '.join(down) if down else 'nothing'}")
    lines.append("```")
    return "\n".join(lines)


MAIN_FILES = {"kernel": "kernel/types.h", "iommu": "iommu/iommu.h",
              "avic/vlapic": "avic/vlapic/vapic.h", "svm/cpu": "svm/cpu/cpuid.h",
              "svm/emul": "svm/emul/emulate.h", "svm/platform": "svm/platform/platform.h",
              "avic": "avic/avic.h", "svm": "svm/svm.h", "svm/vm": "svm/vm/vm.h",
              "boot": "boot/main.c", "tests/hooks": "tests/hooks/test_hooks.c"}


def floor_headers_missing():
    """Each floor's main file opens with "/* Floor N, folder/ ...": what it owns, what it may use."""
    missing = []
    for folder, path in MAIN_FILES.items():
        first = open(os.path.join(ROOT, path), encoding="utf-8").readline()
        if not first.startswith(f"/* Floor {RANK[folder] + 1}, {folder}/ "):
            missing.append(path)
    return missing


def doc_is_current():
    text = open(ARCHITECTURE, encoding="utf-8").read()
    m = re.search(r"<!-- floors -->\n(.*?)\n<!-- /floors -->", text, re.S)
    return bool(m) and m.group(1) == picture()


def graph(up):
    edges = folder_edges()
    print("digraph floors {\n  rankdir=BT; node [shape=box];")
    for (a, b), n in sorted(edges.items()):
        style = ' [color=red, label="up"]' if RANK[b] > RANK[a] else ""
        print(f'  "{a}" -> "{b}"{style}; // {n}')
    print("}")


def main():
    up, seen = upward_includes()
    if "--graph" in sys.argv:
        graph(up)
        return 0
    if "--doc" in sys.argv:
        print(picture())
        return 0
    if "--update-doc" in sys.argv:
        text = open(ARCHITECTURE, encoding="utf-8").read()
        text = re.sub(r"<!-- floors -->\n.*?\n<!-- /floors -->",
                      lambda m: "<!-- floors -->\n" + picture() + "\n<!-- /floors -->", text,
                      flags=re.S)
        open(ARCHITECTURE, "w", encoding="utf-8").write(text)
        return 0
    known = allowed()
    new = [p for p in up if p not in known]
    stale = [p for p in known if p not in up]
    for path, header in new:
        print(f"FAIL upward include {path} -> {header}: {floor_of(path)} (floor "
              f"{RANK[floor_of(path)] + 1}) may not include {floor_of(header)} (floor "
              f"{RANK[floor_of(header)] + 1}); move the code, pass a callback, or list it with "
              f"its reason in tools/layers_allowed.txt")
    for path, header in stale:
        print(f"FAIL tools/layers_allowed.txt lists {path} -> {header}, which no longer "
              f"exists: remove the line")
    print(f"layers: {seen} includes between floors checked, {len(up)} go up a floor "
          f"(all listed in tools/layers_allowed.txt)" if not new else
          f"layers: {len(new)} upward include(s) not allowed")
    failed = len(new) + len(stale)
    for path in floor_headers_missing():
        print(f"FAIL {path}: the floor's main file must open with its floor header "
              f"('/* Floor N, folder/ ... Owns ... May use ...')")
        failed += 1
    if not doc_is_current():
        print("FAIL docs/architecture.md: the floors picture between <!-- floors --> and "
              "<!-- /floors --> is not the current one: run `tools/check_layers.py --update-doc`")
        failed += 1
    print(f"layers: {seen - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
