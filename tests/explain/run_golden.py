#!/usr/bin/env python3
"""Golden `pipec explain`: for every case NAME.pipe here, runs
`pipec explain --format json NAME.pipe [args from NAME.args]` and diffs stdout
with NAME.json.expected (and `--format text` with NAME.txt.expected when present).

  run_golden.py --pipec build/pipec            check (ctest explain_golden)
  run_golden.py --pipec build/pipec --refresh  rewrite the expected files
"""
import argparse
import difflib
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipec", required=True)
    ap.add_argument("--refresh", action="store_true")
    a = ap.parse_args()
    pipec = os.path.abspath(a.pipec)
    passed = failed = 0
    for case in sorted(glob.glob(os.path.join(HERE, "*.pipe"))):
        name = os.path.basename(case)[:-5]
        extra = []
        if os.path.exists(os.path.join(HERE, name + ".args")):
            extra = open(os.path.join(HERE, name + ".args")).read().split()
        for fmt, suffix in (("json", ".json.expected"), ("text", ".txt.expected")):
            expected_path = os.path.join(HERE, name + suffix)
            if fmt == "text" and not os.path.exists(expected_path) and not a.refresh:
                continue
            if fmt == "text" and a.refresh and not os.path.exists(expected_path):
                continue
            r = subprocess.run([pipec, "explain", "--format", fmt, os.path.basename(case), *extra], cwd=HERE,
                               capture_output=True, text=True, timeout=60)
            actual = r.stdout if r.returncode == 0 else f"exit {r.returncode}\n{r.stdout}{r.stderr}"
            if a.refresh:
                with open(expected_path, "w", encoding="utf-8") as f:
                    f.write(actual)
                continue
            expected = open(expected_path, encoding="utf-8").read()
            if actual == expected:
                passed += 1
            else:
                failed += 1
                sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                           name + suffix, "actual"))
    if not a.refresh:
        print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
