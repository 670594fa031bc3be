"""Helpers of the end-to-end tests of `pipec run` against the REAL Kafka and
OpenSearch of tools/services/ (no mocks): the pipec binary, events in Kafka,
the .pipe file, the index and the consumer group as the tests see them, the
fault proxy (tools/faultproxy/faultproxy.py) and the OpenSearch service script.

PIPEC_KAFKA_PORT and PIPEC_OPENSEARCH_PORT as for the service scripts;
PIPEC_BIN overrides the pipec binary.
"""

import contextlib
import glob
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import datetime

import pytest

from confluent_kafka import Consumer, Producer, TopicPartition

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KAFKA_PORT = int(os.environ.get("PIPEC_KAFKA_PORT", "19092"))
OS_PORT = int(os.environ.get("PIPEC_OPENSEARCH_PORT", "19200"))
BOOTSTRAP = f"127.0.0.1:{KAFKA_PORT}"
OS_URL = f"http://127.0.0.1:{OS_PORT}"
PROXY = os.path.join(REPO, "tools", "faultproxy", "faultproxy.py")
OPENSEARCH_SERVICE = os.path.join(REPO, "tools", "services", "opensearch.sh")
KAFKA_SERVICE = os.path.join(REPO, "tools", "services", "kafka.sh")


def pipec_bin():
    if os.environ.get("PIPEC_BIN"):
        return os.environ["PIPEC_BIN"]
    found = [p for p in [os.path.join(REPO, "build", "pipec")] if os.path.exists(p)]
    found += sorted(glob.glob(os.path.join(REPO, "build*", "pipec")), key=os.path.getmtime, reverse=True)
    if not found:
        pytest.fail("pipec is not built: run tools/build.sh", pytrace=False)
    return found[0]


def require_up(port, what):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    except OSError as e:
        pytest.fail(f"{what} is not running on 127.0.0.1:{port} ({e}): `tools/services/up.sh`", pytrace=False)


def event(i):
    return {"id": i, "user": f"u{i % 97}", "amount": i * 0.5, "ts": 1700000000000 + i}


def produce_events(producer, topic, ids, pad=0):
    """Keyed by id, so the events spread over the partitions; `pad`: bytes of
    an extra field no pipeline reads (volume in Kafka only)."""
    extra = {"pad": "x" * pad} if pad else {}
    for n, i in enumerate(ids):
        producer.produce(topic, key=str(i).encode(), value=json.dumps({**event(i), **extra}).encode())
        if n % 1000 == 0:
            producer.poll(0)


def producer():
    return Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5, "enable.idempotence": True})


def produce(topic, n, poison=()):
    """Events with ids 0..n-1, then the `poison` payloads."""
    p = producer()
    produce_events(p, topic, range(n))
    for k, v in enumerate(poison):
        p.produce(topic, key=f"poison{k}".encode(), value=v)
    assert p.flush(60) == 0


def pipe_text(names, dlq, hosts=OS_URL, sink_options=(), columns=None, select=None, clauses=""):
    """A kafka -> opensearch pipeline over the topic/index/group of `names`;
    `sink_options`: extra (key, value) options of the sink; `clauses`: WHERE /
    CONSTRAINT text after `FROM events`."""
    columns = columns or """
  id      BIGINT NOT NULL,
  user    STRING,
  amount  DOUBLE,
  ts      TIMESTAMP NOT NULL,
  kpart   BIGINT METADATA FROM 'partition' VIRTUAL,
  koff    BIGINT METADATA FROM 'offset' VIRTUAL"""
    select = select or "id, user, amount, ts, kpart, koff"
    extra = "".join(f",\n  '{k}' = '{v}'" for k, v in sink_options)
    return f"""
CREATE SOURCE events ({columns}
) WITH (
  connector = 'kafka',
  topic = '{names["topic"]}',
  'properties.bootstrap.servers' = '{BOOTSTRAP}',
  'properties.group.id' = '{names["group"]}',
  'scan.startup.mode' = 'earliest'
) FORMAT JSON;

CREATE SINK out WITH (
  connector = 'opensearch',
  hosts = '{hosts}',
  index = '{names["index"]}',
  'document.id' = 'id',
  'index.replicas' = '0',
  'bulk.flush-interval' = '200ms'{extra}
);

CREATE PIPELINE e2e
  WITH ('dead-letter.path' = '{dlq}')
AS INSERT INTO out
  SELECT {select} FROM events{clauses};
"""


def write_pipe(tmp_path, names, **kwargs):
    dlq = tmp_path / "dlq.ndjson"
    pipe = tmp_path / "e2e.pipe"
    pipe.write_text(pipe_text(names, dlq, **kwargs))
    return pipe, dlq


def start(pipe, log, summary=None):
    """`pipec run` in the background, its stderr into `log` (an open file)."""
    cmd = [pipec_bin(), "run", "--no-progress", str(pipe)]
    if summary:
        cmd += ["--summary-json", str(summary)]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(pipe.parent))


def stop(proc, log_path, want_rc=143, timeout=90):
    """SIGTERM, then the exit status must be `want_rc`; kills it when it hangs."""
    try:
        proc.terminate()
        rc = proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == want_rc, f"pipec exited {proc.returncode}; log:\n" + tail(log_path)
    return rc


def run_until_indexed(es, names, pipe, tmp_path, want, timeout=100):
    """`pipec run` until the index holds `want` documents and the group has
    committed the end of every partition, then SIGTERM (exit 143); killed when
    anything fails. Returns the paths of its log and of its summary JSON."""
    log_path, summary = tmp_path / "run.log", tmp_path / "summary.json"
    proc = start(pipe, open(log_path, "w"), summary)
    try:
        stop_when_indexed(es, names, proc, log_path, want, timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return log_path, summary


@contextlib.contextmanager
def killed_on_exit(proc):
    """with killed_on_exit(start(...)) as proc: the process is killed when
    the block leaves with it still running (a failed assertion, a timeout)."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop_when_indexed(es, names, proc, log_path, want, timeout=100):
    """Waits until the index holds `want` documents and the group has
    committed the end of every partition, then SIGTERM (exit 143)."""
    got = wait_count(es, names["index"], want, proc, timeout=timeout)
    assert got == want, f"index holds {got} documents, want {want}; log:\n" + tail(log_path)
    ends = end_offsets(names["topic"], names["partitions"])
    assert wait_committed(names["topic"], names["group"], ends, timeout=120) == ends
    stop(proc, log_path)


def tail(path, n=4000):
    try:
        return open(path).read()[-n:]
    except OSError as e:
        return f"({path}: {e})"


def count(es, index):
    try:
        es.indices.refresh(index=index)
        return es.count(index=index)["count"]
    except Exception:
        return -1


def wait_count(es, index, want, proc, timeout=180, step=0.5):
    """Polls until the index holds `want` documents (or `proc` exits)."""
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


def end_offsets(topic, partitions):
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "pipec-e2e-probe-" + uuid.uuid4().hex[:6]})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in range(partitions)}
    finally:
        c.close()


def committed(topic, group, partitions):
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": group, "enable.auto.commit": False})
    try:
        parts = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=30)
        return {tp.partition: tp.offset for tp in parts}
    finally:
        c.close()


def wait_committed(topic, group, want, timeout=60):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = committed(topic, group, len(want))
        if got == want:
            return got
        time.sleep(1)
    return got


def rss_kib(pid):
    """VmRSS of a running process, in KiB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def mixed_faults(slow):
    """A faultproxy schedule that meets about half of the bulk requests with a
    fault: whole 429s (first two), 503/502/504, partial failures (25 % of the
    items), 400 ms late answers, the `slow` delay rule, dropped connections
    before and after forwarding."""
    return {"seed": 5, "rules": [
        {"match": "bulk", "nth": [1, 2], "fault": "status", "status": 429, "retry_after": 0},
        {"match": "bulk", "every": 7, "offset": 3, "fault": "status", "status": 503},
        {"match": "bulk", "every": 11, "offset": 5, "fault": "status", "status": 502},
        {"match": "bulk", "every": 13, "offset": 4, "fault": "status", "status": 504},
        {"match": "bulk", "every": 3, "offset": 1, "fault": "partial", "fraction": 0.25},
        {"match": "bulk", "every": 9, "offset": 2, "fault": "delay", "ms": 400, "where": "after"},
        {"match": "bulk", "every": 17, "offset": 6, "fault": "delay", **slow},
        {"match": "bulk", "every": 10, "offset": 8, "fault": "drop_before"},
        {"match": "bulk", "every": 19, "offset": 9, "fault": "drop_after"},
    ]}


class FaultProxy:
    """tools/faultproxy/faultproxy.py on a free loopback port in front of the
    OpenSearch on `upstream_port`."""

    def __init__(self, schedule, upstream_port=OS_PORT, max_seconds=600, tls=None, require_auth=()):
        """`tls`: (cert, key, ca) PEM paths: listen with TLS, and read the
        stats trusting `ca`; `require_auth`: the accepted Authorization header
        values."""
        args = [sys.executable, PROXY, "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream_port}",
                "--schedule", json.dumps(schedule), "--max-seconds", str(max_seconds)]
        if tls:
            args += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        for value in require_auth:
            args += ["--require-auth", value]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if tls else subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("faultproxy listening on "), line + (self.proc.stderr.read() if self.proc.stderr else "")
        self.port = int(line.rsplit(":", 1)[1])
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.tls = tls

    def stats(self):
        ctx = ssl.create_default_context(cafile=str(self.tls[2])) if self.tls else None
        with urllib.request.urlopen(f"{self.url}/_faultproxy/stats", timeout=10, context=ctx) as r:
            return json.loads(r.read())

    def set_schedule(self, schedule):
        req = urllib.request.Request(f"{self.url}/_faultproxy/schedule", data=json.dumps(schedule).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200, r.read()

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def service(script, cmd):
    """tools/services/<script> start|stop with this environment (ports, services dir)."""
    p = subprocess.run([script, cmd], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{os.path.basename(script)} {cmd}: {p.stdout}\n{p.stderr}"


def opensearch_service(cmd):
    service(OPENSEARCH_SERVICE, cmd)


def kafka_service(cmd):
    service(KAFKA_SERVICE, cmd)


class TumblingStream:
    """Events of keys a/b/c, one every 10 ms of event time, for 1-second
    tumbling windows per key; produced in bursts over a few seconds (so
    offsets get committed while pipec runs), then a far-future sentinel that
    closes every window of the stream (its own stays open)."""
    BASE_TS = 1_700_000_000_000
    STEP_MS = 10
    WINDOW_MS = 1000
    KEYS = ["a", "b", "c"]
    QUERY = """SELECT k, window_start, count(*) AS n, sum(v) AS total FROM ev
  GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), k;"""

    def __init__(self, n, bursts, pause):
        self.n, self.bursts, self.pause = n, bursts, pause

    def event(self, i):
        return {"id": i, "k": self.KEYS[i % len(self.KEYS)], "v": i, "ts": self.BASE_TS + i * self.STEP_MS}

    def expected(self):
        """(k, window_start epoch ms) -> (count, sum)."""
        want = {}
        for i in range(self.n):
            e = self.event(i)
            key = (e["k"], (e["ts"] // self.WINDOW_MS) * self.WINDOW_MS)
            n, total = want.get(key, (0, 0))
            want[key] = (n + 1, total + e["v"])
        return want

    def sentinel_window(self):
        return ("sentinel", ((self.BASE_TS + 10**9) // self.WINDOW_MS) * self.WINDOW_MS)

    def produce_over_time(self, topic, done):
        p = producer()
        per = self.n // self.bursts
        for b in range(self.bursts):
            for i in range(b * per, (b + 1) * per):
                p.produce(topic, value=json.dumps(self.event(i)).encode())
            p.poll(0)
            time.sleep(self.pause)
        p.produce(topic, value=json.dumps({"id": -1, "k": "sentinel", "v": 0, "ts": self.BASE_TS + 10**9}).encode())
        assert p.flush(60) == 0
        done.set()

    @staticmethod
    def source_ddl(names):
        return f"""CREATE SOURCE ev (
  id BIGINT NOT NULL, k STRING NOT NULL, v BIGINT, ts TIMESTAMP NOT NULL,
  WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH (
  connector = 'kafka', topic = '{names["topic"]}',
  'properties.bootstrap.servers' = '{BOOTSTRAP}',
  'properties.group.id' = '{names["group"]}',
  'scan.startup.mode' = 'earliest'
) FORMAT JSON;"""


def window_start_ms(value):
    """A window_start as pipec writes it (ISO-8601 text or epoch ms) -> epoch ms."""
    if isinstance(value, str):
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    return value
