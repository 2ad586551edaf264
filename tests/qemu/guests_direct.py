# The test guests (guests/*.c) directly under QEMU with -kernel, without doorbell: the reference
# each guest's run under doorbell is compared with. Read by tests/qemu/run.py; build the guests
# first (make guests). QEMU exits with status (code << 1) | 1 through isa-debug-exit: 1 when every
# check passed, 3 when one failed.

PASSED = 1
FORBID = [r"^FAIL", r"unexpected (exception|interrupt)", r"aborted"]


def summary(name, checks):
    """The guest's closing line: every one of its checks passed."""
    return rf"^guest-{name}: {checks} passed, 0 failed$"


def guest(name, cmdline="", checks=None, smp=1, timeout=60, expect=(), **kw):
    closing = [summary(name, checks if checks is not None else r"\d+")]
    return dict(name=f"direct-{name}", boot="kernel", machine=kw.pop("machine", "q35"),
                cpu="EPYC-Rome", smp=smp, mem=kw.pop("mem", 256),
                guests=[(f"build/guests/{name}.elf", cmdline)], status=kw.pop("status", PASSED),
                timeout=timeout, expect=list(expect) + closing, forbid=FORBID, **kw)


TESTS = [
    guest("hello", "greeting=hello answer=42", checks=6,
          expect=[r"^hello from a doorbell test guest$"]),
]
