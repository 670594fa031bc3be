#!/usr/bin/env python3
"""Golden diagnostics: runs `pipec check --no-color` on every case and diffs
its output with the expected file.

  fail_*.pipe   must exit 1; stdout must equal fail_*.expected
                (and `--format json` must equal fail_*.json.expected when present)
  ok_*.pipe     must exit 0 with no output
  CLI_CASES     below: invocations with their own arguments and exit codes
                (a missing FILE, standard input, an oversized file, usage errors)

run from anywhere:
  run_golden.py --pipec build/pipec             check (ctest diagnostics_golden)
  run_golden.py --pipec build/pipec --refresh   rewrite the expected files (refresh.sh)
"""
import argparse
import difflib
import glob
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> (arguments, stdin or None, expected exit code); stdout goes to
# cli_<name>.expected. Paths are relative to this directory.
CLI_CASES = {
    "missing_file": (["does_not_exist.pipe"], None, 2),
    "device_file": (["/dev/zero"], None, 2),
    "missing_and_broken": (["does_not_exist.pipe", "fail_unknown_column.pipe"], None, 2),
    "stdin": (["-"], "CREATE SOURCE s (x BIGINT) WITH (connector = 'file', path = 'x.ndjson');\n"
                     "CREATE SINK o WITH (connector = 'stdout', 'document.id' = 'x');\n"
                     "CREATE PIPELINE p AS INSERT INTO o SELECT x, y FROM s;\n", 1),
    "several_files": (["fail_unknown_column.pipe", "ok_complete.pipe", "fail_lint_unbounded_state.pipe"], None, 1),
    "json_format": (["--format", "json", "fail_multiple_independent_errors.pipe"], None, 1),
    "bad_format": (["--format", "xml", "ok_complete.pipe"], None, 2),
    "no_file": ([], None, 2),
    "unknown_flag": (["--frobnicate", "ok_complete.pipe"], None, 2),
    "emit_mapping": (["ok_complete.pipe", "--emit-mapping", "es_orders"], None, 0),
    "emit_mapping_only_sink": (["--emit-mapping", "ok_mapping_types.pipe"], None, 0),
    "emit_mapping_unknown_sink": (["ok_complete.pipe", "--emit-mapping", "es_order"], None, 2),
    "emit_mapping_conflict": (["fail_sink_schema_shared.pipe", "--emit-mapping", "es"], None, 1),
    "list_lints": (["--list-lints"], None, 0),
    # An oversized file is generated (see generated_cases); 4 MiB is not committed.
    "input_too_large": (["@large"], None, 1),
}


# Kinds in diagnostic_kinds.def that nothing reports yet.
NOT_EMITTED = {"ImplicitCastLoss"}


def run(pipec, args, stdin=None, cwd=HERE):
    p = subprocess.run([pipec, "check", "--no-color", *args], cwd=cwd, input=stdin, capture_output=True,
                       text=True, errors="replace", timeout=60)
    return p.returncode, p.stdout, p.stderr


def compare(name, expected_path, actual, refresh, failures):
    if refresh:
        with open(expected_path, "w", encoding="utf-8", newline="\n") as f:
            f.write(actual)
        return
    try:
        with open(expected_path, encoding="utf-8") as f:
            expected = f.read()
    except FileNotFoundError:
        failures.append(f"{name}: missing {os.path.basename(expected_path)} (run refresh.sh)")
        return
    if expected != actual:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            os.path.basename(expected_path), "actual"))
        failures.append(f"{name}: output differs\n{diff}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipec", required=True)
    ap.add_argument("--refresh", action="store_true")
    ap.add_argument("cases", nargs="*", help="only these case names")
    a = ap.parse_args()
    pipec = os.path.abspath(a.pipec)
    failures = []
    count = 0

    files = sorted(os.listdir(HERE))
    for f in files:
        if not f.endswith(".pipe") or not (f.startswith("fail_") or f.startswith("ok_")):
            continue
        name = f[:-5]
        if a.cases and name not in a.cases:
            continue
        count += 1
        code, out, err = run(pipec, [f])
        if f.startswith("ok_"):
            if code != 0 or out or err:
                failures.append(f"{name}: expected a clean run, got exit {code}\n{out}{err}")
            continue
        if code != 1:
            failures.append(f"{name}: expected exit 1, got {code}\n{err}")
        if err:
            failures.append(f"{name}: unexpected stderr:\n{err}")
        compare(name, os.path.join(HERE, name + ".expected"), out, a.refresh, failures)
        json_expected = os.path.join(HERE, name + ".json.expected")
        if os.path.exists(json_expected):
            code, out, err = run(pipec, ["--format", "json", f])
            compare(name + " (json)", json_expected, out, a.refresh, failures)

    with tempfile.TemporaryDirectory() as tmp:
        large = os.path.join(tmp, "large.pipe")
        with open(large, "w") as f:
            f.write("-- a generated file over the 4 MiB limit\n")
            line = "-- " + "x" * 1020 + "\n"
            f.write(line * (4 * 1024 + 8))
        for name, (args, stdin, want) in CLI_CASES.items():
            if a.cases and name not in a.cases:
                continue
            count += 1
            cwd = HERE
            if "@large" in args:
                args = ["large.pipe" if x == "@large" else x for x in args]
                cwd = tmp
            code, out, err = run(pipec, args, stdin, cwd)
            if code != want:
                failures.append(f"cli_{name}: expected exit {want}, got {code}\n{out}{err}")
            # Usage errors print to stderr; everything else to stdout.
            text = out if out else err
            compare("cli_" + name, os.path.join(HERE, "cli_" + name + ".expected"), text, a.refresh, failures)

    # Every subcommand answers --help on stdout with exit 0 and its own usage.
    if not a.cases:
        for cmd in ("check", "run", "explain", "functions", "alias"):
            count += 1
            p = subprocess.run([pipec, cmd, "--help"], capture_output=True, text=True, timeout=60)
            if p.returncode != 0 or not p.stdout.startswith("usage:") or f"pipec {cmd} " not in p.stdout or p.stderr:
                failures.append(f"help_{cmd}: expected usage on stdout, exit 0; got exit {p.returncode}\n"
                                f"{p.stdout}{p.stderr}")

    # run --compile-only compiles without touching a source or sink (ok_complete.pipe names Kafka
    # and OpenSearch servers that are not there) and fills the kernel cache.
    if not a.cases:
        count += 1
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, PIPEC_CACHE_DIR=cache)
            said = []
            for _ in range(2):
                p = subprocess.run([pipec, "run", "ok_complete.pipe", "--compile-only"], cwd=HERE, env=env,
                                   capture_output=True, text=True, timeout=60)
                m = re.search(r"pipec run --compile-only: \d+ pipeline\(s\), (\d+) kernel\(s\) \((\d+) compiled, "
                              r"(\d+) from the cache\) in [\d.]+ ms", p.stderr)
                said.append((p.returncode, m.groups() if m else p.stderr))
            kernels = said[0][1][0] if isinstance(said[0][1], tuple) else None
            if not kernels or int(kernels) < 1 or said != [(0, (kernels, kernels, "0")), (0, (kernels, "0", kernels))]:
                failures.append(f"compile_only: expected exit 0, compiled then cached; got {said}")

    # diagnostic_kinds.def promises a golden case for every kind.
    if not a.cases:
        count += 1
        kinds_def = os.path.join(HERE, "..", "..", "compiler", "diagnostics", "diagnostic_kinds.def")
        kinds = re.findall(r"^DIAG\((\w+),", open(kinds_def).read(), re.M)
        shown = ""
        for d in [HERE] + glob.glob(os.path.join(HERE, "..", "contract", "*")):
            for f in glob.glob(os.path.join(d, "*expected")):
                shown += open(f, encoding="utf-8").read()
        uncovered = [k for k in kinds if k not in NOT_EMITTED and f"[{k}]" not in shown and f'"{k}"' not in shown]
        if uncovered:
            failures.append("kind coverage: no golden case shows " + ", ".join(uncovered) +
                            " (add a fail_*.pipe, or list the kind in NOT_EMITTED)")

    for f in failures:
        print("FAIL", f, file=sys.stderr)
    passed = count - len({f.split(":")[0] for f in failures})
    print(f"{passed} passed, {count - passed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
