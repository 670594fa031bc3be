#!/usr/bin/env python3
"""The filter+projection pipeline (bench/pipelines/filter_project_constraints.pipe)
run by DuckDB and chDB over the same NDJSON, for per-core comparison.

    peers.py --engine duckdb|chdb --input EVENTS.ndjson --out OUT.json [--threads N]

--threads 1 limits the engine to one thread (duckdb: SET threads=1; chdb:
max_threads=1 and no parallel parsing/formatting); --threads 0 keeps the
engine's default (all cores). Run it under `taskset -c 0` for a strict
one-core figure (bench/run_bench.py does).

Prints one JSON object: engine, version, threads, seconds and cpu_seconds
(the query only, CPU of all the process's threads; import and connection
set-up are excluded and reported as setup_seconds), rows.

The SQL is the closest idiomatic equivalent of the pipeline:
  - the 8 used fields are declared (device as a struct with only `os`), so
    both engines can skip the rest like pipec's projection pruning does;
  - ts is read as text and converted: all digits -> epoch millis, else ISO-8601;
  - NOT NULL order_id / ts, the WHERE clause, the DROP ROW constraint and the
    DEAD LETTER constraint all become one WHERE (rows that pipec would drop or
    dead-letter are simply not written: neither engine has a dead-letter
    output, and the WARN counter is not computed);
  - malformed records are skipped (duckdb ignore_errors, chdb
    input_format_allow_errors_ratio);
  - no _bulk action lines and no document ids: plain JSON lines out.
So the peers do strictly less work than pipec and the hand-written baseline.
Known differences in the rows written (see bench/README.md): DuckDB converts
an amount given as a JSON string ("12.50") to DOUBLE instead of rejecting
the record; timestamps are written in each engine's own format.
"""
import argparse
import json
import sys
import time

CURRENCIES = "('EUR', 'USD', 'GBP', 'CHF', 'JPY')"
WHERE = f"""
  order_id IS NOT NULL AND ts IS NOT NULL
  AND event_type = 'order' AND status <> 'cancelled'
  AND (currency IS NULL OR currency IN {CURRENCIES})
  AND (amount IS NULL OR amount >= 0)"""


def sql_string(s):
    return "'" + s.replace("'", "''") + "'"


def run_duckdb(args):
    t_setup = time.perf_counter()
    import duckdb
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads={args.threads}")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    setup = time.perf_counter() - t_setup
    query = f"""
COPY (
  SELECT order_id, customer_id, amount, currency, status, os, ts
  FROM (
    SELECT order_id, customer_id, amount, currency, status, event_type, device.os AS os,
           CASE WHEN regexp_full_match(ts, '-?[0-9]+') THEN epoch_ms(CAST(ts AS BIGINT))
                ELSE TRY_CAST(ts AS TIMESTAMPTZ) END AS ts
    FROM read_json({sql_string(args.input)}, format = 'newline_delimited', ignore_errors = true,
                   columns = {{event_type: 'VARCHAR', order_id: 'VARCHAR', customer_id: 'VARCHAR',
                              ts: 'VARCHAR', amount: 'DOUBLE', currency: 'VARCHAR', status: 'VARCHAR',
                              device: 'STRUCT(os VARCHAR)'}}))
  WHERE {WHERE}
) TO {sql_string(args.out)} (FORMAT JSON)"""
    if args.print_sql:
        print(query, file=sys.stderr)
    t0, c0 = time.perf_counter(), time.process_time()
    con.execute(query)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"engine": "duckdb", "version": duckdb.__version__, "threads": int(threads),
            "seconds": seconds, "cpu_seconds": cpu, "setup_seconds": setup}


def run_chdb(args):
    t_setup = time.perf_counter()
    import chdb
    setup = time.perf_counter() - t_setup
    settings = ["input_format_allow_errors_ratio = 0.01", "input_format_skip_unknown_fields = 1",
                "input_format_json_read_numbers_as_strings = 1", "engine_file_truncate_on_insert = 1"]
    if args.threads:
        settings += [f"max_threads = {args.threads}", f"max_parsing_threads = {args.threads}",
                     f"max_insert_threads = {args.threads}"]
        if args.threads == 1:
            settings += ["input_format_parallel_parsing = 0", "output_format_parallel_formatting = 0"]
    where = WHERE.replace("ts IS NOT NULL", "ts_parsed IS NOT NULL")
    query = f"""
INSERT INTO FUNCTION file({sql_string(args.out)}, 'JSONEachRow')
SELECT order_id, customer_id, amount, currency, status, os, ts_parsed AS ts
FROM (
  SELECT order_id, customer_id, amount, currency, status, event_type, device.os AS os,
         if(match(ts, '^-?[0-9]+$'), fromUnixTimestamp64Milli(toInt64(ts), 'UTC'),
            parseDateTime64BestEffortOrNull(ts, 3, 'UTC')) AS ts_parsed
  FROM file({sql_string(args.input)}, 'JSONEachRow',
    'event_type Nullable(String), order_id Nullable(String), customer_id Nullable(String),
     ts Nullable(String), amount Nullable(Float64), currency Nullable(String),
     status Nullable(String), device Tuple(os Nullable(String))')
)
WHERE {where}
SETTINGS {", ".join(settings)}"""
    if args.print_sql:
        print(query, file=sys.stderr)
    note = None
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        chdb.query(query)
    except RuntimeError as e:
        # ClickHouse's parallel parser cuts the input into segments by
        # balancing braces; a truncated record makes a segment run on until
        # input_format_json_max_object_size (512 MiB) and the query fails.
        # Retry with the serial parser (still multi-threaded after parsing).
        if args.threads == 1 or "extremely large" not in str(e):
            raise
        note = "parallel parsing failed on a malformed record: " + str(e).split(".", 1)[0] + \
               "; ran with input_format_parallel_parsing = 0"
        query = query.replace("SETTINGS ", "SETTINGS input_format_parallel_parsing = 0, ")
        t0, c0 = time.perf_counter(), time.process_time()
        chdb.query(query)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"engine": "chdb", "version": chdb.__version__, "threads": args.threads or 0,
            "seconds": seconds, "cpu_seconds": cpu, "setup_seconds": setup, "note": note}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", choices=["duckdb", "chdb"], required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1, help="1 = one thread; 0 = engine default")
    ap.add_argument("--print-sql", action="store_true")
    args = ap.parse_args()
    result = run_duckdb(args) if args.engine == "duckdb" else run_chdb(args)
    with open(args.out, "rb") as f:
        result["rows"] = sum(1 for _ in f)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
