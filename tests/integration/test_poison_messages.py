"""Fault test 4 through `pipec run`, against the REAL Kafka and OpenSearch of
tools/services/ (no mocks): poison messages mixed into a topic land in a
dead-letter TOPIC with their reason and exact coordinates, the counts are
exact, the pipeline keeps going and commits to the end.

N good events plus exact counts of malformed JSON, wrong types, oversize
records (> the source's 'max-record-bytes'), invalid UTF-8, nesting deeper
than the decoder's limit (64) and a missing NOT NULL field, in a 3-partition
topic; `pipec run` kafka -> opensearch with 'dead-letter.topic'; once the
index holds N documents and the dead-letter topic every poison message:
SIGTERM, then assert
  - OpenSearch holds exactly the good ids;
  - the dead-letter topic holds exactly the poison records: value = the raw
    bytes as produced, headers pipec.error.kind / .reason, pipec.pipeline,
    pipec.source.topic / .partition / .offset = where the producer's delivery
    report put them;
  - the per-kind counters of `--summary-json` are exact;
  - the group's committed offsets are at the end of every partition.
Takes ~20-40 s. Needs both services up (tools/services/up.sh).
"""

import json
import time
import uuid

import pytest

from confluent_kafka import Consumer
from confluent_kafka.admin import NewTopic

from pipeline_e2e import (BOOTSTRAP, all_ids, committed, count, end_offsets, event, pipe_text, producer, start, stop,
                          tail, wait_committed, wait_count)

N = 2000
MAX_RECORD_BYTES = 4096


def _deep(levels):
    return "[" * levels + "]" * levels


# kind (the decode error kind in pipec's counters) -> the poison payloads.
POISON = {
    "malformed_json": [b'{"id": 900001, "user": "broken', b'{"id": 900002,, "user": "x"}', b'{"id": 900003 "user": "missing comma"}'],
    "type_mismatch": [b'{"id": "not-a-number", "user": "x", "amount": 1.0, "ts": 1700000000000}',
                      b'{"id": 900011, "user": "x", "amount": "lots", "ts": 1700000000000}',
                      b'{"id": 900012, "user": ["a"], "amount": 1.0, "ts": 1700000000000}',
                      b'{"id": 900013, "user": "x", "amount": 1.0, "ts": true}'],
    "record_too_large": [json.dumps({"id": 900020 + k, "user": "x" * (MAX_RECORD_BYTES + 100 * k), "amount": 1.0,
                                     "ts": 1700000000000}).encode() for k in range(2)],
    "invalid_utf8": [b'{"id": 900030, "user": "\xff\xfe bad", "amount": 1.0, "ts": 1700000000000}',
                     b'{"id": 900031, "user": "\xc3\x28", "amount": 1.0, "ts": 1700000000000}'],
    "too_deep": [('{"id": 900040, "user": "x", "amount": 1.0, "ts": 1700000000000, "extra": %s}'
                  % _deep(200)).encode(),
                 ('{"id": 900041, "user": "x", "amount": 1.0, "ts": 1700000000000, "extra": %s}'
                  % _deep(65)).encode()],
    "not_null_violation": [b'{"user": "no id", "amount": 1.0, "ts": 1700000000000}',
                           b'{"id": null, "user": "null id", "amount": 1.0, "ts": 1700000000000}',
                           b'{"id": 900052, "user": "no ts", "amount": 1.0}'],
}


def create_dlq_topic(kafka_admin, partitions=2, config=None):
    name = f"pipec-dlq-{uuid.uuid4().hex[:10]}"
    for f in kafka_admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                                 config=config or {})]).values():
        f.result(timeout=60)
    return name


@pytest.fixture
def dlq_topics(kafka_admin):
    """create(partitions, config) -> a fresh dead-letter topic, deleted afterwards."""
    made = []

    def create(partitions=2, config=None):
        made.append(create_dlq_topic(kafka_admin, partitions, config))
        return made[-1]

    yield create
    for f in kafka_admin.delete_topics(made).values() if made else []:
        try:
            f.result(timeout=60)
        except Exception:
            pass


def produce_mixed(topic):
    """Good events 0..N-1 with the poison messages spread among them; returns
    {(partition, offset): (kind, payload)} of the poison, from the delivery reports."""
    p = producer()
    poison_at = {}
    failures = []

    def report(kind, payload):
        def cb(err, msg):
            if err is not None:
                failures.append(err)
            else:
                poison_at[(msg.partition(), msg.offset())] = (kind, payload)
        return cb

    poison = [(kind, payload) for kind, payloads in POISON.items() for payload in payloads]
    every = N // (len(poison) + 1)
    for i in range(N):
        p.produce(topic, key=str(i).encode(), value=json.dumps(event(i)).encode())
        if i % every == every - 1 and poison:
            kind, payload = poison.pop()
            p.produce(topic, key=f"poison-{i}".encode(), value=payload, on_delivery=report(kind, payload))
        p.poll(0)
    assert not poison
    assert p.flush(60) == 0 and not failures, failures
    return poison_at


def write_pipe(tmp_path, names, dlq_topic):
    """The shared kafka -> opensearch pipeline, with a small max-record-bytes
    and the dead letters going to `dlq_topic`."""
    text = pipe_text(names, dlq=None, columns="""
  id      BIGINT NOT NULL,
  user    STRING,
  amount  DOUBLE,
  ts      TIMESTAMP NOT NULL""", select="id, user, amount, ts")
    for old, new in [("'scan.startup.mode' = 'earliest'",
                      f"'scan.startup.mode' = 'earliest',\n  'max-record-bytes' = '{MAX_RECORD_BYTES}'"),
                     ("'dead-letter.path' = 'None'", f"'dead-letter.topic' = '{dlq_topic}'")]:
        assert old in text, old
        text = text.replace(old, new)
    pipe = tmp_path / "poison.pipe"
    pipe.write_text(text)
    return pipe


def read_topic(topic, want, timeout=60):
    """Every message of `topic` from the beginning, waiting until `want` arrived."""
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "pipec-poison-probe-" + uuid.uuid4().hex[:6],
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    deadline = time.time() + timeout
    try:
        while len(got) < want and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            assert m.error() is None, m.error()
            got.append(m)
        # Anything beyond `want` (a duplicate, a stray letter) shows up by now.
        end = time.time() + 2
        while time.time() < end:
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                got.append(m)
    finally:
        c.close()
    return got


def test_poison_messages_to_dead_letter_topic(tmp_path, es, names, dlq_topics):
    dlq = dlq_topics()
    poison_at = produce_mixed(names["topic"])
    total_poison = sum(len(v) for v in POISON.values())
    assert len(poison_at) == total_poison
    pipe = write_pipe(tmp_path, names, dlq)
    summary = tmp_path / "summary.json"
    log_path = tmp_path / "run.log"
    log = open(log_path, "w+")
    proc = start(pipe, log, summary)
    try:
        got = wait_count(es, names["index"], N, proc, timeout=90)
        assert got == N, f"index holds {got} documents, want {N}; log:\n" + tail(log_path)
        letters = read_topic(dlq, total_poison)
        ends = end_offsets(names["topic"], names["partitions"])
        # pipec keeps going and commits to the end while it runs.
        assert wait_committed(names["topic"], names["group"], ends, timeout=30) == ends
    finally:
        stop(proc, log_path)

    assert count(es, names["index"]) == N
    assert all_ids(es, names["index"]) == set(range(N))

    # Exactly the poison records, each once, with reason and coordinates.
    assert len(letters) == total_poison, [(m.value()[:80], m.headers()) for m in letters]
    seen = set()
    for m in letters:
        h = {k: v.decode("utf-8", "replace") for k, v in m.headers()}
        at = (int(h["pipec.source.partition"]), int(h["pipec.source.offset"]))
        assert at in poison_at, h
        assert at not in seen, f"dead letter for {at} twice"
        seen.add(at)
        kind, payload = poison_at[at]
        assert m.value() == payload, (m.value()[:100], payload[:100])
        assert h["pipec.error.kind"] == f"decode {kind}", h
        assert h["pipec.error.reason"], h
        assert h["pipec.pipeline"] == "e2e"
        assert h["pipec.source.topic"] == names["topic"]
        assert h["pipec.time"].endswith("Z"), h
        assert "pipec.error.constraint" not in h
    assert seen == set(poison_at)

    # Per-kind counters in pipec's summary.
    s = json.loads(summary.read_text())["pipelines"][0]
    want = {kind: len(p) for kind, p in POISON.items()}
    assert s["decode_errors"] == want, s
    assert s["dead_letters"]["total"] == total_poison, s
    assert s["dead_letters"]["by_reason"] == {f"decode {k}": n for k, n in want.items()}, s
    assert s["events_in"] == N + total_poison, s
    assert s["events_out"] == N, s
    assert committed(names["topic"], names["group"], names["partitions"]) == ends



def test_dead_letter_kafka_rejects_fails_run_and_holds_offset(tmp_path, es, make_names, dlq_topics):
    """A dead letter Kafka will not take (larger than the topic's
    max.message.bytes) fails the run with a clear error, and the group's
    committed offset never passes the record whose letter was lost."""
    names = make_names(1)
    dlq = dlq_topics(1, {"max.message.bytes": "10000"})
    p = producer()
    for i in range(100):
        p.produce(names["topic"], value=json.dumps(event(i)).encode())
    big = json.dumps({"id": 100, "user": "x" * 20000, "amount": 1.0, "ts": 1700000000000}).encode()
    p.produce(names["topic"], value=big)  # offset 100: oversize -> a dead letter of 20 kB
    for i in range(101, 200):
        p.produce(names["topic"], value=json.dumps(event(i)).encode())
    assert p.flush(60) == 0
    pipe = write_pipe(tmp_path, names, dlq)
    log_path = tmp_path / "run.log"
    with open(log_path, "w+") as log:
        proc = start(pipe, log)
        try:
            rc = proc.wait(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
    out = tail(log_path)
    assert rc == 2, out
    assert f"dead letters to kafka topic '{dlq}'" in out, out
    assert "MSG_SIZE_TOO_LARGE" in out, out
    got = committed(names["topic"], names["group"], 1)[0]
    assert got <= 100, f"committed {got}, past the lost dead letter at offset 100"
    print(f"\nthe run failed as it should; committed offset {got} (the lost letter's record: 100)")
