"""`pipec run` end to end, Kafka -> OpenSearch, at-least-once, against the REAL
Kafka and OpenSearch of tools/services/ (no mocks).

(a) N events plus poison messages (malformed JSON, a wrong type) in a fresh
    3-partition topic; `pipec run` in the background until OpenSearch holds N
    documents; SIGTERM: exit 143, exactly the expected ids in the index, the
    poison messages in the dead-letter file with topic/partition/offset, the
    group's committed offsets at the end of every partition.
(b) SIGKILL at a random point, restart, wait: exactly N documents (no loss;
    deterministic ids, so no duplicates), offsets committed at the end.

Needs both services up (tools/services/up.sh); PIPEC_KAFKA_PORT and
PIPEC_OPENSEARCH_PORT as for the scripts; PIPEC_BIN overrides the pipec binary.
"""

import glob
import json
import os
import random
import signal
import socket
import subprocess
import time
import uuid

import pytest

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from opensearchpy import OpenSearch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KAFKA_PORT = int(os.environ.get("PIPEC_KAFKA_PORT", "19092"))
OS_PORT = int(os.environ.get("PIPEC_OPENSEARCH_PORT", "19200"))
BOOTSTRAP = f"127.0.0.1:{KAFKA_PORT}"
N = 5000
PARTITIONS = 3


def _pipec():
    if os.environ.get("PIPEC_BIN"):
        return os.environ["PIPEC_BIN"]
    found = [p for p in [os.path.join(REPO, "build", "pipec")] if os.path.exists(p)]
    found += sorted(glob.glob(os.path.join(REPO, "build*", "pipec")), key=os.path.getmtime, reverse=True)
    if not found:
        pytest.fail("pipec is not built: run tools/build.sh", pytrace=False)
    return found[0]


def _up(port, what):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    except OSError as e:
        pytest.fail(f"{what} is not running on 127.0.0.1:{port} ({e}): `tools/services/up.sh`", pytrace=False)


@pytest.fixture(scope="module")
def es():
    _up(OS_PORT, "OpenSearch")
    client = OpenSearch(hosts=[{"host": "127.0.0.1", "port": OS_PORT}], timeout=60)
    client.cluster.health(wait_for_status="yellow", request_timeout=120)
    return client


@pytest.fixture(scope="module")
def kafka_admin():
    _up(KAFKA_PORT, "Kafka")
    return AdminClient({"bootstrap.servers": BOOTSTRAP})


@pytest.fixture
def names(es, kafka_admin):
    tag = uuid.uuid4().hex[:10]
    n = {"topic": f"pipec-e2e-{tag}", "index": f"pipec-e2e-{tag}", "group": f"pipec-e2e-{tag}"}
    fs = kafka_admin.create_topics([NewTopic(n["topic"], num_partitions=PARTITIONS, replication_factor=1)])
    for f in fs.values():
        f.result(timeout=60)
    yield n
    try:
        es.indices.delete(index=n["index"], ignore=[404])
    except Exception:
        pass
    try:
        for f in kafka_admin.delete_topics([n["topic"]]).values():
            f.result(timeout=60)
    except Exception:
        pass


def produce(topic, n):
    """N good events with ids 0..N-1 (keyed, so spread over the partitions), and
    poison messages; returns the poison payloads."""
    p = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5, "enable.idempotence": True})
    for i in range(n):
        ev = {"id": i, "user": f"u{i % 97}", "amount": i * 0.5, "ts": 1700000000000 + i}
        p.produce(topic, key=str(i).encode(), value=json.dumps(ev).encode())
        if i % 1000 == 0:
            p.poll(0)
    poison = [b'{"id": 99999991, "user": "broken', b'{"id": "not-a-number", "user": "x", "amount": 1.0, "ts": 1}',
              b'[1,2,3]']
    for k, v in enumerate(poison):
        p.produce(topic, key=f"poison{k}".encode(), value=v)
    assert p.flush(60) == 0
    return poison


def write_pipe(tmp_path, names, sink_extra=""):
    dlq = tmp_path / "dlq.ndjson"
    pipe = tmp_path / "e2e.pipe"
    pipe.write_text(f"""
CREATE SOURCE events (
  id      BIGINT NOT NULL,
  user    STRING,
  amount  DOUBLE,
  ts      TIMESTAMP NOT NULL,
  kpart   BIGINT METADATA FROM 'partition' VIRTUAL,
  koff    BIGINT METADATA FROM 'offset' VIRTUAL
) WITH (
  connector = 'kafka',
  topic = '{names["topic"]}',
  'properties.bootstrap.servers' = '{BOOTSTRAP}',
  'properties.group.id' = '{names["group"]}',
  'scan.startup.mode' = 'earliest'
) FORMAT JSON;

CREATE SINK out WITH (
  connector = 'opensearch',
  hosts = 'http://127.0.0.1:{OS_PORT}',
  index = '{names["index"]}',
  'document.id' = 'id',
  'index.replicas' = '0',
  'bulk.flush-interval' = '200ms'{sink_extra}
);

CREATE PIPELINE e2e
  WITH ('dead-letter.path' = '{dlq}')
AS INSERT INTO out
  SELECT id, user, amount, ts, kpart, koff FROM events;
""")
    return pipe, dlq


def start(pipe, log):
    return subprocess.Popen([_pipec(), "run", "--no-progress", str(pipe)], stdout=log, stderr=subprocess.STDOUT,
                            cwd=str(pipe.parent))


def count(es, index):
    try:
        es.indices.refresh(index=index)
        return es.count(index=index)["count"]
    except Exception:
        return -1


def wait_count(es, index, want, proc, timeout=180, step=0.5):
    deadline = time.time() + timeout
    c = -1
    while time.time() < deadline:
        c = count(es, index)
        if c >= want:
            return c
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(step)
    return c


def all_ids(es, index):
    ids = set()
    resp = es.search(index=index, body={"query": {"match_all": {}}, "_source": ["id"], "size": 5000},
                     scroll="1m")
    sid = resp["_scroll_id"]
    while resp["hits"]["hits"]:
        ids.update(h["_source"]["id"] for h in resp["hits"]["hits"])
        resp = es.scroll(scroll_id=sid, scroll="1m")
        sid = resp["_scroll_id"]
    return ids


def end_offsets(topic):
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "pipec-e2e-probe-" + uuid.uuid4().hex[:6]})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in range(PARTITIONS)}
    finally:
        c.close()


def committed(topic, group):
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": group, "enable.auto.commit": False})
    try:
        parts = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=30)
        return {tp.partition: tp.offset for tp in parts}
    finally:
        c.close()


def wait_committed(topic, group, want, timeout=60):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = committed(topic, group)
        if got == want:
            return got
        time.sleep(1)
    return got


def test_kafka_to_opensearch_sigterm(tmp_path, es, names):
    poison = produce(names["topic"], N)
    pipe, dlq = write_pipe(tmp_path, names)
    log = open(tmp_path / "run.log", "w+")
    t0 = time.time()
    proc = start(pipe, log)
    try:
        got = wait_count(es, names["index"], N, proc)
        elapsed = time.time() - t0
        assert got == N, f"index holds {got} documents, want {N}; log:\n" + open(tmp_path / "run.log").read()[-3000:]
        # Let the commit tick see the last acknowledgements, then stop.
        time.sleep(2)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = open(tmp_path / "run.log").read()
    assert rc == 143, out[-3000:]
    print(f"\n{N} events Kafka -> OpenSearch visible after {elapsed:.1f}s (incl. start-up)")
    assert all_ids(es, names["index"]) == set(range(N))
    assert count(es, names["index"]) == N

    letters = [json.loads(l) for l in open(dlq) if l.strip()]
    assert len(letters) == len(poison), letters
    ends = end_offsets(names["topic"])
    for dl in letters:
        blob = json.dumps(dl)
        assert names["topic"] in blob, dl
        assert "partition" in blob and "offset" in blob, dl
    assert wait_committed(names["topic"], names["group"], ends) == ends


def test_kafka_to_opensearch_sigkill_restart(tmp_path, es, names):
    produce(names["topic"], N)
    # Small requests, one at a time: the load takes long enough to be killed
    # in the middle of it.
    pipe, dlq = write_pipe(tmp_path, names, ",\n  'bulk.max-actions' = '100',\n  'bulk.concurrency' = '1'")
    log = open(tmp_path / "run1.log", "w+")
    proc = start(pipe, log)
    try:
        # Kill at a random point of the load: once some documents are in.
        target = random.randint(100, N // 2)
        wait_count(es, names["index"], target, proc, timeout=120, step=0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    before = count(es, names["index"])
    assert before < N, "the load ended before the kill: nothing was tested"
    first_committed = committed(names["topic"], names["group"])
    log2 = open(tmp_path / "run2.log", "w+")
    proc = start(pipe, log2)
    try:
        got = wait_count(es, names["index"], N, proc)
        assert got == N, f"index holds {got}, want {N}; log:\n" + open(tmp_path / "run2.log").read()[-3000:]
        time.sleep(2)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 143, open(tmp_path / "run2.log").read()[-3000:]
    print(f"\nkilled with {before} of {N} documents indexed (committed then: {first_committed}); "
          f"after the restart: {count(es, names['index'])}")
    assert count(es, names["index"]) == N
    assert all_ids(es, names["index"]) == set(range(N))
    ends = end_offsets(names["topic"])
    assert wait_committed(names["topic"], names["group"], ends) == ends
