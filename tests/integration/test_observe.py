"""Operations of `pipec run` end to end (docs/operations.md): the Prometheus
endpoint (--metrics-addr) scraped while a REAL Kafka -> OpenSearch pipeline
runs, and failure notifications (--notify-url) posted to a real local HTTP
receiver.

- test_metrics_while_streaming: events with known outcomes (filtered, dead-
  lettered by a CHECK, undecodable, WARN violations) go through a kafka ->
  opensearch pipeline; /metrics is scraped (parsed by the official
  prometheus_client parser) until everything is acknowledged and committed;
  the counters must equal what the input implies and, after SIGTERM, what
  the summary reports. ~15 s; needs Kafka and OpenSearch (tools/services/up.sh).
- test_file_to_es_outage_alerts: a file -> OpenSearch load whose bulk requests
  all get 503 (fault proxy) blocks inside the sink; /metrics must still show
  the open breaker and `sink_unavailable` must still be posted, then, once
  the cluster answers again, `sink_recovered` and every document indexed.
  ~15 s; needs OpenSearch.
- test_fail_pipeline_notifies / test_dead_webhook_changes_nothing: a file
  pipeline whose FAIL PIPELINE constraint fires; the receiver gets the run id,
  error, dead-letter location and counts; a webhook nobody listens on leaves
  pipec's exit code, stderr summary and outputs as they are. ~3 s, no services.
"""

import json
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client.parser import text_string_to_metric_families

from pipeline_e2e import FaultProxy, count, pipec_bin, producer, produce_events, tail, write_pipe

N = 300
POISON = [b"not json at all", b'{"id": "x", "amount": 1}']


def scrape(url):
    """{(name, frozenset(labels)): value} of every sample, and the raw text."""
    with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, text


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def total(samples, name, **labels):
    """Sum over the samples of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def health(url):
    try:
        with urllib.request.urlopen(url + "/health", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for_endpoint(log_path, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(r"metrics on (http://\S+)/metrics", log_path.read_text())
        if m:
            return m.group(1)
        assert proc.poll() is None, "pipec exited early:\n" + tail(log_path)
        time.sleep(0.1)
    raise AssertionError("pipec never announced its metrics endpoint:\n" + tail(log_path))


def test_metrics_while_streaming(names, es, tmp_path):
    p = producer()
    produce_events(p, names["topic"], range(N))  # amount = id / 2
    for k, v in enumerate(POISON):
        p.produce(names["topic"], key=f"poison{k}".encode(), value=v)
    assert p.flush(60) == 0
    # What the input implies: the source CHECK dead-letters amount >= 140
    # (ids 280..299) before WHERE drops ids divisible by 10; the WARN
    # constraint counts the rest with amount >= 100.
    checked = [i for i in range(N) if i * 0.5 < 140]
    kept = [i for i in checked if i % 10 != 0]
    want = {
        "in": N + len(POISON),
        "out": len(kept),
        "filtered": len(checked) - len(kept),
        "check_dead": N - len(checked),
        "warned": sum(1 for i in kept if i * 0.5 >= 100),
        "decode": len(POISON),
    }
    pipe, _ = write_pipe(tmp_path, names, columns="""
  id      BIGINT NOT NULL,
  user    STRING,
  amount  DOUBLE CHECK (amount < 140) ON VIOLATION DEAD LETTER,
  ts      TIMESTAMP NOT NULL""", select="id, user, amount, ts", clauses="""
  WHERE id % 10 <> 0
  CONSTRAINT modest EXPECT (amount < 100) ON VIOLATION WARN""")
    log_path = tmp_path / "pipec.log"
    summary_path = tmp_path / "summary.json"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([pipec_bin(), "run", "--no-progress", "--metrics-addr", "127.0.0.1:0",
                                 "--summary-json", str(summary_path), str(pipe)],
                                stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp_path))
    try:
        url = wait_for_endpoint(log_path, proc)
        pl = {"pipeline": "e2e"}
        sk = {"pipeline": "e2e", "sink": "out"}
        deadline = time.time() + 90
        while True:
            samples, text = scrape(url)
            done = (value(samples, "pipec_events_in_total", **pl) == want["in"]
                    and value(samples, "pipec_sink_documents_acknowledged_total", **sk) == want["out"]
                    and total(samples, "pipec_kafka_committed_offset", **pl) == want["in"])
            if done:
                break
            assert proc.poll() is None, "pipec exited:\n" + tail(log_path)
            assert time.time() < deadline, "the counters never reached the input's:\n" + text
            time.sleep(0.3)

        assert value(samples, "pipec_pipeline_running", **pl) == 1
        assert value(samples, "pipec_events_out_total", **pl) == want["out"]
        assert value(samples, "pipec_events_dropped_total", reason="filtered", **pl) == want["filtered"]
        assert total(samples, "pipec_constraint_violations_total", owner="events", action="DEAD LETTER",
                     **pl) == want["check_dead"]
        assert value(samples, "pipec_constraint_violations_total", owner="e2e", constraint="modest",
                     action="WARN", **pl) == want["warned"]
        assert total(samples, "pipec_decode_errors_total", **pl) == want["decode"]
        assert value(samples, "pipec_dead_letters_total", **pl) == want["check_dead"] + want["decode"]
        assert total(samples, "pipec_dead_letters_by_reason_total", **pl) == want["check_dead"] + want["decode"]
        assert value(samples, "pipec_sink_documents_rejected_total", **sk) == 0
        assert value(samples, "pipec_sink_circuit_breaker_state", **sk) == 0
        assert value(samples, "pipec_sink_buffered_documents", **sk) == 0
        # Every bulk request sent has its latency recorded; buckets are cumulative.
        requests = value(samples, "pipec_sink_bulk_requests_total", **sk)
        assert requests >= 1
        assert value(samples, "pipec_sink_bulk_request_duration_seconds_count", **sk) == requests
        buckets = sorted((float(dict(ls)["le"]), v) for (n, ls), v in samples.items()
                         if n == "pipec_sink_bulk_request_duration_seconds_bucket")
        assert [v for _, v in buckets] == sorted(v for _, v in buckets)
        assert buckets[-1] == (float("inf"), requests)
        # Per-partition lag and committed offsets, from librdkafka's statistics.
        partitions = {dict(ls)["partition"] for (n, ls), v in samples.items() if n == "pipec_kafka_committed_offset"}
        assert partitions == {"0", "1", "2"}
        assert total(samples, "pipec_kafka_consumer_lag_records", **pl) == 0
        assert value(samples, "pipec_kafka_assigned_partitions", **pl) == 3
        run_ids = [dict(ls)["run_id"] for (n, ls), v in samples.items() if n == "pipec_run_info"]
        assert len(run_ids) == 1
        assert health(url) == (200, "ok\n")
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=90)
    assert rc == 143, tail(log_path)
    summary = json.loads(summary_path.read_text())
    s = summary["pipelines"][0]
    assert summary["run_id"] == run_ids[0]
    assert f"run id: {run_ids[0]}" in log_path.read_text()
    assert s["events_in"] == value(samples, "pipec_events_in_total", **pl)
    assert s["events_out"] == value(samples, "pipec_events_out_total", **pl)
    assert s["filtered"] == value(samples, "pipec_events_dropped_total", reason="filtered", **pl)
    assert s["dead_letters"]["total"] == value(samples, "pipec_dead_letters_total", **pl)
    for reason, n in s["dead_letters"]["by_reason"].items():
        assert value(samples, "pipec_dead_letters_by_reason_total", reason=reason, **pl) == n
    for kind, n in s["decode_errors"].items():
        assert value(samples, "pipec_decode_errors_total", kind=kind, **pl) == n
    for c in s["constraints"]:
        assert value(samples, "pipec_constraint_violations_total", owner=c["owner"], constraint=c["name"],
                     action=c["action"], **pl) == c["violations"]
        assert value(samples, "pipec_constraint_checked_total", owner=c["owner"], constraint=c["name"],
                     action=c["action"], **pl) == c["checked"]


class Receiver:
    """A real HTTP server on a free port that records every POSTed JSON body."""

    def __init__(self):
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                bodies.append((self.path, self.headers.get("Content-Type"), json.loads(self.rfile.read(n))))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def fail_pipeline_dir(tmp_path):
    """The FAIL PIPELINE case: 5 events, the 3rd violates `sane`."""
    (tmp_path / "input.ndjson").write_text(
        '{"id":1,"amount":5}\n{"id":2,"amount":6}\n{"id":3,"amount":5000}\n{"id":4,"amount":7}\n'
        '{"id":5,"amount":9999}\n')
    (tmp_path / "p.pipe").write_text("""
CREATE SOURCE events (id BIGINT NOT NULL, amount DOUBLE)
  WITH (connector = 'file', path = 'input.ndjson');
CREATE SINK out WITH (connector = 'file', path = 'out.bulk.ndjson', index = 'docs');
CREATE PIPELINE p WITH ('dead-letter.path' = 'p.dlq.ndjson') AS INSERT INTO out
  SELECT id, amount FROM events
  CONSTRAINT sane EXPECT (amount < 1000) ON VIOLATION FAIL PIPELINE;
""")
    return tmp_path / "p.pipe"


def run_pipec(pipe, *extra):
    return subprocess.run([pipec_bin(), "run", "--no-progress", *extra, str(pipe)], cwd=str(pipe.parent),
                          capture_output=True, text=True, timeout=60)


def comparable(stderr_lines):
    """The summary without what differs between two runs: run id, timings, rates."""
    return [re.sub(r" in \d+\.\d+ s \(.*\)$", "", line) for line in stderr_lines
            if not line.startswith(("  run id: ", "  input: "))]


def test_fail_pipeline_notifies(tmp_path):
    pipe = fail_pipeline_dir(tmp_path)
    receiver = Receiver()
    try:
        proc = run_pipec(pipe, "--notify-url", receiver.url + "/hooks/T000/B000/secret",
                         "--summary-json", str(tmp_path / "summary.json"))
    finally:
        receiver.close()
    assert proc.returncode == 1, proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert len(receiver.bodies) == 1, receiver.bodies
    path, content_type, body = receiver.bodies[0]
    assert path == "/hooks/T000/B000/secret"
    assert content_type == "application/json"
    assert body["event"] == "run_failed"
    assert body["run_id"] == summary["run_id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", body["run_id"])
    assert body["pipeline"] == "p"
    assert body["status"] == "failed"
    assert body["error"] == summary["pipelines"][0]["error"]
    assert "constraint 'sane' (ON VIOLATION FAIL PIPELINE)" in body["error"]
    assert body["dead_letters"] == {"location": "p.dlq.ndjson", "count": 1}
    assert body["counts"] == {"events_in": 5, "events_out": 2}
    assert body["host"] == socket.gethostname()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["time"])
    assert "pipeline 'p' FAILED" in body["text"] and body["run_id"] in body["text"]
    assert "could not deliver" not in proc.stderr


def dead_letters(run_dir):
    """The dead letters without their write time."""
    letters = [json.loads(line) for line in (run_dir / "p.dlq.ndjson").read_text().splitlines()]
    for letter in letters:
        letter.pop("time")
    return letters


def test_dead_webhook_changes_nothing(tmp_path):
    quiet_dir = tmp_path / "quiet"
    dead_dir = tmp_path / "dead"
    quiet_dir.mkdir()
    dead_dir.mkdir()
    quiet = run_pipec(fail_pipeline_dir(quiet_dir))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    try:
        started = time.time()
        dead_port = s.getsockname()[1]
        dead = run_pipec(fail_pipeline_dir(dead_dir), "--notify-url", f"http://127.0.0.1:{dead_port}/x")
        seconds = time.time() - started
    finally:
        s.close()
    assert dead.returncode == quiet.returncode == 1
    assert seconds < 15
    assert (dead_dir / "out.bulk.ndjson").read_bytes() == (quiet_dir / "out.bulk.ndjson").read_bytes()
    assert dead_letters(dead_dir) == dead_letters(quiet_dir)
    lines = dead.stderr.splitlines()
    failed = [l for l in lines if "could not deliver the 'run_failed' notification" in l]
    assert len(failed) == 1, dead.stderr
    assert failed[0].startswith(f"pipec run: warning: could not deliver the 'run_failed' notification to "
                                f"http://127.0.0.1:{dead_port}: ")
    assert "/x" not in failed[0]  # the webhook's path (its secret) is not logged
    assert "(attempt 4 of 4)" in failed[0]
    assert comparable(l for l in lines if l not in failed) == comparable(quiet.stderr.splitlines())


def test_file_to_es_outage_alerts(es, tmp_path):
    """A file source has nothing to pause: during an outage the run waits
    inside the sink's push, and the metrics and breaker alerts must keep
    coming from there."""
    n = 20000
    index = f"pipec-outage-{int(time.time() * 1000)}"
    with open(tmp_path / "in.ndjson", "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"d{i}", "n": i, "pad": "x" * 100}) + "\n")
    proxy = FaultProxy({"rules": [{"match": "bulk", "every": 1, "fault": "status", "status": 503}]})
    (tmp_path / "p.pipe").write_text(f"""
CREATE SOURCE ev (id STRING NOT NULL, n BIGINT, pad STRING) WITH (connector = 'file', path = 'in.ndjson');
CREATE SINK es WITH (connector = 'elasticsearch', hosts = '{proxy.url}', index = '{index}', 'document.id' = 'id',
  'bulk.max-bytes' = '64kb', 'retry.max-buffered-bytes' = '256kb', 'retry.initial-backoff' = '50ms',
  'retry.max-backoff' = '200ms', 'retry.max-attempts' = '1000');
CREATE PIPELINE p AS INSERT INTO es SELECT id, n, pad FROM ev;
""")
    receiver = Receiver()
    log_path = tmp_path / "pipec.log"
    try:
        with open(log_path, "w") as log:
            proc = subprocess.Popen([pipec_bin(), "run", "--no-progress", "--metrics-addr", "127.0.0.1:0",
                                     "--notify-url", receiver.url + "/hook", "--notify-breaker-after", "1",
                                     "p.pipe"], stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp_path))
        url = wait_for_endpoint(log_path, proc)
        sk = {"pipeline": "p", "sink": "es"}
        deadline = time.time() + 60
        while not any(b["event"] == "sink_unavailable" for _, _, b in receiver.bodies):
            assert proc.poll() is None, "pipec exited during the outage:\n" + tail(log_path)
            assert time.time() < deadline, "no sink_unavailable notification during the outage:\n" + tail(log_path)
            time.sleep(0.2)
        samples, text = scrape(url)
        assert value(samples, "pipec_sink_circuit_breaker_state", **sk) in (1, 2), text
        assert value(samples, "pipec_sink_bulk_error_responses_total", status="5xx", **sk) >= 1, text
        assert value(samples, "pipec_sink_documents_acknowledged_total", **sk) == 0
        failures_then = value(samples, "pipec_sink_bulk_request_failures_total", **sk)
        # Still moving while the run is stuck in the sink: the breaker probes
        # (health answers), tries one request, fails, and waits ever longer,
        # up to 10 s between probes.
        moved = time.time() + 25
        while value(samples, "pipec_sink_bulk_request_failures_total", **sk) <= failures_then:
            assert time.time() < moved, text
            time.sleep(0.5)
            samples, text = scrape(url)
        assert proc.poll() is None
        proxy.set_schedule({"rules": []})  # the cluster answers again
        rc = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        receiver.close()
        proxy.close()
    assert rc == 0, tail(log_path)
    events = [b["event"] for _, _, b in receiver.bodies]
    assert events.count("sink_unavailable") == 1, events
    assert "sink_recovered" in events, events
    es.indices.refresh(index=index)
    assert count(es, index) == n
    es.indices.delete(index=index, ignore=[404])
