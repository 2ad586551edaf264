# Debian's Linux kernel as a guest under Linux KVM 6.1 (docs/kvm.md "Linux under KVM"): the same
# kernel, initramfs (guests/linux: busybox-static and the workload) and arguments as the linux
# stage's runs under doorbell (tests/qemu/linux.py), with 4 vCPUs and 256 MiB, under KVM avic=0
# in the L1 on the AVIC QEMU (tools/kvm/run.py), plus nox2apic (KVM gives its guests x2APIC, and
# KVM 6.1 inhibits AVIC for an x2APIC guest without x2AVIC, which this platform lacks; with it,
# an avic=1 run stops in the PCI scan, 4 of 4: open, docs/kvm.md "Linux under KVM"). It must
# bring the 4 CPUs online, run the workload to its expected counts with IPIs of each kind, show no stall, and
# power off (ACPI S5, which make run HV=kvm reports as status 1, as doorbell does). `make
# kvm-linux`: too slow for make test (Linux boots in the L2 of a TCG L1; measured in docs/kvm.md).
# Read by tests/qemu/run.py.
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
scope = {"__file__": os.path.join(ROOT, "tests", "qemu", "linux.py")}
with open(scope["__file__"]) as f:
    exec(compile(f.read(), scope["__file__"], "exec"), scope)
KERNEL, INITRD, ARGS, VCPUS = scope["KERNEL"], scope["INITRD"], scope["ARGS"], scope["VCPUS"]
linux_expect, LINUX_FORBID, TIMING = scope["linux_expect"], scope["LINUX_FORBID"], scope["TIMING"]
LIMIT = 900  # seconds the guest may run under KVM (about 180 s seen)


def command(workdir):
    return [sys.executable, os.path.join(ROOT, "tools", "kvm", "run.py"), "--guest", KERNEL,
            "--initrd", INITRD, "--vcpus", str(VCPUS), "--mem", "256M", "--args",
            ARGS + " nox2apic",
            "--avic", "1", "--kvm-opts", "avic=0", "--timeout", str(LIMIT), "--quiet",
            "--console-log", os.path.join(workdir, "l1-console.log")]


VM = os.path.basename(KERNEL)
TESTS = [dict(name="kvm-linux-avic0", command=command, status=1, timeout=LIMIT + 300,
              expect=linux_expect(VM) + [
                  r"^make run: QEMU exit status 1: the guest powered off"],
              forbid=LINUX_FORBID + [r"^make run HV=kvm: FAILED"], timing=TIMING)]
