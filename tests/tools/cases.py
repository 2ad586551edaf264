"""The pass/fail loop of the tool tests in tests/tools/: each case is (name, function returning a
list of problems); one line per case, then the stage's closing line "NAME: N passed, N failed"
that tests/run_all.sh sums. A case that raises counts as failed."""
import sys


def run_cases(stage, cases):
    passed = failed = 0
    for name, fn in cases:
        try:
            problems = fn()
        except Exception as e:  # a crash of the code under test fails its case, not the stage
            problems = [f"{type(e).__name__}: {e}"]
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for p in problems:
                print(f"     {p}")
        else:
            passed += 1
            print(f"PASS {name}")
        sys.stdout.flush()
    print(f"{stage}: {passed} passed, {failed} failed")
    return 1 if failed else 0
