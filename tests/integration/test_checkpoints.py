"""Checkpointed operator state (docs/state-and-checkpoints.md) through
`pipec run` against the REAL Kafka of tools/services/: SIGKILL after a
checkpoint, restart, and the state comes back from the checkpoint.

Window: kafka -> TUMBLE(1 hour) -> file. The hour does not close during the
first run, yet the group's committed offset reaches the end of the topic once
a checkpoint covers the open window (offsets no longer wait for the window).
After the SIGKILL and a restart, more events of the same hour and one that
closes it: the single result per key carries the count and sum of ALL the
events, and the second run read only the new ones (state restored from the
checkpoint, not recomputed from a full re-read). A short session timeout
lets the restarted member take the killed one's partition within seconds.

Dedup: kafka -> DEDUPLICATE ON (id) -> file without a document id. After the
SIGKILL and a restart, events repeating ids of the first run are dropped: every
id reaches the file exactly once.

~25 s in all. Needs Kafka up (tools/services/up.sh; conftest.py's fixtures
create and delete the topics).
"""

import json
import re
import signal
import time

from pipeline_e2e import BOOTSTRAP, committed, producer, start, stop, tail

HOUR_MS = 3_600_000
BASE_TS = 1_699_999_200_000  # on an hour boundary
KEYS = ["a", "b", "c"]


def event(i, k=None):
    return {"id": i, "k": k or KEYS[i % len(KEYS)], "v": i, "ts": BASE_TS + i * 1000}


def produce(topic, events):
    p = producer()
    for e in events:
        p.produce(topic, value=json.dumps(e).encode())
    assert p.flush(60) == 0


def write_pipe(tmp_path, names, out, select, clauses="", source_extra=""):
    pipe = tmp_path / "state.pipe"
    pipe.write_text(f"""
CREATE SOURCE ev (
  id BIGINT NOT NULL, k STRING NOT NULL, v BIGINT, ts TIMESTAMP NOT NULL,
  WATERMARK FOR ts AS ts - INTERVAL '0' SECOND{source_extra}
) WITH (
  connector = 'kafka', topic = '{names["topic"]}',
  'properties.bootstrap.servers' = '{BOOTSTRAP}',
  'properties.group.id' = '{names["group"]}',
  'properties.session.timeout.ms' = '6000',
  'scan.startup.mode' = 'earliest'
) FORMAT JSON;
CREATE SINK out WITH (connector = 'file', path = '{out}'{clauses});
CREATE PIPELINE p WITH ('dead-letter.path' = '{tmp_path / "dlq.ndjson"}',
                        'checkpoint.dir' = '{tmp_path / "checkpoints"}',
                        'checkpoint.interval' = '500ms') AS INSERT INTO out
  {select};
""")
    return pipe


def documents(out):
    """The source lines of the _bulk NDJSON file, parsed."""
    try:
        lines = [l for l in open(out) if l.endswith("\n")]
    except FileNotFoundError:
        return []
    return [json.loads(l) for l in lines[1:len(lines) - len(lines) % 2:2]]


def wait_for_checkpoint(log_path, topic, next_offset, proc, timeout=40):
    """Until pipec logs a checkpoint whose position of topic[0] is next_offset."""
    want = re.compile(rf"checkpoint \d+ written .*{re.escape(topic)}\[0\]@{next_offset}\b")
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, tail(log_path)
        if want.search(open(log_path).read()):
            return
        time.sleep(0.1)
    raise AssertionError(f"no checkpoint at {topic}[0]@{next_offset}; log:\n" + tail(log_path))


def wait_committed_offset(topic, group, want, timeout=30):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = committed(topic, group, 1)[0]
        if got == want:
            return got
        time.sleep(0.3)
    return got


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_window_state_survives_sigkill_and_offsets_do_not_wait_for_the_window(tmp_path, make_names):
    names = make_names(1)
    out = tmp_path / "windows.bulk.ndjson"
    pipe = write_pipe(tmp_path, names, out, clauses=", 'document.id' = 'k,window_start'",
                      select="SELECT k, window_start, count(*) AS n, sum(v) AS total FROM ev "
                             "GROUP BY TUMBLE(ts, INTERVAL '1' HOUR), k")
    first = [event(i) for i in range(300)]
    produce(names["topic"], first)

    log1 = tmp_path / "run1.log"
    proc = start(pipe, open(log1, "w"))
    try:
        wait_for_checkpoint(log1, names["topic"], 300, proc)
        # Every record is inside the open hour, yet the group committed past
        # all of them: the checkpoint holds their contributions.
        got = wait_committed_offset(names["topic"], names["group"], 300)
        assert got == 300, f"committed offset {got}, want 300 while the window is still open; log:\n" + tail(log1)
        assert documents(out) == [], "the hour closed during the first run: nothing was tested"
    finally:
        kill(proc)

    log2 = tmp_path / "run2.log"
    summary = tmp_path / "run2.json"
    proc = start(pipe, open(log2, "w"), summary)
    try:
        second = [event(i) for i in range(300, 500)]
        closing = {"id": -1, "k": "sentinel", "v": 0, "ts": BASE_TS + 2 * HOUR_MS}
        produce(names["topic"], second + [closing])
        deadline = time.time() + 40
        while time.time() < deadline and len(documents(out)) < len(KEYS):
            assert proc.poll() is None, tail(log2)
            time.sleep(0.2)
        time.sleep(1)  # a second result per key would show up by now
    finally:
        stop(proc, log2)

    log = open(log2).read()
    assert "restored checkpoint" in log, log
    results = {}
    for d in documents(out):
        assert d["k"] not in results, f"two results for {d['k']}: {documents(out)}"
        results[d["k"]] = (d["n"], d["total"])
    want = {}
    for e in first + second:
        n, total = want.get(e["k"], (0, 0))
        want[e["k"]] = (n + 1, total + e["v"])
    assert results == want, f"got {results}, want {want}"
    run2 = json.load(open(summary))["pipelines"][0]
    # Only the new events (and the closing one) were read: nothing was re-read.
    assert run2["events_in"] == len(second) + 1, run2
    assert run2["checkpoints"]["restored_from"].endswith(".ckpt"), run2["checkpoints"]
    assert run2["checkpoints"]["taken"] >= 1, run2["checkpoints"]


def test_dedup_state_survives_sigkill(tmp_path, make_names):
    names = make_names(1)
    out = tmp_path / "dedup.bulk.ndjson"
    pipe = write_pipe(tmp_path, names, out, select="SELECT id, k, v FROM ev",
                      source_extra=",\n  DEDUPLICATE ON (id) WITHIN INTERVAL '1' HOUR")
    produce(names["topic"], [event(i) for i in range(100)])

    log1 = tmp_path / "run1.log"
    proc = start(pipe, open(log1, "w"))
    try:
        wait_for_checkpoint(log1, names["topic"], 100, proc)
    finally:
        kill(proc)
    assert sorted(d["id"] for d in documents(out)) == list(range(100))

    log2 = tmp_path / "run2.log"
    summary = tmp_path / "run2.json"
    proc = start(pipe, open(log2, "w"), summary)
    try:
        produce(names["topic"], [event(i) for i in range(50, 150)])  # 50 repeats, 50 new
        deadline = time.time() + 40
        while time.time() < deadline and len(documents(out)) < 150:
            assert proc.poll() is None, tail(log2)
            time.sleep(0.2)
        wait_for_checkpoint(log2, names["topic"], 200, proc)
    finally:
        stop(proc, log2)
    ids = [d["id"] for d in documents(out)]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert not repeated, f"ids written twice after the restart: {repeated[:10]}"
    assert sorted(ids) == list(range(150))
    assert json.load(open(summary))["pipelines"][0]["deduplicated"] == 50
