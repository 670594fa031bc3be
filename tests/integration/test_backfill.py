"""`pipec run --from T --to T`: backfill/replay of a time range, end to end
against the REAL Kafka and OpenSearch of tools/services/ (no mocks).

kafka  3 000 events with Kafka timestamps one second apart over 3 partitions;
       the live group has committed offsets of its own. A backfill of the
       middle 1 000 seconds indexes exactly those events, ends by itself
       (exit 0), commits in '<group>.backfill.<from>-<to>' and leaves the live
       group's committed offsets as they were; with --batch the same range
       is loaded into a new versioned index behind an alias.
file   an NDJSON file: exactly the rows whose event time is in [from, to) are
       written, the others counted as skipped; a source without WATERMARK is
       refused with a clear error; malformed --from/--to are usage errors.

About 15 s. Needs both services up (tools/services/up.sh).
"""

import json
import subprocess
import time
from datetime import datetime, timezone

from confluent_kafka import Consumer, TopicPartition

from pipeline_e2e import BOOTSTRAP, all_ids, committed, count, pipec_bin, producer, write_pipe

BASE_MS = int(datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp() * 1000)
# Kafka timestamps two hours back (whole hours): the test broker keeps 24 h
# (log.retention.hours, checked every minute), and records stamped weeks ago
# were deleted by a retention check in the second between produce and
# backfill (CI saw 0 of 1,000 indexed, exit 0).
KAFKA_BASE_MS = (int(time.time()) // 3600 - 2) * 3600 * 1000
N = 3000


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(*args, timeout=120):
    return subprocess.run([pipec_bin(), "run", "--no-progress", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_kafka_backfill_of_a_middle_range_leaves_the_live_group_alone(tmp_path, es, names):
    p = producer()
    for i in range(N):
        ev = {"id": i, "user": f"u{i % 97}", "amount": i * 0.5, "ts": KAFKA_BASE_MS + i * 1000}
        p.produce(names["topic"], key=str(i).encode(), value=json.dumps(ev).encode(), timestamp=KAFKA_BASE_MS + i * 1000)
    assert p.flush(60) == 0
    # The live group has read some of every partition.
    live = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": names["group"], "enable.auto.commit": False})
    live.commit(offsets=[TopicPartition(names["topic"], part, 100 + part) for part in range(3)], asynchronous=False)
    live.close()
    before = committed(names["topic"], names["group"], 3)
    assert before == {0: 100, 1: 101, 2: 102}

    pipe, dlq = write_pipe(tmp_path, names)
    lo, hi = KAFKA_BASE_MS + 1000 * 1000, KAFKA_BASE_MS + 2000 * 1000
    summary = tmp_path / "summary.json"
    r = run(pipe, "--from", iso(lo), "--to", hi, "--summary-json", summary)
    assert r.returncode == 0, r.stderr
    want = set(range(1000, 2000))
    assert count(es, names["index"]) == len(want), r.stderr
    assert all_ids(es, names["index"]) == want
    assert committed(names["topic"], names["group"], 3) == before, "the live group's offsets moved"
    backfill_group = f"{names['group']}.backfill.{lo}-{hi}"
    done = committed(names["topic"], backfill_group, 3)
    assert all(o >= 0 for o in done.values()), done
    s = json.load(open(summary))["pipelines"][0]
    assert s["events_in"] == len(want) and s["events_out"] == len(want), s
    assert f"consumer group '{backfill_group}' (the live group '{names['group']}' is untouched)" in s["time_range"]
    assert f"time range: [{iso(lo)[:-1]}.000Z, {iso(hi)[:-1]}.000Z)" in r.stderr, r.stderr

    # --batch: rebuild a versioned index of the range behind an alias. The
    # backfill group has finished this range, so the replay names its own.
    alias = names["index"] + "-day"
    try:
        r = run(pipe, "--from", lo, "--to", iso(hi), "--batch", "--set", f"out.index={alias}",
                "--set", f"events.properties.group.id={names['group']}.rebuild")
        assert r.returncode == 0, r.stderr
        assert all_ids(es, alias) == want and count(es, alias) == len(want)
        assert committed(names["topic"], names["group"], 3) == before
    finally:
        es.indices.delete(index=f"{alias}*", ignore=[404])
    print(f"\nbackfill [{iso(lo)}, {iso(hi)}): {len(want)} of {N} events indexed, live group at {before}, "
          f"backfill group '{backfill_group}' at {done}")


def test_file_backfill_keeps_exactly_the_rows_in_range(tmp_path):
    data = tmp_path / "events.ndjson"
    rows = [{"id": i, "ts": iso(BASE_MS + i * 3600_000)} for i in range(72)]  # 3 days, hourly
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.bulk.ndjson"
    pipe = tmp_path / "day.pipe"
    pipe.write_text(f"""
CREATE SOURCE ev (id BIGINT NOT NULL, ts TIMESTAMP NOT NULL, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
  WITH (connector = 'file', path = '{data}') FORMAT JSON;
CREATE SINK out WITH (connector = 'file', path = '{out}', 'document.id' = 'id');
CREATE PIPELINE day AS INSERT INTO out SELECT id FROM ev;
""")
    summary = tmp_path / "summary.json"
    r = run(pipe, "--from", "2026-11-02T00:00:00Z", "--to", "2026-11-03", "--summary-json", summary)
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    got = {json.loads(doc)["id"] for doc in lines[1::2]}
    assert got == set(range(24, 48)) and len(lines) == 48
    s = json.load(open(summary))["pipelines"][0]
    assert s["events_in"] == 72 and s["events_out"] == 24 and s["outside_time_range"] == 48, s
    assert "48 rows outside it skipped" in r.stderr, r.stderr

    # No event time to select by: refused, nothing written.
    pipe.write_text(pipe.read_text().replace(", WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE", ""))
    out.unlink()
    r = run(pipe, "--from", "2026-11-02", "--to", "2026-11-03")
    assert r.returncode == 1 and "source 'ev' declares none (add WATERMARK FOR" in r.stderr, r.stderr
    for bad, why in [(("--from", "2026-11-02"), "--from and --to go together"),
                     (("--from", "yesterday", "--to", "2026-11-03"), "--from expects an ISO-8601 time"),
                     (("--from", "2026-11-03", "--to", "2026-11-02"), "must be after --from")]:
        r = run(pipe, *bad)
        assert r.returncode == 2 and why in r.stderr, (bad, r.stderr)
