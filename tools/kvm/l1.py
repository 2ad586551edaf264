"""The KVM L1's boot files (docs/kvm.md): Debian's kernel and an initramfs holding its four KVM
modules, Debian's qemu-system-x86_64 with its shared libraries and firmware, busybox-static and
tools/kvm/init.sh as /init (the base, built once and cached in build/kvm/), followed by a small
second archive with the guest image and the run's settings (/kvm/run.conf). The kernel unpacks
concatenated gzip'd cpio archives as one tree."""
import glob
import gzip
import hashlib
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build", "kvm")
FETCH = os.path.join(ROOT, "tools", "debian", "fetch.sh")
INITRAMFS = os.path.join(ROOT, "tools", "debian", "initramfs.sh")
INIT = os.path.join(ROOT, "tools", "kvm", "init.sh")
# In load order: kvm-amd needs kvm (which needs irqbypass) and ccp's PSP symbols.
MODULES = ["virt/lib/irqbypass.ko", "arch/x86/kvm/kvm.ko", "drivers/crypto/ccp/ccp.ko",
           "arch/x86/kvm/kvm-amd.ko"]
# Debian's QEMU (package qemu-system-x86, installed by make deps) and the firmware a q35 machine
# with -kernel and the default VGA reads: SeaBIOS, the VGA BIOS, the Multiboot/Linux option ROMs.
L2_QEMU = "/usr/bin/qemu-system-x86_64"
FIRMWARE = ["/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/vgabios-stdvga.bin",
            "/usr/share/qemu/kvmvapic.bin", "/usr/share/qemu/linuxboot_dma.bin",
            "/usr/share/qemu/multiboot_dma.bin"]


class Error(Exception):
    pass


def fetch(*packages):
    r = subprocess.run([FETCH, *packages], stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Error(f"tools/debian/fetch.sh {' '.join(packages)} failed (see above)")
    return r.stdout.split()


def kernel():
    """(vmlinuz path, unpacked package directory) of Debian's linux-image-amd64."""
    pkg = fetch("linux-image-amd64")[0]
    images = glob.glob(os.path.join(pkg, "boot", "vmlinuz-*"))
    if len(images) != 1:
        raise Error(f"{pkg}: expected one boot/vmlinuz-*, found {images}")
    return images[0], pkg


def shared_libraries(binary):
    """The files ldd names for binary: each library and the program interpreter."""
    out = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts:
            path = parts[parts.index("=>") + 1]
            if path.startswith("/"):
                libs.append(path)
            elif path == "not":
                raise Error(f"{binary}: {line.strip()}: reinstall qemu-system-x86")
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])
    return libs


def copy_into(tree, path, dest=None):
    target = os.path.join(tree, (dest or path).lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(path, target)  # follows symlinks: the file under the name asked for
    shutil.copymode(path, target)


def base_key(vmlinuz):
    h = hashlib.sha256()
    for path in [INIT, INITRAMFS, __file__]:
        with open(path, "rb") as f:
            h.update(f.read())
    st = os.stat(L2_QEMU)
    h.update(f"{vmlinuz} {L2_QEMU} {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def base_initramfs():
    """build/kvm/l1-base.cpio.gz, rebuilt when init.sh, the kernel or Debian's QEMU changed."""
    vmlinuz, pkg = kernel()
    if not os.path.exists(L2_QEMU):
        raise Error(f"{L2_QEMU} missing: run make deps (Debian's qemu-system-x86)")
    os.makedirs(BUILD, exist_ok=True)
    out = os.path.join(BUILD, "l1-base.cpio.gz")
    stamp = out + ".key"
    key = base_key(vmlinuz)
    if os.path.exists(out) and os.path.exists(stamp) and open(stamp).read() == key:
        return vmlinuz, out
    tree = os.path.join(BUILD, "l1-tree")
    shutil.rmtree(tree, ignore_errors=True)
    version = os.path.basename(vmlinuz)[len("vmlinuz-"):]
    for m in MODULES:
        src = os.path.join(pkg, "lib", "modules", version, "kernel", m)
        if not os.path.exists(src):
            raise Error(f"{src} missing in {pkg}")
        copy_into(tree, src, f"/lib/modules/{version}/kernel/{m}")
    copy_into(tree, L2_QEMU)
    for lib in shared_libraries(L2_QEMU):
        copy_into(tree, lib)
    for fw in FIRMWARE:
        if not os.path.exists(fw):
            raise Error(f"{fw} missing: run make deps (Debian's seabios and qemu-system-data)")
        copy_into(tree, fw)
    copy_into(tree, INIT, "/init")
    r = subprocess.run([INITRAMFS, out, tree], stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        raise Error("tools/debian/initramfs.sh failed (see above)")
    shutil.rmtree(tree, ignore_errors=True)
    with open(stamp, "w") as f:
        f.write(key)
    return vmlinuz, out


def newc(entries):
    """A newc cpio archive of (name, mode, data) regular files and directories (data None)."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, None)], 1):
        body = data or b""
        fields = [ino, mode, 0, 0, 1 if data is None else 1, 0, len(body), 0, 0, 0, 0,
                  len(name) + 1, 0]
        out += b"070701" + b"".join(b"%08x" % v for v in fields) + name.encode() + b"\0"
        out += b"\0" * (-len(out) % 4) + body
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def run_initrd(workdir, base, guest, initrd, settings):
    """base followed by an archive with /kvm/<guest name>, /kvm/<initrd name> (when given; for a
    bzImage guest) and /kvm/run.conf (settings: dict)."""
    files = [("kvm", 0o40755, None)]
    for path in filter(None, (guest, initrd)):
        with open(path, "rb") as f:
            files.append((f"kvm/{os.path.basename(path)}", 0o100644, f.read()))
    conf = "".join(f"{k}={shell_quote(str(v))}\n" for k, v in settings.items())
    conf += f"NAME={shell_quote(os.path.basename(guest))}\n"
    conf += f"INITRD={shell_quote(os.path.basename(initrd) if initrd else '')}\n"
    files.append(("kvm/run.conf", 0o100644, conf.encode()))
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, "initrd.img")
    with open(out, "wb") as f, open(base, "rb") as b:
        shutil.copyfileobj(b, f)
        f.write(gzip.compress(newc(files), compresslevel=1))
    return out
