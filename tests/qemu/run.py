#!/usr/bin/env python3
"""QEMU integration tests for doorbell.

Each test boots doorbell in QEMU by one of three paths (uefi: OVMF + doorbell.efi on a FAT ESP
built with mtools; grub-bios / grub-efi: the GRUB rescue ISO), optionally with guest images as
modules, under a time limit; or (boot="kernel") runs one guest directly under QEMU with -kernel,
without doorbell, as the reference to compare with. It then checks the serial log against the test's expectations and
QEMU's exit status (isa-debug-exit: status = value << 1 | 1). A test whose doorbell command line has
a test-only option (iommu-test=, test-race=, test-fault) boots the test image, build/doorbell-test.*.

usage: run.py [--only NAME[,NAME...]] [--list] [--timing FILE] SUITE.py

Prints one line per test and closes with "qemu: N passed, N failed". Logs are kept in
build/tests/<name>/serial.log."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
OVMF_CODE = os.environ.get("OVMF_CODE", "/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = os.environ.get("OVMF_VARS", "/usr/share/OVMF/OVMF_VARS_4M.fd")
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")


def sh(*cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


# The options only the test image answers (svm/vm/test_hooks.h): a test that uses one boots
# build/doorbell-test.elf or .efi, every other test the image users boot.
TEST_ONLY_OPTIONS = ("iommu-test=", "test-race=", "test-fault", "test-spec=")


def image_name(cmdline, image=None):
    """The test's own image= if it names one, else the test image for a test-only option."""
    if image:
        return image
    test_only = any(w.startswith(TEST_ONLY_OPTIONS) for w in cmdline.split())
    return "doorbell-test" if test_only else "doorbell"


def make_esp(workdir, cmdline, guests, image=None):
    """A FAT ESP image with doorbell.efi as the removable-media boot file and a doorbell.cfg."""
    img = os.path.join(workdir, "esp.img")
    if os.path.exists(img):
        os.unlink(img)
    with open(img, "wb") as f:
        f.truncate(64 << 20)
    sh("mformat", "-i", img, "-F", "::")
    sh("mmd", "-i", img, "::/EFI", "::/EFI/BOOT", "::/guests")
    sh("mcopy", "-i", img, os.path.join(BUILD, image_name(cmdline, image) + ".efi"),
       "::/EFI/BOOT/BOOTX64.EFI")
    cfg = ["# written by tests/qemu/run.py", f"cmdline {cmdline}"]
    for path, opts in guests:
        name = os.path.basename(path)
        sh("mcopy", "-i", img, path, f"::/guests/{name}")
        cfg.append(f"guest \\guests\\{name} {opts}".rstrip())
    cfg_path = os.path.join(workdir, "doorbell.cfg")
    with open(cfg_path, "w") as f:
        f.write("\n".join(cfg) + "\n")
    sh("mcopy", "-i", img, cfg_path, "::/doorbell.cfg")
    return img


def make_iso(workdir, cmdline, guests, image=None):
    """A GRUB rescue image (BIOS and EFI) booting doorbell.elf with the guests as modules."""
    tree = os.path.join(workdir, "iso")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(os.path.join(tree, "boot", "grub"))
    os.makedirs(os.path.join(tree, "guests"))
    shutil.copy(os.path.join(BUILD, image_name(cmdline, image) + ".elf"),
                os.path.join(tree, "boot", "doorbell.elf"))
    lines = ["set timeout=0", "serial --unit=0 --speed=115200",
             "terminal_input serial console", "terminal_output serial console",
             'menuentry "doorbell" {', f"  multiboot2 /boot/doorbell.elf {cmdline}".rstrip()]
    for path, opts in guests:
        name = os.path.basename(path)
        shutil.copy(path, os.path.join(tree, "guests", name))
        lines.append(f"  module2 /guests/{name} {name} {opts}".rstrip())
    lines += ["  boot", "}"]
    with open(os.path.join(tree, "boot", "grub", "grub.cfg"), "w") as f:
        f.write("\n".join(lines) + "\n")
    iso = os.path.join(workdir, "doorbell.iso")
    sh("grub-mkrescue", "-o", iso, tree)
    return iso


# The log is the UART on stdio: COM1, or COM2 (with COM1 unconnected) for a test with serial="com2"
SERIAL = {"com1": ["-serial", "stdio"], "com2": ["-serial", "null", "-serial", "stdio"]}


def qemu_command(test, workdir):
    boot = test["boot"]
    cmdline = test.get("cmdline", "")
    guests = [(os.path.join(ROOT, g[0]), g[1]) for g in test.get("guests", [])]
    machine = test.get("machine", "q35")
    cmd = [test.get("qemu", QEMU), "-machine", machine, "-m", str(test.get("mem", 512)),
           "-smp", str(test.get("smp", 2)), "-cpu", test.get("cpu", "EPYC-Rome,+svm"),
           "-display", "none", "-no-reboot", *SERIAL[test.get("serial", "com1")], "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-net", "none"]
    if boot in ("uefi", "grub-efi"):
        vars_copy = os.path.join(workdir, "OVMF_VARS.fd")
        shutil.copy(OVMF_VARS, vars_copy)
        cmd += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                "-drive", f"if=pflash,format=raw,file={vars_copy}"]
    if boot == "uefi":
        cmd += ["-drive", f"format=raw,file={make_esp(workdir, cmdline, guests, test.get('image'))}"]
    elif boot in ("grub-bios", "grub-efi"):
        cmd += ["-cdrom", make_iso(workdir, cmdline, guests, test.get('image'))]
    elif boot == "kernel":
        # the guest alone, directly under QEMU (no doorbell): the reference behaviour
        path, opts = guests[0]
        cmd += ["-kernel", path]
        if opts:
            cmd += ["-append", opts]
    else:
        raise ValueError(f"unknown boot path {boot}")
    return cmd + test.get("qemu_args", [])


def run_test(test):
    name = test["name"]
    workdir = os.path.join(BUILD, "tests", name)
    os.makedirs(workdir, exist_ok=True)
    # "command": a test that boots its own stack (tests/qemu/kvm.py: Linux KVM in an L1) and
    # whose exit status stands for QEMU's
    cmd = test["command"](workdir) if "command" in test else qemu_command(test, workdir)
    log_path = os.path.join(workdir, "serial.log")
    timeout = test.get("timeout", 90)
    start = time.monotonic()
    stamps = []
    with open(log_path, "w") as log:
        log.write("# " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        timed_out = False
        os.set_blocking(proc.stdout.fileno(), False)
        buf = b""
        while True:
            if time.monotonic() - start > timeout:
                proc.kill()
                timed_out = True
            chunk = proc.stdout.read() if proc.stdout else b""
            if chunk:
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode("utf-8", "replace").rstrip("\r")
                    stamps.append((time.monotonic() - start, text))
                    log.write(f"[{stamps[-1][0]:7.3f}] {text}\n")
            elif proc.poll() is not None:
                break
            else:
                time.sleep(0.02)
        if buf:
            stamps.append((time.monotonic() - start, buf.decode("utf-8", "replace")))
            log.write(stamps[-1][1] + "\n")
    status = proc.wait()
    text = "\n".join(t for _, t in stamps)
    problems = []
    if timed_out and not test.get("expect_timeout"):
        problems.append(f"timed out after {timeout} s")
    want_status = test.get("status", 1)  # a status, a list of them, or None: any
    wanted = want_status if isinstance(want_status, (list, tuple)) else [want_status]
    if not timed_out and want_status is not None and status not in wanted:
        problems.append(f"QEMU exit status {status}, expected "
                        f"{' or '.join(str(w) for w in wanted)}")
    for pattern in test.get("expect", []):
        if not re.search(pattern, text, re.M):
            problems.append(f"missing /{pattern}/")
    for pattern in test.get("forbid", []):
        m = re.search(pattern, text, re.M)
        if m:
            problems.append(f"forbidden /{pattern}/ matched: {m.group(0)!r}")
    check = test.get("check")
    if check:
        problems += check(text)
    marks = {}
    for label, pattern in test.get("timing", {}).items():
        for t, line in stamps:
            if re.search(pattern, line):
                marks[label] = t
                break
    return problems, time.monotonic() - start, log_path, marks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("suite")
    ap.add_argument("--only")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--timing", help="append measured timing marks to this file")
    args = ap.parse_args()
    scope = {"__file__": os.path.abspath(args.suite)}
    with open(args.suite) as f:
        exec(compile(f.read(), args.suite, "exec"), scope)
    tests = scope["TESTS"]
    if args.only:
        wanted = set(args.only.split(","))
        tests = [t for t in tests if t["name"] in wanted]
    if args.list:
        for t in tests:
            print(t["name"])
        return 0
    passed = failed = 0
    for test in tests:
        try:
            problems, elapsed, log_path, marks = run_test(test)
        except subprocess.CalledProcessError as e:
            problems, elapsed, log_path, marks = [f"setup failed: {e} {e.stderr!r}"], 0, "-", {}
        extra = "".join(f" {k}={v:.2f}s" for k, v in marks.items())
        if problems:
            failed += 1
            print(f"FAIL {test['name']} ({elapsed:.1f} s){extra}: log {log_path}")
            for p in problems:
                print(f"     {p}")
        else:
            passed += 1
            print(f"PASS {test['name']} ({elapsed:.1f} s){extra}")
        if args.timing and marks:
            with open(args.timing, "a") as f:
                f.write(f"{test['name']}{extra}\n")
        sys.stdout.flush()
    print(f"qemu: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
