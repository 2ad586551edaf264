# AVIC runs left out of `make test` because they do not pass every run on the AVIC platform
# (docs/avic.md, "Known problems"): the guests that put 4 vCPUs on 2 host CPUs under errata and
# standard, and the erratum experiment's control (standard policy, erratum off). Run with
# `make test-avic-more`; read by tests/qemu/run.py.
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(name):
    scope = {"__file__": os.path.join(ROOT, "tests", "qemu", name)}
    with open(scope["__file__"]) as f:
        exec(compile(f.read(), scope["__file__"], "exec"), scope)
    return scope


avic = load("guests_avic.py")
guests = load("guests.py")
erratum = load("erratum.py")
MORE = ["doorbell-smp4-oversubscribed", "doorbell-ipi", "doorbell-ipi-storm"]

TESTS = []
for policy in ("errata", "standard"):
    for base in guests["TESTS"]:
        if base["name"] in MORE:
            t = dict(base, name=base["name"].replace("doorbell-", f"avic-{policy}-"),
                     qemu=avic["QEMU"], qemu_args=avic["FIRMWARE"], cpu="EPYC-Rome,+svm,+avic",
                     cmdline=f"{base.get('cmdline', '')} policy={policy}".strip())
            TESTS.append(t)
TESTS.append(erratum["experiment"]("erratum-off-standard", "standard", False, 1,
                                   [erratum["ALL_ARRIVED"]], [erratum["LOST"]]))
