#!/usr/bin/env python3
"""Differential test: `pipec run --decode-threads N` against N = 0.

A file source decodes on N threads (runtime/sources/parallel_file_source.h);
the results must not depend on N. Generates ~12 MB of NDJSON (a dozen 1 MiB
chunks) with every kind of bad record, runs one pipeline with a filter,
constraints of each action, deduplication, stdlib calls and the 'line'
metadata column with N = 0, 1, 2 and 5, and compares: the `_bulk` output byte
for byte, the dead letters as a set (decode errors and constraint violations
may interleave differently), and every counter of the summary.

Usage: test_decode_threads.py PIPEC [--events N] [--seed S]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

PIPE = """
CREATE SOURCE ev (
  id      STRING NOT NULL,
  n       BIGINT,
  amount  DOUBLE,
  kind    STRING,
  ts      TIMESTAMP,
  tags    ARRAY<STRING>,
  line    BIGINT METADATA FROM 'line' VIRTUAL,
  DEDUPLICATE ON (id) WITHIN INTERVAL '1' HOUR
) WITH (connector = 'file', path = '{input}', 'max-record-bytes' = '4kb') FORMAT JSON;

CREATE SINK out WITH (connector = 'file', path = '{output}', index = 'ev-{{ts|yyyy.MM}}', 'document.id' = 'id');

CREATE PIPELINE p WITH ('dead-letter.path' = '{dlq}')
AS INSERT INTO out
  SELECT id, n * 2 AS n2, round(amount, 1) AS amount, upper(kind) AS kind, ts, tags, line
  FROM ev
  WHERE kind <> 'skip'
  CONSTRAINT small_n     EXPECT (n2 < 1800000)        ON VIOLATION WARN
  CONSTRAINT has_amount  EXPECT (amount IS NOT NULL)  ON VIOLATION DROP ROW
  CONSTRAINT positive    EXPECT (amount >= 0)         ON VIOLATION DEAD LETTER;
"""


def record(rng, i):
    r = rng.random()
    if r < 0.004:
        return b'{"id": "t%d", "n": 1, "amount": ' % i  # truncated
    if r < 0.008:
        return b'{"id": "w%d", "n": "seven", "amount": 1.0}' % i  # wrong type
    if r < 0.010:
        return b'{"n": 3, "amount": 2.0}'  # NOT NULL id missing
    if r < 0.012:
        return b'{"id": "o%d", "kind": "%s"}' % (i, b"x" * 5000)  # oversize
    if r < 0.014:
        return b'{"id": "u%d", "kind": "\xff\xfe"}' % i  # invalid UTF-8
    if r < 0.016:
        return b""  # blank line
    if r < 0.020:
        return b'{"id": "e%d", "n": 99999999999999999999999}' % i  # overflow
    dup = rng.random() < 0.02
    doc = {
        "id": f"r{rng.randrange(i + 1) if dup else i}",
        "n": rng.choice([None, rng.randrange(-5, 1_000_000)]),
        "amount": None if rng.random() < 0.1 else round(rng.uniform(-10, 500), 3),
        "kind": rng.choice(["click", "order", "skip", "ORDER", "naïve", None]),
        "ts": rng.choice([1_700_000_000_000 + i * 1000, "2024-03-01T10:00:00Z"]),
        "tags": rng.choice([[], ["a", "b"], None]),
        "pad": "p" * rng.randrange(0, 400),
    }
    return json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode()


def run(pipec, tmp, threads, input_path):
    out = os.path.join(tmp, f"out-{threads}.ndjson")
    dlq = os.path.join(tmp, f"dlq-{threads}.ndjson")
    summary = os.path.join(tmp, f"summary-{threads}.json")
    pipe = os.path.join(tmp, f"p-{threads}.pipe")
    with open(pipe, "w") as f:
        f.write(PIPE.format(input=input_path, output=out, dlq=dlq))
    p = subprocess.run([pipec, "run", pipe, "--no-progress", "--decode-threads", str(threads),
                        "--summary-json", summary], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        sys.exit(f"pipec run --decode-threads {threads} failed ({p.returncode}):\n{p.stderr}")
    with open(out, "rb") as f:
        bulk = f.read()
    with open(dlq) as f:
        letters = sorted(json.dumps({k: v for k, v in json.loads(line).items() if k != "time"}, sort_keys=True)
                         for line in f)
    with open(summary) as f:
        s = json.load(f)
    for pl in s["pipelines"]:
        pl.pop("timing", None)
    s.pop("timing", None)
    s.pop("run_id", None)
    return bulk, letters, s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pipec")
    ap.add_argument("--events", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    failures = []
    with tempfile.TemporaryDirectory(prefix="pipec-decode-threads-") as tmp:
        input_path = os.path.join(tmp, "in.ndjson")
        with open(input_path, "wb") as f:
            for i in range(a.events):
                f.write(record(rng, i) + b"\n")
        size = os.path.getsize(input_path)
        base_bulk, base_letters, base_summary = run(a.pipec, tmp, 0, input_path)
        documents = base_bulk.count(b"\n") // 2
        if size < 8 << 20 or documents < a.events // 3 or len(base_letters) < a.events // 100:
            failures.append(f"data: does not exercise enough: {size} bytes, {documents} documents, "
                            f"{len(base_letters)} dead letters")
        for threads in (1, 2, 5):
            bulk, letters, summary = run(a.pipec, tmp, threads, input_path)
            if bulk != base_bulk:
                failures.append(f"--decode-threads {threads}: the _bulk output differs from --decode-threads 0")
            if letters != base_letters:
                failures.append(f"--decode-threads {threads}: {len(letters)} dead letters, {len(base_letters)} "
                                f"with --decode-threads 0, or different ones")
            if summary != base_summary:
                failures.append(f"--decode-threads {threads}: the summary counters differ:\n"
                                f"{json.dumps(summary, sort_keys=True)}\n{json.dumps(base_summary, sort_keys=True)}")
        print(f"{size} bytes, {documents} documents, {len(base_letters)} dead letters")
    for f in failures:
        print("FAIL", f, file=sys.stderr)
    failed = len({f.split(":")[0] for f in failures})
    print(f"{4 - failed} passed, {failed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
