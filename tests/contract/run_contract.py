#!/usr/bin/env python3
"""Contract pairs: each tests/contract/<case>/ holds old.pipe (the baseline),
new.pipe (the change) and `expected`: the verdict of

  pipec check --no-color new.pipe --baseline old.pipe      (run in <case>/)

as its first line `exit: N` (0 compatible, 1 breaking, 2 broken baseline)
followed by the exact output (stdout, then stderr when there is any).

  run_contract.py --pipec build/pipec             check (ctest contract_pairs)
  run_contract.py --pipec build/pipec --refresh   rewrite every `expected`
"""
import argparse
import difflib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def verdict(pipec, case_dir):
    p = subprocess.run([pipec, "check", "--no-color", "new.pipe", "--baseline", "old.pipe"], cwd=case_dir,
                       capture_output=True, text=True, errors="replace", timeout=60)
    out = f"exit: {p.returncode}\n{p.stdout}"
    if p.stderr:
        out += "--- stderr\n" + p.stderr
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipec", required=True)
    ap.add_argument("--refresh", action="store_true")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    pipec = os.path.abspath(a.pipec)
    failures = []
    cases = sorted(d for d in os.listdir(HERE) if os.path.isdir(os.path.join(HERE, d)))
    if a.cases:
        cases = [c for c in cases if c in a.cases]
    for case in cases:
        d = os.path.join(HERE, case)
        actual = verdict(pipec, d)
        path = os.path.join(d, "expected")
        if a.refresh:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(actual)
            continue
        try:
            with open(path, encoding="utf-8") as f:
                expected = f.read()
        except FileNotFoundError:
            failures.append(f"{case}: no expected file (run tests/diagnostics/refresh.sh)")
            continue
        if expected != actual:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                f"{case}/expected", "actual"))
            failures.append(f"{case}: verdict differs\n{diff}")
        # The case name states the verdict: breaking_* must fail, compatible_* must pass.
        first = actual.splitlines()[0]
        if case.startswith("breaking_") and first != "exit: 1":
            failures.append(f"{case}: a breaking change must exit 1, got '{first}'")
        if case.startswith("compatible_") and first != "exit: 0":
            failures.append(f"{case}: a compatible change must exit 0, got '{first}'")
    for f in failures:
        print("FAIL", f, file=sys.stderr)
    failed = len({f.split(":")[0] for f in failures})
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
