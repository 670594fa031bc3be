#!/usr/bin/env python3
"""Data-driven end-to-end tests of `pipec run`.

Every folder under tests/cases/ with a pipeline.pipe is a case:

  pipeline.pipe          the script; relative paths resolve against the case folder
  input.ndjson           its input (and any lookup tables the script names)
  args                   optional: extra pipec arguments, shell-quoted (e.g. --set ...)
  expected.bulk.ndjson   the sink's _bulk output, byte for byte
                         (several sinks: expected.<sink>.bulk.ndjson)
  expected.dlq.ndjson    the dead letters, with the volatile "time" field removed
                         (several pipelines: expected.<pipeline>.dlq.ndjson)
  expected.summary.json  the --summary-json counters without "timing", plus
                         "exit_code" (pipec's exit status)

The runner runs pipec in the case folder, sends every file sink and dead-letter
queue to a temporary folder with --set (stdout sinks are captured), and diffs.

  run_cases.py [--pipec PATH] [--engine interpreter|kernels|jit] [--update] [CASE...]

--engine runs the cases with another engine (the expectations are the same
for all: the engines must agree); --update rewrites the expectations from the
actual results (review the diff!).
"""
import argparse
import difflib
import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def find_pipec(explicit):
    if explicit:
        return os.path.abspath(explicit)
    for candidate in ("build/pipec", "build-run/pipec"):
        path = os.path.join(ROOT, candidate)
        if os.path.exists(path):
            return path
    sys.exit("run_cases.py: pipec not found; pass --pipec PATH")


def discover(names):
    cases = sorted(d for d in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, d, "pipeline.pipe")))
    if names:
        unknown = [n for n in names if n not in cases]
        if unknown:
            sys.exit("run_cases.py: no such case: " + ", ".join(unknown))
        cases = [c for c in cases if c in names]
    return cases


def plan_outline(pipec, case_dir, extra):
    """Pipelines and their sinks, from `pipec explain --format json`."""
    cmd = [pipec, "explain", "pipeline.pipe", "--logical", "--format", "json"] + extra
    proc = subprocess.run(cmd, cwd=case_dir, capture_output=True, text=True)
    if proc.returncode != 0:
        return None, proc.stderr
    outline = []
    for p in json.loads(proc.stdout)["pipelines"]:
        sink = next(op for op in p["logical"] if op["operator"] == "Sink")
        outline.append((p["name"], sink["sink"], sink["connector"]))
    return outline, ""


def strip_timing(value):
    """Drops what differs between runs or engines: timings, the engine name and the run id."""
    if isinstance(value, dict):
        return {k: strip_timing(v) for k, v in value.items() if k not in ("timing", "engine", "run_id")}
    if isinstance(value, list):
        return [strip_timing(v) for v in value]
    return value


def normalize_dlq(text):
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            lines.append(line)  # not JSON: compare as is (and fail loudly)
            continue
        obj.pop("time", None)
        lines.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
    return "".join(l + "\n" for l in lines)


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)


def run_case(pipec, name, update, engine):
    case_dir = os.path.join(HERE, name)
    extra = shlex.split(read(os.path.join(case_dir, "args")))
    outline, _ = plan_outline(pipec, case_dir, [])
    if outline is None:
        outline = []  # a script that does not compile: only the exit code is compared
    with tempfile.TemporaryDirectory(prefix="pipec-case-") as tmp:
        cmd = [pipec, "run", "pipeline.pipe", "--no-progress", "--engine", engine,
               "--summary-json", os.path.join(tmp, "summary.json")]
        sinks = sorted({(s, c) for _, s, c in outline})
        pipelines = sorted({p for p, _, _ in outline})
        for sink, connector in sinks:
            if connector == "file":
                cmd += ["--set", f"{sink}.path={os.path.join(tmp, sink + '.bulk.ndjson')}"]
        for p in pipelines:
            cmd += ["--set", f"{p}.dead-letter.path={os.path.join(tmp, p + '.dlq.ndjson')}"]
        cmd += extra
        proc = subprocess.run(cmd, cwd=case_dir, capture_output=True, timeout=120)

        actual = {}
        for sink, connector in sinks:
            key = "expected.bulk.ndjson" if len(sinks) == 1 else f"expected.{sink}.bulk.ndjson"
            if connector == "file":
                actual[key] = read(os.path.join(tmp, sink + ".bulk.ndjson"))
            else:
                actual[key] = proc.stdout.decode("utf-8", errors="surrogateescape")
        for p in pipelines:
            key = "expected.dlq.ndjson" if len(pipelines) == 1 else f"expected.{p}.dlq.ndjson"
            actual[key] = normalize_dlq(read(os.path.join(tmp, p + ".dlq.ndjson")))
        summary = {}
        if os.path.exists(os.path.join(tmp, "summary.json")):
            summary = strip_timing(json.loads(read(os.path.join(tmp, "summary.json"))))
        summary["exit_code"] = proc.returncode
        actual["expected.summary.json"] = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"

    if update:
        for key, text in actual.items():
            write(os.path.join(case_dir, key), text)
        return True, ""

    report = []
    for key, text in actual.items():
        expected = read(os.path.join(case_dir, key))
        if key.endswith(".dlq.ndjson"):
            expected = normalize_dlq(expected)
        if expected != text:
            report.extend(difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True),
                                               f"{name}/{key}", f"{name}/{key} (actual)"))
            if not report[-1].endswith("\n"):
                report.append("\n")
    if report:
        report.append(f"--- pipec stderr ({name}) ---\n" + proc.stderr.decode("utf-8", errors="replace"))
    return not report, "".join(report)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pipec")
    ap.add_argument("--engine", default="interpreter", choices=["interpreter", "kernels", "jit"])
    ap.add_argument("--update", action="store_true", help="rewrite the expectations from the actual results")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    pipec = find_pipec(args.pipec)
    failed = []
    cases = discover(args.cases)
    for name in cases:
        ok, report = run_case(pipec, name, args.update, args.engine)
        print(("updated " if args.update else "ok      " if ok else "FAILED  ") + name)
        if not ok:
            failed.append(name)
            sys.stdout.write(report)
    print(f"{len(cases) - len(failed)}/{len(cases)} cases passed ({args.engine})" +
          (" (expectations rewritten)" if args.update else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
