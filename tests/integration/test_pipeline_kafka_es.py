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

import concurrent.futures
import http.server
import json
import random
import signal
import subprocess
import threading
import time

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient
from pipeline_e2e import (BOOTSTRAP, FaultProxy, all_ids, committed, count, end_offsets, pipe_text, pipec_bin, produce,
                          produce_events, producer, run_until_indexed, start, stop, wait_committed, wait_count,
                          write_pipe)

N = 5000
POISON = [b'{"id": 99999991, "user": "broken', b'{"id": "not-a-number", "user": "x", "amount": 1.0, "ts": 1}',
          b'[1,2,3]']


def test_kafka_to_opensearch_sigterm(tmp_path, es, names):
    produce(names["topic"], N, POISON)
    pipe, dlq = write_pipe(tmp_path, names)
    t0 = time.time()
    run_until_indexed(es, names, pipe, tmp_path, N)
    print(f"\n{N} events Kafka -> OpenSearch indexed and committed, SIGTERM after {time.time() - t0:.1f}s")
    assert all_ids(es, names["index"]) == set(range(N))
    assert count(es, names["index"]) == N

    letters = [json.loads(l) for l in open(dlq) if l.strip()]
    assert len(letters) == len(POISON), letters
    ends = end_offsets(names["topic"], names["partitions"])
    for dl in letters:
        blob = json.dumps(dl)
        assert names["topic"] in blob, dl
        assert "partition" in blob and "offset" in blob, dl
    assert wait_committed(names["topic"], names["group"], ends) == ends


def test_kafka_to_opensearch_sigkill_restart(tmp_path, es, names):
    produce(names["topic"], N, POISON)
    # Small requests, one at a time: the load takes long enough to be killed
    # in the middle of it.
    pipe, dlq = write_pipe(tmp_path, names, sink_options=[("bulk.max-actions", "100"), ("bulk.concurrency", "1")])
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
    first_committed = committed(names["topic"], names["group"], names["partitions"])
    run_until_indexed(es, names, pipe, tmp_path, N)
    print(f"\nkilled with {before} of {N} documents indexed (committed then: {first_committed}); "
          f"after the restart: {count(es, names['index'])}")
    assert count(es, names["index"]) == N
    assert all_ids(es, names["index"]) == set(range(N))


class SlowRefusal(http.server.BaseHTTPRequestHandler):
    """Answers every request 401 after 0-60 ms: a sink that fails to open
    while the Kafka source is in the middle of its group's first rebalance."""

    def refuse(self):
        time.sleep(random.uniform(0, 0.06))
        body = b'{"error":{"type":"security_exception","reason":"no credentials"},"status":401}'
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = do_POST = refuse

    def log_message(self, *args):
        pass


def test_a_run_stopped_during_its_first_rebalance_exits_cleanly(tmp_path, names):
    """librdkafka 2.0.2 aborts in rd_kafka_destroy() when the first JoinGroup
    was answered and the SyncGroup not yet (confluentinc/librdkafka#4312);
    the source lets that rebalance finish before it closes. The window is ~1
    ms wide: with the assignor as the only sign of a join, 6 of 800 such runs
    still died of SIGABRT (the second JoinGroup's answer landed between the
    check and the close; debug=cgrp logs); before any wait, 4 of 275.
    200 runs, two at a time, each with a fresh group, must all exit 2 with
    the sink's error."""
    produce(names["topic"], 10)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowRefusal)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop_early(i):
        group = dict(names, group=f"{names['group']}-{i}")
        pipe = tmp_path / f"r{i}.pipe"
        pipe.write_text(pipe_text(group, tmp_path / "dlq.ndjson", hosts=f"http://127.0.0.1:{server.server_port}"))
        return i, subprocess.run([pipec_bin(), "run", "--no-progress", str(pipe)], capture_output=True, text=True,
                                 timeout=60)

    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(stop_early, range(200)))
    finally:
        server.shutdown()
    for i, p in runs:
        assert p.returncode == 2, f"run {i}: exit {p.returncode}\n{p.stderr[-3000:]}"
        assert "cannot prepare index" in p.stderr and "security_exception (HTTP 401)" in p.stderr, p.stderr
    print(f"\n{len(runs)} runs stopped during the first rebalance: exit codes {sorted({p.returncode for _, p in runs})}")


def test_an_unknown_topic_is_reported_and_a_stop_is_prompt(tmp_path, names):
    """A mistyped topic: pipec says so on stderr (and keeps waiting for it, as
    librdkafka does), and SIGTERM ends the run at once: there is no group
    rebalance to wait for."""
    missing = dict(names, topic=names["topic"] + "-missing")
    pipe = tmp_path / "missing.pipe"
    pipe.write_text(pipe_text(missing, tmp_path / "dlq.ndjson"))
    log_path = tmp_path / "run.log"
    proc = start(pipe, open(log_path, "w"))
    try:
        deadline = time.time() + 30
        while "UNKNOWN_TOPIC_OR_PART" not in log_path.read_text() and time.time() < deadline:
            assert proc.poll() is None, "pipec exited:\n" + log_path.read_text()
            time.sleep(0.1)
        t0 = time.time()
        proc.terminate()
        rc = proc.wait(timeout=30)
        took = time.time() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = log_path.read_text()
    warnings = [l for l in log.splitlines() if "UNKNOWN_TOPIC_OR_PART" in l]
    assert len(warnings) == 1 and missing["topic"] in warnings[0] and "check the topic name" in warnings[0], log
    assert rc == 143, f"exit {rc}:\n{log}"
    assert took < 5, f"SIGTERM took {took:.1f} s:\n{log}"
    print(f"\nunknown topic: {warnings[0].strip()}; stopped {took:.2f} s after SIGTERM")


def test_an_existing_index_with_another_mapping_is_reported(tmp_path, es, names):
    """The index was made earlier by dynamic mapping: 'amount' became a long
    (OpenSearch truncates 12.5 to 12 in it) and the other fields are not
    mapped. pipec writes into it as it is, and says how the mappings differ,
    on stderr and in the summary's warnings."""
    es.indices.create(index=names["index"], body={"mappings": {"properties": {
        "id": {"type": "long"}, "amount": {"type": "long"}, "ts": {"type": "date"}}}})
    produce(names["topic"], 200)
    pipe, _ = write_pipe(tmp_path, names)
    log_path, summary = run_until_indexed(es, names, pipe, tmp_path, 200)
    log = log_path.read_text()
    # Once when the sink opens, once more among the summary's warnings.
    lines = [l for l in log.splitlines() if "already exists with a mapping that differs" in l]
    assert len(lines) == 2 and lines[0].startswith("sink 'out': index") and "warning:" in lines[1], log
    assert "'amount' is long in the index, double in the pipeline" in lines[0]
    for field in ("user", "kpart", "koff"):
        assert f"'{field}' is not in the index's mapping" in lines[0], lines[0]
    assert "'id'" not in lines[0] and "'ts'" not in lines[0]
    assert any("'amount' is long in the index" in w for w in json.loads(summary.read_text())["pipelines"][0]["warnings"])
    print(f"\n{lines[0].strip()}")


def delete_index_mid_run(tmp_path, es, names, drop_template=False):
    """Streams 50 events into the index, deletes it (and with `drop_template`
    the sink's template for its name), streams 30 more and waits until the
    index holds them. Returns (log text, dead-letter path, mapping)."""
    pipe, dlq = write_pipe(tmp_path, names)
    log_path = tmp_path / "run.log"
    proc = start(pipe, open(log_path, "w"))
    try:
        p = producer()
        produce_events(p, names["topic"], range(0, 50))
        assert p.flush(30) == 0
        wait_count(es, names["index"], 50, proc, timeout=60, step=0.1)
        es.indices.delete(index=names["index"])
        if drop_template:
            es.indices.delete_index_template(name=f"pipec-index.{names['index']}")
        produce_events(p, names["topic"], range(50, 80))
        assert p.flush(30) == 0
        wait_count(es, names["index"], 30, proc, timeout=60, step=0.1)
        mapping = es.indices.get_mapping(index=names["index"])[names["index"]]["mappings"]
    finally:
        stop(proc, log_path)
    assert all_ids(es, names["index"]) == set(range(50, 80))
    return log_path.read_text(), dlq, mapping


def test_an_index_deleted_mid_run_comes_back_with_the_pipelines_mapping(tmp_path, es, names):
    """Someone deletes the index while the pipeline streams into it: the next
    bulk write re-creates it (OpenSearch's auto-create), and the sink's
    template for that one name gives it the pipeline's mapping. Without the
    template it came back with dynamic mapping (amount a float, user text,
    no 'dynamic: strict'), silently."""
    _, _, mapping = delete_index_mid_run(tmp_path, es, names)
    assert mapping["dynamic"] == "strict", mapping
    props = mapping["properties"]
    assert props["amount"] == {"type": "double"} and props["user"] == {"type": "keyword"}, props


def test_a_refused_index_template_is_a_warning_and_the_run_delivers(tmp_path, es, names):
    """A user allowed to create indices but not templates (a cluster
    privilege): the sink says what it could not do and what that means, and
    indexes everything."""
    produce(names["topic"], 200)
    proxy = FaultProxy({"rules": [{"match": "template", "every": 1, "fault": "status", "status": 403}]})
    try:
        pipe, _ = write_pipe(tmp_path, names, hosts=proxy.url)
        log_path = tmp_path / "run.log"
        proc = start(pipe, open(log_path, "w"))
        try:
            wait_count(es, names["index"], 200, proc, timeout=60, step=0.1)
        finally:
            stop(proc, log_path)
    finally:
        proxy.close()
    log = log_path.read_text()
    warning = [l for l in log.splitlines() if l.startswith("sink 'out': cannot install index template")]
    assert len(warning) == 1, log
    assert "  warning: " + warning[0] in log, log  # and in the run's summary
    assert f"pipec-index.{names['index']}" in warning[0] and "security_exception" in warning[0], warning
    assert "re-creates it with dynamic mapping" in warning[0], warning
    assert es.indices.get_mapping(index=names["index"])[names["index"]]["mappings"]["dynamic"] == "strict"
    assert all_ids(es, names["index"]) == set(range(200))


def test_a_sink_writes_through_an_alias_into_its_write_index(tmp_path, es, names):
    """`index` names an alias (blue/green, rollover): the sink neither tries to
    create an index of that name (OpenSearch refused: "already exists as
    alias", and the run failed) nor installs a template for it; documents go
    to the alias's write index. An alias over several indices with no write
    index would refuse every write: the run stops at start-up saying so."""
    alias = names["index"]
    old, new = f"{alias}-v1", f"{alias}-v2"
    es.indices.create(index=old, body={"aliases": {alias: {}}})
    es.indices.create(index=new, body={"aliases": {alias: {}}})
    produce(names["topic"], 100)
    bounded = dict(names)
    text = pipe_text(bounded, tmp_path / "dlq.ndjson").replace(
        "'scan.startup.mode' = 'earliest'", "'scan.startup.mode' = 'earliest',\n  'scan.bounded.mode' = 'latest-offset'")
    pipe = tmp_path / "alias.pipe"
    pipe.write_text(text)
    try:
        p = subprocess.run([pipec_bin(), "run", "--no-progress", str(pipe)], capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, p.stderr
        assert f"alias '{alias}' points to 2 indices and none of them is its write index" in p.stderr, p.stderr
        es.indices.update_aliases(body={"actions": [{"add": {"index": new, "alias": alias, "is_write_index": True}}]})
        p = subprocess.run([pipec_bin(), "run", "--no-progress", str(pipe)], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        es.indices.refresh(index=f"{alias}-*")
        assert es.count(index=old)["count"] == 0 and es.count(index=new)["count"] == 100
        assert not es.indices.exists_index_template(name=f"pipec-index.{alias}")
        assert "cannot install" not in p.stderr, p.stderr
    finally:
        es.indices.delete(index=f"{alias}-*", ignore=[404])


def test_records_deleted_by_retention_before_they_were_read_are_reported(tmp_path, es, names):
    """pipec was stopped (or behind) while retention deleted records past the
    group's committed offset: librdkafka 2.0.2 moves on to the log start
    without a word. The source says which offsets are gone, counts them, and
    reads on."""
    text = pipe_text(names, tmp_path / "dlq.ndjson").replace(
        "'scan.startup.mode' = 'earliest'", "'scan.startup.mode' = 'group-offsets',\n  'scan.bounded.mode' = 'latest-offset'")
    pipe = tmp_path / "bounded.pipe"
    pipe.write_text(text)
    produce(names["topic"], 300)

    def run():
        summary = tmp_path / "summary.json"
        p = subprocess.run([pipec_bin(), "run", "--no-progress", "--summary-json", str(summary), str(pipe)],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stderr, json.load(open(summary))["pipelines"][0]

    log, first = run()
    assert "deleted by retention" not in log, log
    p = producer()
    produce_events(p, names["topic"], range(300, 600))
    assert p.flush(30) == 0
    # What retention does: the log of each partition now starts 40 records
    # after the group's committed offset.
    ends = committed(names["topic"], names["group"], names["partitions"])
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for f in admin.delete_records([TopicPartition(names["topic"], part, off + 40) for part, off in ends.items()]).values():
        f.result(30)
    log, second = run()
    lines = [l for l in log.splitlines() if "deleted by retention before they were read" in l]
    assert len(lines) == names["partitions"], log
    for part, off in ends.items():
        assert any(f"[{part}]: offsets {off} to {off + 39} (up to 40 records)" in l for l in lines), (part, off, lines)
    assert second["source"]["lost_to_retention"] == 40 * names["partitions"], second
    assert "%4|" not in log, log  # librdkafka's own lines come in the source's format too
    assert second["events_in"] == 300 - 40 * names["partitions"], second


def test_an_index_deleted_where_the_cluster_does_not_create_indices_is_made_again(tmp_path, es, names):
    """A hardened cluster (action.auto_create_index false) answers writes to
    a deleted index with 404 index_not_found_exception. The sink created that
    index, so it holds the documents (they are not at fault: before, every one
    became a dead letter), makes the index again from the pipeline's mapping,
    and delivers them."""
    es.cluster.put_settings(body={"persistent": {"action.auto_create_index": "false"}})
    try:
        log, dlq, mapping = delete_index_mid_run(tmp_path, es, names, drop_template=True)
    finally:
        es.cluster.put_settings(body={"persistent": {"action.auto_create_index": None}})
    assert "was gone and" in log and "created it again from the pipeline's mapping" in log, log
    assert not dlq.exists() or dlq.read_text().strip() == "", dlq.read_text()
    assert mapping["dynamic"] == "strict", mapping
