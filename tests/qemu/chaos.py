# The chaos guest (guests/chaos.c, issue 18) next to a well-behaved VM, an IPI storm, under soft
# (Debian's QEMU 7.2), errata and standard (the AVIC platform, tools/qemu). Each run must end with
# doorbell intact (no panic, no hypervisor exception), the chaos VM having run every operation on
# every CPU (or stopped with a reason, which fails the run here: it is then a finding to look at),
# and the storm passing. Read by tests/qemu/run.py; `make chaos` sets the environment:
#   CHAOS_SEEDS=1,2,3  CHAOS_OPS=300  CHAOS_POLICIES=soft,errata,standard  CHAOS_VCPUS=2
# docs/chaos.md has the campaigns and their results.
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
scope = {"__file__": os.path.join(ROOT, "tests", "qemu", "guests.py")}
with open(scope["__file__"]) as f:
    exec(compile(f.read(), scope["__file__"], "exec"), scope)
vm_test, closing = scope["vm_test"], scope["closing"]

AVIC_QEMU = os.path.join(ROOT, "build", "qemu", "qemu-system-x86_64")
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]

# make test: seed 1, 150 operations per vCPU, three policies (stage budget 3 minutes; 47-59 s a run
# at a load average of 18)
SEEDS = [int(s) for s in os.environ.get("CHAOS_SEEDS", "1").split(",") if s]
OPS = int(os.environ.get("CHAOS_OPS", "150"))
POLICIES = [p for p in os.environ.get("CHAOS_POLICIES", "soft,errata,standard").split(",") if p]
VCPUS = int(os.environ.get("CHAOS_VCPUS", "2"))
# the sibling: the IPI storm (default) or CHAOS_SIBLING=ipi, the ipi guest on 4 vCPUs
SIBLING = (("build/guests/ipi.elf", "vcpus=4") if os.environ.get("CHAOS_SIBLING") == "ipi" else
           ("build/guests/ipi_storm.elf", 'vcpus=2 args="count=300 limit_s=600"'))
# extra VM options for the chaos VM, e.g. CHAOS_VMOPTS="trace=exits trace-dump=2048" (docs/trace.md)
VMOPTS = os.environ.get("CHAOS_VMOPTS", "")
QUIET = "quiet=1" if os.environ.get("CHAOS_QUIET", "1") == "1" else ""
# doorbell's timeout and the harness's: generous, TCG on a shared host is slow (docs/chaos.md)
LIMIT_S = int(os.environ.get("CHAOS_LIMIT_S", str(60 + OPS * VCPUS // 20)))

TESTS = []
for policy in POLICIES:
    for seed in SEEDS:
        t = vm_test(f"chaos-{policy}-seed{seed}",
                    [("build/guests/chaos.elf",
                      f'vcpus={VCPUS} {VMOPTS} args="seed={seed} ops={OPS} {QUIET}"'),
                     SIBLING],
                    closing("chaos") + closing(os.path.basename(SIBLING[0])[:-4]) +
                    [rf"^\[chaos\.elf\] chaos: seed {seed}, {OPS} operations per CPU, {VCPUS} CPUs$",
                     rf"^avic: policy {policy} "],
                    cmdline=f"timeout={LIMIT_S} policy={policy}", timeout=LIMIT_S + 120)
        t["name"] = f"chaos-{policy}-seed{seed}"
        if policy != "soft":
            t["qemu"], t["qemu_args"], t["cpu"] = AVIC_QEMU, FIRMWARE, "EPYC-Rome,+svm,+avic"
        TESTS.append(t)
