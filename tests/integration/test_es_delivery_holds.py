"""Kafka -> pipec -> OpenSearch delivery while the sink holds documents, end to
end against the REAL Kafka and OpenSearch of tools/services/ (no mocks), with
tools/faultproxy/faultproxy.py in front of the shared OpenSearch (never
stopped here).

membership  an outage longer than max.poll.interval.ms (10 s here) while the
            driver waits inside the sink for room in its full buffer: the
            consumer stays in its group (one member throughout, no
            revocation, no lost partitions) and every event is read once and
            indexed once.
window      kafka -> TUMBLE window -> opensearch with slow and failing bulk
            requests, SIGKILL mid-stream, restart: every window result in the
            index carries exactly its expected count and sum (the offsets of a
            window's records wait for Elasticsearch to acknowledge its result,
            not just for the result to be handed to the sink).

About 90 s in all. Needs both services up (tools/services/up.sh).
"""

import json
import signal
import threading
import time

from confluent_kafka.admin import AdminClient

from pipeline_e2e import (BOOTSTRAP, FaultProxy, TumblingStream, window_start_ms, all_ids, count, end_offsets, produce, start, stop,
                          tail, wait_committed, wait_count, write_pipe)

# Bulk requests and the breaker's health probes are black-holed (the
# connection closes unanswered); index creation gets through.
OUTAGE = {"rules": [{"match": "bulk", "every": 1, "fault": "drop_before"},
                    {"match": "health", "every": 1, "fault": "drop_before"}]}
NO_FAULTS = {"rules": []}


def group_members(group):
    """(state, member ids) of a consumer group, as the broker sees it."""
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    desc = admin.describe_consumer_groups([group])[group].result(timeout=30)
    return desc.state.name, sorted(m.member_id for m in desc.members)


def test_outage_longer_than_max_poll_interval_keeps_the_group_member(tmp_path, es, names):
    n = 40000
    produce(names["topic"], n)
    proxy = FaultProxy(OUTAGE)
    try:
        # A small buffer the backlog fills at once: the driver waits for room
        # inside the sink's push() for the whole outage.
        pipe, dlq = write_pipe(tmp_path, names, hosts=proxy.url, sink_options=[
            ("retry.max-buffered-bytes", "1mb"), ("bulk.max-bytes", "256kb"), ("retry.initial-backoff", "50ms"),
            ("retry.max-backoff", "500ms"), ("retry.max-attempts", "1000")])
        text = pipe.read_text().replace(
            "'scan.startup.mode' = 'earliest'",
            "'scan.startup.mode' = 'earliest',\n  'properties.max.poll.interval.ms' = '10000',\n"
            "  'properties.session.timeout.ms' = '6000'")
        pipe.write_text(text)
        log_path, summary = tmp_path / "run.log", tmp_path / "summary.json"
        proc = start(pipe, open(log_path, "w"), summary)
        try:
            deadline = time.time() + 60
            state, members = group_members(names["group"])
            while (state, len(members)) != ("STABLE", 1) and time.time() < deadline:
                assert proc.poll() is None, tail(log_path)
                time.sleep(0.5)
                state, members = group_members(names["group"])
            assert (state, len(members)) == ("STABLE", 1), (state, members, tail(log_path))
            # Twice max.poll.interval.ms: a member that did not poll would be evicted.
            for _ in range(4):
                time.sleep(5)
                assert proc.poll() is None, tail(log_path)
                during = group_members(names["group"])
                assert during == (state, members), f"membership changed during the outage: {during}"
            indexed_in_outage = max(count(es, names["index"]), 0)
            assert indexed_in_outage == 0, "bulk requests got through the outage"
            proxy.set_schedule(NO_FAULTS)
            got = wait_count(es, names["index"], n, proc, timeout=120)
            assert got == n, f"index holds {got} of {n}; log:\n" + tail(log_path)
            ends = end_offsets(names["topic"], names["partitions"])
            assert wait_committed(names["topic"], names["group"], ends) == ends
            assert group_members(names["group"]) == (state, members)
            stop(proc, log_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        st = proxy.stats()
    finally:
        proxy.close()
    log = tail(log_path, 200000)
    s = json.load(open(summary))["pipelines"][0]
    assert "circuit breaker open" in log, log[-3000:]
    # Assigned once, never lost, revoked only by the final close; the poll
    # interval never exceeded.
    assert log.count("kafka: assigned") == 1, log[-3000:]
    assert "kafka: lost" not in log and log.count("kafka: revoked") <= 1, log[-3000:]
    assert "MAX_POLL_EXCEEDED" not in log, log[-3000:]
    # Nothing lost, nothing read twice.
    assert all_ids(es, names["index"]) == set(range(n)) and count(es, names["index"]) == n
    assert s["events_in"] == n, s
    assert not dlq.exists() or dlq.read_text() == ""
    assert st["drop_before"] > 0, st
    print(f"\n{n} events behind a 20 s bulk outage (max.poll.interval.ms 10 s): "
          f"one member throughout, {s['events_in']} events read, sink {s['sink']}")


# ------------------------------------------------------------------ window -> opensearch

STREAM = TumblingStream(n=9000, bursts=30, pause=0.25)  # 90 windows x 3 keys


def window_pipe(tmp_path, names, hosts):
    pipe = tmp_path / "window.pipe"
    pipe.write_text(f"""
{STREAM.source_ddl(names)}
CREATE SINK out WITH (connector = 'opensearch', hosts = '{hosts}', index = '{names["index"]}',
  'document.id' = 'k,window_start', 'index.replicas' = '0', 'bulk.flush-interval' = '100ms',
  'retry.initial-backoff' = '50ms', 'retry.max-backoff' = '500ms', 'retry.max-attempts' = '50');
CREATE PIPELINE win WITH ('dead-letter.path' = '{tmp_path / "dlq.ndjson"}') AS INSERT INTO out
  {STREAM.QUERY}
""")
    return pipe


def indexed_windows(es, index):
    """(k, window_start epoch ms) -> (n, total) of every result document."""
    es.indices.refresh(index=index)
    got = {}
    resp = es.search(index=index, body={"query": {"match_all": {}}, "size": 10000})
    for h in resp["hits"]["hits"]:
        r = h["_source"]
        got[(r["k"], window_start_ms(r["window_start"]))] = (r["n"], r["total"])
    return got


def test_window_results_in_flight_hold_their_offsets_across_sigkill(tmp_path, es, make_names):
    # One partition: event time increases with the offset, so no event is late.
    names = make_names(1)
    want = STREAM.expected()
    # Every bulk request is held 2 s before it reaches OpenSearch and every
    # fourth fails (503): results stay in flight across several commit ticks.
    proxy = FaultProxy({"rules": [
        {"match": "bulk", "every": 4, "offset": 2, "fault": "status", "status": 503},
        {"match": "bulk", "every": 1, "fault": "delay", "ms": 2000, "where": "before"}]})
    produced = threading.Event()
    feeder = threading.Thread(target=STREAM.produce_over_time, args=(names["topic"], produced), daemon=True)
    try:
        pipe = window_pipe(tmp_path, names, proxy.url)
        feeder.start()
        proc = start(pipe, open(tmp_path / "run1.log", "w"))
        try:
            # SIGKILL once some results are acknowledged, others in flight.
            deadline = time.time() + 60
            while time.time() < deadline and count(es, names["index"]) < len(want) // 4:
                assert proc.poll() is None, tail(tmp_path / "run1.log")
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        before = count(es, names["index"])
        assert 0 < before < len(want), f"killed with {before} of {len(want)} windows: nothing was tested"
        proxy.set_schedule(NO_FAULTS)
        log2 = tmp_path / "run2.log"
        proc = start(pipe, open(log2, "w"))
        try:
            feeder.join(timeout=60)
            assert produced.is_set()
            wait_count(es, names["index"], len(want), proc, timeout=90)
            # Whatever is still in flight settles (documents overwrite by id).
            time.sleep(2)
        finally:
            stop(proc, log2)
    finally:
        proxy.close()
    got = indexed_windows(es, names["index"])
    # The stop emits the sentinel's open window as a partial result.
    got.pop(STREAM.sentinel_window(), None)
    missing = set(want) - set(got)
    assert not missing, f"{len(missing)} windows never indexed, e.g. {sorted(missing)[:5]}"
    assert set(got) == set(want), set(got) - set(want)
    wrong = {w: (got[w], want[w]) for w in want if got[w] != want[w]}
    assert not wrong, f"{len(wrong)} window results miss contributions, e.g. {list(wrong.items())[:5]}"
    print(f"\nkilled with {before} of {len(want)} window results indexed; all {len(want)} exact after the restart")
