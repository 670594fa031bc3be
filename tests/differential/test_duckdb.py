#!/usr/bin/env python3
"""Differential test: pipec against DuckDB on generated data.

Generates NDJSON rows (NULLs, negatives, zero, empty and non-ASCII strings)
and random, well-typed expressions in the SQL both engines share, runs them as
one pipeline (`pipec run`, JIT by default, and `--no-jit`) and as one DuckDB
query, and compares every output value and the set of rows WHERE keeps.

pipec turns every error (division by zero, overflow, failed cast) into a NULL
of that subexpression; the DuckDB rendering wraps exactly those
subexpressions in TRY(...), which is DuckDB's way to say the same.

Usage: test_duckdb.py PIPEC [--rounds N] [--seed S]
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import duckdb

COLUMNS = [("id", "BIGINT"), ("a", "BIGINT"), ("b", "BIGINT"), ("x", "DOUBLE"), ("y", "DOUBLE"),
           ("s", "STRING"), ("t", "STRING"), ("f", "BOOLEAN")]
DUCK_TYPES = {"BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "STRING": "VARCHAR", "BOOLEAN": "BOOLEAN"}
STRINGS = ["", "a", "abc", "ABC", "Abc", "x_y", "50%", "héllo", "日本", "zz", "a b", "42", "-7", "3.5", "true"]


class Gen:
    """Renders each expression twice: (pipec_sql, duckdb_sql)."""

    def __init__(self, rng):
        self.r = rng

    def pick(self, *options):
        return self.r.choice(options)

    def leaf(self, t):
        r = self.r
        if t == "BIGINT":
            if r.random() < 0.7:
                c = self.pick("a", "b")
                return c, c
            v = self.pick("0", "1", "-1", "7", "100", "-3", "NULL")
            return (v, "CAST(NULL AS BIGINT)") if v == "NULL" else (v, v)
        if t == "DOUBLE":
            if r.random() < 0.7:
                c = self.pick("x", "y")
                return c, c
            v = self.pick("0.0", "1.5", "-2.25", "10.0", "0.1")
            return v, v
        if t == "STRING":
            if r.random() < 0.7:
                c = self.pick("s", "t")
                return c, c
            v = self.pick("''", "'a'", "'abc'", "'ABC'", "'x_y'")
            return v, v
        if t == "BOOLEAN":
            if r.random() < 0.6:
                return "f", "f"
            v = self.pick("TRUE", "FALSE")
            return v, v
        raise ValueError(t)

    def gen(self, t, depth):
        r = self.r
        if depth <= 0 or r.random() < 0.25:
            return self.leaf(t)
        g = lambda tt: self.gen(tt, depth - 1)
        if t == "BIGINT":
            k = r.randrange(8)
            if k <= 2:
                op = "+-*"[k]
                (p1, d1), (p2, d2) = g("BIGINT"), g("BIGINT")
                return f"({p1} {op} {p2})", f"TRY({d1} {op} {d2})"
            if k == 3:
                (p1, d1), (p2, d2) = g("BIGINT"), g("BIGINT")
                return f"({p1} % {p2})", f"TRY({d1} % {d2})"
            if k == 4:
                p, d = g("BIGINT")
                return f"abs({p})", f"TRY(abs({d}))"
            if k == 5:
                (pc, dc), (p1, d1), (p2, d2) = g("BOOLEAN"), g("BIGINT"), g("BIGINT")
                return f"CASE WHEN {pc} THEN {p1} ELSE {p2} END", f"CASE WHEN {dc} THEN {d1} ELSE {d2} END"
            if k == 6:
                p, d = g("STRING")
                return f"length({p})", f"length({d})"
            (p1, d1), (p2, d2) = g("BIGINT"), g("BIGINT")
            return f"coalesce({p1}, {p2})", f"coalesce({d1}, {d2})"
        if t == "DOUBLE":
            k = r.randrange(6)
            if k <= 2:
                op = "+-*"[k]
                (p1, d1), (p2, d2) = g("DOUBLE"), g("DOUBLE")
                return f"({p1} {op} {p2})", f"({d1} {op} {d2})"
            if k == 3:
                (p1, d1), (p2, d2) = g(self.pick("DOUBLE", "BIGINT")), g(self.pick("DOUBLE", "BIGINT"))
                return f"({p1} / {p2})", f"TRY({d1} / {d2})"
            if k == 4:
                p, d = g("BIGINT")
                return f"CAST({p} AS DOUBLE)", f"CAST({d} AS DOUBLE)"
            (p1, d1), (p2, d2) = g("DOUBLE"), g("BIGINT")
            return f"({p1} + {p2})", f"({d1} + {d2})"
        if t == "STRING":
            k = r.randrange(5)
            if k == 0:
                (p1, d1), (p2, d2) = g("STRING"), g("STRING")
                return f"({p1} || {p2})", f"({d1} || {d2})"
            if k == 1:
                p, d = g("STRING")
                fn = self.pick("lower", "upper")
                # pipec maps ASCII letters only (docs/functions.md); translate()
                # is DuckDB's exact ASCII-only equivalent.
                lo, up = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                frm, to = (up, lo) if fn == "lower" else (lo, up)
                return f"{fn}({p})", f"translate({d}, '{frm}', '{to}')"
            if k == 2:
                p, d = g("BIGINT")
                return f"CAST({p} AS STRING)", f"CAST({d} AS VARCHAR)"
            if k == 3:
                (p1, d1), (p2, d2) = g("STRING"), g("STRING")
                return f"coalesce({p1}, {p2})", f"coalesce({d1}, {d2})"
            (pc, dc), (p1, d1) = g("BOOLEAN"), g("STRING")
            return f"CASE WHEN {pc} THEN {p1} END", f"CASE WHEN {dc} THEN {d1} END"
        if t == "BOOLEAN":
            k = r.randrange(9)
            if k == 0 or k == 1:
                op = "AND" if k == 0 else "OR"
                (p1, d1), (p2, d2) = g("BOOLEAN"), g("BOOLEAN")
                return f"({p1} {op} {p2})", f"({d1} {op} {d2})"
            if k == 2:
                p, d = g("BOOLEAN")
                return f"(NOT {p})", f"(NOT {d})"
            if k <= 5:
                tt = ("BIGINT", "DOUBLE", "STRING")[k - 3]
                op = self.pick("=", "<>", "<", "<=", ">", ">=")
                (p1, d1), (p2, d2) = g(tt), g(tt)
                return f"({p1} {op} {p2})", f"({d1} {op} {d2})"
            if k == 6:
                p, d = g(self.pick("BIGINT", "STRING", "DOUBLE"))
                neg = self.pick("", " NOT")
                return f"({p} IS{neg} NULL)", f"({d} IS{neg} NULL)"
            if k == 7:
                (p, d), (lo, dlo), (hi, dhi) = g("BIGINT"), g("BIGINT"), g("BIGINT")
                return f"({p} BETWEEN {lo} AND {hi})", f"({d} BETWEEN {dlo} AND {dhi})"
            p, d = g("STRING")
            if r.random() < 0.5:
                pat = self.pick("'a%'", "'%c'", "'_b%'", "'%'", "'ABC'", "'%\u00e9%'")
                return f"({p} LIKE {pat})", f"({d} LIKE {pat})"
            items = ", ".join(self.pick("'a'", "'abc'", "''", "'42'") for _ in range(3))
            return f"({p} IN ({items}))", f"({d} IN ({items}))"
        raise ValueError(t)


def make_rows(rng, n):
    rows = []
    for i in range(n):
        def maybe(v):
            return None if rng.random() < 0.15 else v
        rows.append({
            "id": i,
            "a": maybe(rng.choice([0, 1, -1, 2, 7, -7, 100, rng.randint(-1000, 1000)])),
            "b": maybe(rng.choice([0, 1, -1, 3, rng.randint(-50, 50)])),
            "x": maybe(rng.choice([0.0, 1.5, -2.5, 0.1, rng.randint(-10000, 10000) / 8])),
            "y": maybe(rng.choice([0.0, 2.0, -0.5, rng.randint(-100, 100) / 4])),
            "s": maybe(rng.choice(STRINGS)),
            "t": maybe(rng.choice(STRINGS)),
            "f": maybe(rng.choice([True, False])),
        })
    return rows


def same(p, d):
    if isinstance(d, float) and (math.isinf(d) or math.isnan(d)):
        return p is None  # JSON cannot carry them: pipec writes null
    if p is None or d is None:
        return p is None and d is None
    if isinstance(d, bool) or isinstance(p, bool):
        return p == d
    if isinstance(d, float) or isinstance(p, float):
        return math.isclose(float(p), float(d), rel_tol=1e-12, abs_tol=1e-12)
    return p == d


def run_round(pipec, rng, tmp, round_no, exprs_per_round, rows, engine_args):
    g = Gen(rng)
    types = ["BIGINT", "DOUBLE", "STRING", "BOOLEAN"]
    exprs = []
    for k in range(exprs_per_round):
        t = types[k % 4]
        exprs.append((t, *g.gen(t, 3)))
    where_p, where_d = g.gen("BOOLEAN", 3)
    data = os.path.join(tmp, f"in{round_no}.ndjson")
    with open(data, "w", encoding="utf-8") as f:
        for r in make_rows(rng, rows):
            f.write(json.dumps({k: v for k, v in r.items()}, ensure_ascii=False) + "\n")
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    select_p = ", ".join(f"{p} AS c{k}" for k, (_, p, _) in enumerate(exprs))
    script = (f"CREATE SOURCE src ({cols}) WITH (connector = 'file', path = '{data}');\n"
              f"CREATE SINK out WITH (connector = 'file', path = '{tmp}/out{round_no}.ndjson', 'document.id' = 'id');\n"
              f"CREATE PIPELINE diff AS INSERT INTO out SELECT id, {select_p} FROM src WHERE {where_p};\n")
    pipe = os.path.join(tmp, f"p{round_no}.pipe")
    with open(pipe, "w", encoding="utf-8") as f:
        f.write(script)
    results = {}
    for label, extra in engine_args:
        out = os.path.join(tmp, f"out{round_no}.ndjson")
        r = subprocess.run([pipec, "run", pipe, "--no-progress",
                            "--set", f"diff.dead-letter.path={tmp}/dlq{round_no}.ndjson", *extra],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            print(f"pipec failed ({label}):\n{script}\n{r.stdout}{r.stderr}")
            return 1, 0
        docs = {}
        with open(out, encoding="utf-8") as f:
            lines = f.read().splitlines()
        for src in lines[1::2]:
            d = json.loads(src)
            docs[d["id"]] = d
        results[label] = docs

    duck_cols = "{" + ", ".join(f"'{n}': '{DUCK_TYPES[t]}'" for n, t in COLUMNS) + "}"
    select_d = ", ".join(f"{d} AS c{k}" for k, (_, _, d) in enumerate(exprs))
    query = (f"SELECT id, {select_d} FROM read_json('{data}', format='newline_delimited', columns={duck_cols}) "
             f"WHERE {where_d} ORDER BY id")
    con = duckdb.connect()
    try:
        expected = con.sql(query).fetchall()
    except Exception as e:  # noqa: BLE001 - report the query that DuckDB rejected
        print(f"DuckDB rejected the query: {e}\n{query}")
        return 1, 0
    failures = 0
    compared = 0
    for label, docs in results.items():
        if sorted(docs) != [row[0] for row in expected]:
            failures += 1
            missing = sorted(set(row[0] for row in expected) - set(docs))[:5]
            extra = sorted(set(docs) - set(row[0] for row in expected))[:5]
            print(f"[{label}] WHERE {where_p}: rows differ; only DuckDB: {missing}, only pipec: {extra}")
            continue
        for row in expected:
            doc = docs[row[0]]
            for k, (t, p, d) in enumerate(exprs):
                compared += 1
                if not same(doc.get(f"c{k}"), row[k + 1]):
                    failures += 1
                    if failures <= 10:
                        print(f"[{label}] row {row[0]}: {p}\n  pipec  {doc.get(f'c{k}')!r}\n  duckdb {row[k + 1]!r}\n  duckdb sql: {d}")
    return failures, compared


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pipec")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--exprs", type=int, default=40)
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("--seed", type=int, default=20261123)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    engines = [("jit", []), ("reference", ["--no-jit"])]
    total_fail = total_cmp = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.rounds):
            f, c = run_round(os.path.abspath(a.pipec), rng, tmp, i, a.exprs, a.rows, engines)
            total_fail += f
            total_cmp += c
    print(f"compared {total_cmp} values over {a.rounds} pipelines x {a.exprs} expressions x 2 engines")
    print(f"{total_cmp - total_fail} passed, {total_fail} failed")
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main())
