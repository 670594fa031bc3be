"""Fault tests of `pipec run`, Kafka -> pipec -> OpenSearch, end to end against
the REAL Kafka and OpenSearch of tools/services/ (no mocks). Each asserts the
exact document set in the index (ids are deterministic, 'document.id' = 'id').

outage     OpenSearch is stopped for ~20-30 s mid-run while a producer keeps
           producing: the breaker opens (logged), the Kafka partitions are
           paused (the committed offsets stand still, the lag grows), pipec's
           RSS stays bounded, then everything resumes and nothing is lost.
sigterm    SIGTERM while OpenSearch is down and the sink waits for room ends
           the run within the outage flush timeout (10 s), committing nothing
           unacknowledged; a restart indexes everything.
proxy      tools/faultproxy/faultproxy.py in front of OpenSearch injects 429s,
           503s/502s/504s, partial bulk failures, slow answers and dropped
           connections: every document is indexed, none is dead-lettered, each
           event was read from Kafka once.
mapping    an index created beforehand with an explicit mapping pipec's types
           cannot check (a STRING column into a `date` field, a BIGINT into an
           `integer`): exactly the conflicting documents are dead-lettered with
           Elasticsearch's error, the others are indexed, all offsets committed.
group      two pipec instances in one consumer group on a 6-partition topic,
           B joining while A has documents in flight (bulk answers 1 s late
           through the proxy), A stopped mid-run: every event indexed exactly
           once overall, and none sent twice (a revocation waits for the
           acknowledgements of what is in flight before its commit; was
           ~2000 of 30000 replayed).

Needs both services up (tools/services/up.sh). The outage and sigterm tests stop and
start OpenSearch with tools/services/opensearch.sh (same environment) and
always start it again, also when they fail. About 4-5 minutes in all.
"""

import json
import threading
import time

import pytest


from pipeline_e2e import (FaultProxy, all_ids, committed, count, end_offsets, kafka_service, mixed_faults,
                          opensearch_service, produce, produce_events, producer, rss_kib, run_until_indexed, start,
                          stop, stop_when_indexed, tail, wait_committed, wait_count, write_pipe)

FAST_RETRY = [("retry.initial-backoff", "20ms"), ("retry.max-backoff", "400ms"), ("bulk.max-actions", "500")]


class RateProducer:
    """Produces events with ids 0, 1, 2, ... at about `rate` per second on a
    thread until stop() (or `limit` events); `produced` counts them."""

    def __init__(self, topic, rate, limit=None, pad=0):
        self.topic, self.rate, self.limit, self.pad = topic, rate, limit, pad
        self.produced = 0
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            p = producer()
            t0 = time.monotonic()
            while not self._stop.is_set() and (self.limit is None or self.produced < self.limit):
                due = int((time.monotonic() - t0) * self.rate)
                if self.limit is not None:
                    due = min(due, self.limit)
                if due > self.produced:
                    produce_events(p, self.topic, range(self.produced, due), self.pad)
                    self.produced = due
                p.poll(0)
                time.sleep(0.01)
            assert p.flush(60) == 0, "the producer could not deliver everything"
        except Exception as e:  # noqa: BLE001 - reported by stop()
            self.error = e

    def close(self):
        self._stop.set()
        self._thread.join(timeout=90)

    def stop(self, wait_for_limit=False):
        """Stops producing (or waits for `limit` events); returns how many
        events were produced (all acknowledged)."""
        if wait_for_limit:
            self._thread.join(timeout=120)
        self.close()
        assert not self._thread.is_alive(), "the producer did not stop"
        assert self.error is None, f"producer: {self.error!r}"
        return self.produced


class RssSampler:
    """Samples a process's VmRSS every `every` seconds on a thread."""

    def __init__(self, pid, every=0.25):
        self.samples = []  # (monotonic time, KiB)
        self._pid, self._every = pid, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            kib = rss_kib(self._pid)
            if kib is None:
                return
            self.samples.append((time.monotonic(), kib))
            time.sleep(self._every)

    def max_between(self, t0, t1):
        return max((kib for t, kib in self.samples if t0 <= t <= t1), default=0)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)


def letters(dlq):
    try:
        return [json.loads(line) for line in open(dlq) if line.strip()]
    except FileNotFoundError:
        return []


def summary_of(path):
    with open(path) as f:
        return json.load(f)["pipelines"][0]


def lag(ends, commits):
    return sum(ends[p] - max(commits.get(p, 0), 0) for p in ends)


# ------------------------------------------------------------------ 2. outage


def test_opensearch_outage_pauses_resumes_and_loses_nothing(tmp_path, es, names):
    buffer_cap = 4 << 20
    pipe, dlq = write_pipe(tmp_path, names, sink_options=[("retry.max-buffered-bytes", "4mb"),
                                                          ("bulk.max-bytes", "1mb")])
    log_path, summary = tmp_path / "run.log", tmp_path / "summary.json"
    # ~2 MB/s into Kafka (a padding field pipec does not decode): a consumer that went on
    # fetching during the outage would hold more than the bound below.
    rate, pad = 500, 4000
    feed = RateProducer(names["topic"], rate=rate, pad=pad)
    t0 = time.monotonic()
    proc = start(pipe, open(log_path, "w"), summary)
    rss = RssSampler(proc.pid)
    stopped = ready = None
    try:
        assert wait_count(es, names["index"], 1500, proc, timeout=60) >= 1500, tail(log_path)
        time.sleep(2)  # steady state: the JIT compiled, buffers warm
        before = time.monotonic()
        try:
            opensearch_service("stop")
            stopped = time.monotonic()
            produced_at_stop = feed.produced
            # Acknowledgements from before the stop are committed within a commit interval (1 s).
            time.sleep(3)
            commits_down = committed(names["topic"], names["group"], names["partitions"])
            ends_down = end_offsets(names["topic"], names["partitions"])
            # Down ~10 s, then a restart of 10-30 s: an outage of 20-40 s.
            time.sleep(max(0.0, stopped + 10 - time.monotonic()))
            commits_late = committed(names["topic"], names["group"], names["partitions"])
            ends_late = end_offsets(names["topic"], names["partitions"])
            log_down = tail(log_path, 100000)
        finally:
            opensearch_service("start")  # idempotent; restores the shared service whatever happened
            ready = time.monotonic()
            produced_in_outage = feed.produced - produced_at_stop
        assert proc.poll() is None, "pipec exited during the outage:\n" + tail(log_path)
        time.sleep(3)  # the producer goes on after the restart too
        total = feed.stop()
        got = wait_count(es, names["index"], total, proc, timeout=90)
        assert got == total, f"index holds {got} of {total}; log:\n" + tail(log_path)
        caught_up = time.monotonic()
        ends = end_offsets(names["topic"], names["partitions"])
        assert wait_committed(names["topic"], names["group"], ends) == ends
        stop(proc, log_path)
    finally:
        feed.close()
        rss.stop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = tail(log_path, 100000)
    outage = ready - stopped
    s = summary_of(summary)

    # Nothing lost, nothing doubled, nothing dead-lettered.
    assert all_ids(es, names["index"]) == set(range(total))
    assert count(es, names["index"]) == total
    assert letters(dlq) == [] and s["dead_letters"]["total"] == 0

    # The breaker opened during the outage and closed after it, as logged and counted.
    assert "circuit breaker open" in log_down, log_down[-3000:]
    assert "circuit breaker closed, sources resumed" in log, log[-3000:]
    assert s["sink"]["breaker_opened"] >= 1 and s["sink"]["health_probes"] >= 1, s["sink"]
    assert s["source"]["pauses"] >= 1, s["source"]
    assert s["sink"]["documents_dead_lettered"] == 0

    # Paused: nothing was committed during the outage while the topic grew.
    assert commits_late == commits_down, (commits_down, commits_late)
    grew = rate * 4
    assert sum(ends_late.values()) - sum(ends_down.values()) > grew
    assert lag(ends_late, commits_late) > lag(ends_down, commits_down) + grew

    # Memory: the client holds at most its buffer cap (plus one request); the
    # raw records of those documents and a paused consumer add a little more.
    base = rss.max_between(before - 2, before)
    peak = rss.max_between(stopped, ready)
    bound = base + 6 * buffer_cap // 1024
    produced_kib = produced_in_outage * pad // 1024
    assert produced_kib > bound - base, "too little produced during the outage for the RSS bound to mean anything"
    assert peak <= bound, f"RSS {peak} KiB during the outage, bound {bound} KiB (before: {base} KiB)"
    assert s["sink"]["max_buffered_bytes"] <= buffer_cap + (1 << 20), s["sink"]
    print(f"\nstarted at 0 s, OpenSearch stopped at {stopped - t0:.1f} s, ready at {ready - t0:.1f} s "
          f"(outage {outage:.1f} s, {produced_kib // 1024} MiB produced meanwhile), all {total} events indexed at {caught_up - t0:.1f} s; RSS before {base} KiB, max during the outage "
          f"{peak} KiB; committed lag {lag(ends_down, commits_down)} -> {lag(ends_late, commits_late)}; "
          f"sink {s['sink']}")


REFUSALS = {
    # index.blocks.write, as the disk flood stage sets read_only_allow_delete: 403 cluster_block_exception.
    "write-block": ("cluster_block_exception",
                    lambda es, i: es.indices.put_settings(index=i, body={"index.blocks.write": True}),
                    lambda es, i: es.indices.put_settings(index=i, body={"index.blocks.write": False})),
    # A closed index (closed to change its analysis settings, or to restore it): 400 index_closed_exception.
    "closed-index": ("index_closed_exception", lambda es, i: es.indices.close(index=i),
                     lambda es, i: es.indices.open(index=i, wait_for_active_shards=1)),
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_a_write_block_pauses_without_dead_letters_and_lifting_it_delivers_everything(tmp_path, es, names, refusal):
    """The index refuses writes for a while, whatever the document, while the
    cluster stays healthy. That is not the documents' fault: they wait
    (breaker open, sources paused, probes ever less often) instead of using
    up their 2 attempts and becoming dead letters (what happened before:
    1,000 of 1,000 dead-lettered within 12 s under a write block; every
    document written while the index was closed); once writes are allowed
    again, everything is indexed, once."""
    error_type, refuse, allow = REFUSALS[refusal]
    n = 3000
    es.indices.create(index=names["index"], body={"settings": {"number_of_replicas": 0}})
    refuse(es, names["index"])
    produce(names["topic"], n)
    pipe, dlq = write_pipe(tmp_path, names, sink_options=FAST_RETRY + [("retry.max-attempts", "2")])
    log_path, summary = tmp_path / "run.log", tmp_path / "summary.json"
    proc = start(pipe, open(log_path, "w"), summary)
    try:
        deadline = time.monotonic() + 30
        while "does not accept writes" not in tail(log_path) and time.monotonic() < deadline:
            assert proc.poll() is None, tail(log_path)
            time.sleep(0.2)
        time.sleep(8)  # blocked for ~8 s more: several probes, each followed by a refused request
        blocked_log = tail(log_path, 100000)
        assert count(es, names["index"]) == (-1 if refusal == "closed-index" else 0)  # a closed index has no count
        assert letters(dlq) == [], letters(dlq)[:2]
        commits_blocked = committed(names["topic"], names["group"], names["partitions"])
        allow(es, names["index"])
        stop_when_indexed(es, names, proc, log_path, n, timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = tail(log_path, 100000)
    s = summary_of(summary)
    assert error_type in blocked_log and "does not accept writes" in blocked_log, blocked_log
    # While blocked nothing was acknowledged, so nothing was committed.
    assert all(v <= 0 for v in commits_blocked.values()), commits_blocked
    assert all_ids(es, names["index"]) == set(range(n)) and count(es, names["index"]) == n
    assert letters(dlq) == [] and s["dead_letters"]["total"] == 0 and s["sink"]["documents_dead_lettered"] == 0
    # One outage in the log, though the breaker re-opened after each healthy probe.
    assert blocked_log.count("does not accept writes") == 1
    assert log.count("circuit breaker closed, sources resumed") == 1, log
    assert s["sink"]["breaker_opened"] >= 2 and s["sink"]["health_probes"] >= 2, s["sink"]
    print(f"\n{refusal}: sink {s['sink']}")


def test_a_kafka_broker_restart_mid_run_loses_and_doubles_nothing(tmp_path, es, names):
    """The broker goes away for a few seconds while events keep coming (the
    producer buffers them) and comes back, as in a rolling restart: pipec
    reconnects by itself, commits nothing it has not delivered, and the index
    ends with every event once."""
    pipe, dlq = write_pipe(tmp_path, names)
    log_path, summary = tmp_path / "run.log", tmp_path / "summary.json"
    feed = RateProducer(names["topic"], rate=2000)
    proc = start(pipe, open(log_path, "w"), summary)
    try:
        wait_count(es, names["index"], 2000, proc, timeout=90)
        try:
            kafka_service("stop")
            down_at = feed.produced
            time.sleep(3)
            assert proc.poll() is None, "pipec exited when the broker went away:\n" + tail(log_path)
        finally:
            kafka_service("start")  # restores the shared service whatever happened
        time.sleep(3)  # events keep coming after the restart too
        total = feed.stop()
        stop_when_indexed(es, names, proc, log_path, total, timeout=180)
    finally:
        feed.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    s = summary_of(summary)
    assert down_at < total
    assert all_ids(es, names["index"]) == set(range(total)) and count(es, names["index"]) == total
    assert letters(dlq) == [] and s["dead_letters"]["total"] == 0
    log = tail(log_path, 100000)
    assert "kafka: disconnected" in log, log[-3000:]
    print(f"\nbroker stopped after {down_at} of {total} events produced; read {s['events_in']}; "
          f"source {s.get('source')}")


def test_sigterm_during_an_outage_exits_and_a_restart_loses_nothing(tmp_path, es, names):
    """A backlog keeps the client's buffer full when OpenSearch goes away, so
    the driver is waiting for room inside the sink: SIGTERM must still end the
    run promptly (was: a hang until OpenSearch came back), leave what was not
    acknowledged uncommitted, and a restart must index everything."""
    n = 30000
    produce(names["topic"], n)
    pipe, dlq = write_pipe(tmp_path, names, sink_options=[("retry.max-buffered-bytes", "2mb"),
                                                          ("bulk.max-bytes", "512kb")])
    log_path = tmp_path / "run1.log"
    proc = start(pipe, open(log_path, "w"))
    try:
        assert wait_count(es, names["index"], 3000, proc, timeout=60, step=0.1) >= 3000, tail(log_path)
        opensearch_service("stop")
        time.sleep(2)
        assert proc.poll() is None, tail(log_path)
        t = time.monotonic()
        stop(proc, log_path, timeout=60)
        exit_s = time.monotonic() - t
        commits = committed(names["topic"], names["group"], names["partitions"])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        opensearch_service("start")  # idempotent; restores the shared service whatever happened
    log = tail(log_path, 100000)
    assert exit_s < 30, f"pipec took {exit_s:.1f} s to stop during the outage"
    assert "circuit breaker open" in log, log[-3000:]
    assert "documents were not acknowledged before shutdown" in log, log[-3000:]
    ends = end_offsets(names["topic"], names["partitions"])
    assert sum(max(c, 0) for c in commits.values()) < sum(ends.values())
    before = count(es, names["index"])
    assert before < n, "the load ended before the outage: nothing was tested"

    _, summary = run_until_indexed(es, names, pipe, tmp_path, n, timeout=110)
    assert all_ids(es, names["index"]) == set(range(n))
    assert count(es, names["index"]) == n
    assert letters(dlq) == []
    print(f"\nSIGTERM during the outage: exit after {exit_s:.1f} s with {before} of {n} indexed; "
          f"the restart indexed the rest ({summary_of(summary)['events_in']} events read again)")


# ------------------------------------------------------------------ 3. fault proxy


def test_faults_through_the_proxy_lose_and_double_nothing(tmp_path, es, names):
    n = 20000
    produce(names["topic"], n)
    proxy = FaultProxy(mixed_faults({"ms": 2500, "where": "before"}))  # slow, within the request timeout
    try:
        # About half of all requests meet a fault: 30 attempts never give up by chance.
        pipe, dlq = write_pipe(tmp_path, names, hosts=proxy.url,
                               sink_options=FAST_RETRY + [("retry.max-attempts", "30")])
        _, summary = run_until_indexed(es, names, pipe, tmp_path, n)
        st = proxy.stats()
    finally:
        proxy.close()
    s = summary_of(summary)
    assert all_ids(es, names["index"]) == set(range(n))
    assert count(es, names["index"]) == n
    assert letters(dlq) == [] and s["dead_letters"]["total"] == 0, letters(dlq)[:3]
    # Every event read from Kafka once (no replay): retries happened in the sink only.
    assert s["events_in"] == n and s["events_out"] == n, s

    fired = {json.dumps(x["rule"]): x["fired"] for x in st["rules"]}
    assert all(k >= 1 for k in fired.values()), fired
    sink = s["sink"]
    assert sink["responses_429"] >= 2
    assert 0 < sink["documents_rejected_429"] <= st["partial_items_failed"]
    assert sink["documents_retried"] >= sink["documents_rejected_429"]
    assert sink["transport_errors"] >= 1 and sink["requests_failed"] >= 1
    assert st["drop_before"] + st["drop_after"] >= 2
    # Every document reached the proxy, and every one it failed was sent again.
    assert st["bulk_items_received"] >= n + st["partial_items_failed"], st
    print(f"\nthrough the proxy: sink {sink}; proxy: {st['bulk_requests']} bulk requests, status {st['status']}, "
          f"{st['partial_items_failed']} items failed by 'partial', {st['drop_before']} + {st['drop_after']} "
          f"dropped, {st['delays']} delayed")


def test_a_slow_cluster_slows_the_reading_without_pausing_or_refetching(tmp_path, es, names):
    """Ordinary backpressure (the cluster answers, slower than pipec reads):
    the pipeline waits inside the sink and the consumer keeps its prefetched
    records. Pausing the partitions there made librdkafka drop its prefetch
    and fetch (and decompress) it again on resume: 3x the Kafka traffic in the
    benchmark. Only an outage pauses (see the outage test)."""
    n = 20000
    produce(names["topic"], n)
    proxy = FaultProxy({"rules": [{"match": "bulk", "every": 1, "fault": "delay", "ms": 300, "where": "before"}]})
    try:
        # A buffer of a few requests: the client is full most of the run.
        pipe, dlq = write_pipe(tmp_path, names, hosts=proxy.url,
                               sink_options=[("bulk.max-actions", "500"), ("bulk.max-bytes", "128kb"),
                                             ("retry.max-buffered-bytes", "512kb")])
        log, summary = run_until_indexed(es, names, pipe, tmp_path, n, timeout=150)
        st = proxy.stats()
    finally:
        proxy.close()
    s = summary_of(summary)
    assert all_ids(es, names["index"]) == set(range(n))
    assert s["events_in"] == n and letters(dlq) == []
    assert st["delays"] >= n // 500, st  # every bulk request was slowed down
    # The consumer was never paused, and handed out each record once.
    assert s["source"]["pauses"] == 0, s["source"]
    assert s["source"]["messages"] == n and s["source"]["dropped"] == 0, s["source"]
    assert "circuit breaker open" not in tail(log, 100000)


# ------------------------------------------------------------------ 5. mapping conflict


def test_mapping_conflict_dead_letters_exactly_the_conflicting_documents(tmp_path, es, names):
    n = 3000
    bad_date = {i for i in range(n) if i % 100 == 37}
    bad_int = {i for i in range(n) if i % 250 == 11}
    # Created before pipec starts ('index.create' = 'index' keeps an existing index): types the
    # binder cannot check against, since the values are well-typed for pipec.
    es.indices.create(index=names["index"], body={
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {"dynamic": "strict", "properties": {
            "id": {"type": "long"}, "user": {"type": "keyword"},
            "seen": {"type": "date", "format": "strict_date_optional_time"},
            "qty": {"type": "integer"}}}})
    p = producer()
    for i in range(n):
        ev = {"id": i, "user": f"u{i % 97}",
              "seen": f"not-a-date-{i}" if i in bad_date else "2024-01-02T03:04:05Z",
              "qty": 3_000_000_000 + i if i in bad_int else i}
        p.produce(names["topic"], key=str(i).encode(), value=json.dumps(ev).encode())
    assert p.flush(60) == 0

    pipe, dlq = write_pipe(tmp_path, names, columns="""
  id    BIGINT NOT NULL,
  user  STRING,
  seen  STRING,
  qty   BIGINT""", select="id, user, seen, qty")
    want_indexed = n - len(bad_date | bad_int)
    # Dead-lettered records are complete too: every offset gets committed.
    _, summary = run_until_indexed(es, names, pipe, tmp_path, want_indexed)
    dead = letters(dlq)
    by_id = {json.loads(d["record"])["id"]: d for d in dead}
    assert len(by_id) == len(dead), "a document was dead-lettered twice"
    assert set(by_id) == bad_date | bad_int
    for i, d in by_id.items():
        field, es_type = ("seen", "date") if i in bad_date else ("qty", "integer")
        assert d["error"].startswith(f"mapper_parsing_exception (HTTP 400): failed to parse field [{field}] "
                                     f"of type [{es_type}]"), d
        assert d["source"]["topic"] == names["topic"] and d["source"]["offset"] >= 0, d
    assert all_ids(es, names["index"]) == set(range(n)) - bad_date - bad_int
    assert count(es, names["index"]) == want_indexed
    s = summary_of(summary)
    assert s["dead_letters"]["total"] == len(dead) and s["sink_rejected"] == len(dead)
    assert s["sink"]["documents_dead_lettered"] == len(dead)
    assert s["sink"]["documents_retried"] == 0, "a mapping error must not be retried"
    print(f"\n{len(dead)} of {n} documents dead-lettered, e.g. {dead[0]['error'][:160]}")


# ------------------------------------------------------------------ 6. two instances, one group


def test_two_instances_one_group_one_stopped_index_every_event_once(tmp_path, es, make_names):
    names = make_names(6)
    n = 30000
    # Every bulk answer comes 1 s late: A always has documents in flight when
    # B joins and takes half of its partitions, so a revocation that did not
    # wait for their acknowledgements would hand them to B to be sent again.
    proxy = FaultProxy({"rules": [{"match": "bulk", "every": 1, "fault": "delay", "ms": 1000, "where": "after"}]})
    feed = RateProducer(names["topic"], rate=1000, limit=n)
    pipe, dlq = write_pipe(tmp_path, names, hosts=proxy.url, sink_options=[("bulk.max-actions", "500")])
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    summaries = [tmp_path / "a.json", tmp_path / "b.json"]
    procs = [start(pipe, open(logs[0], "w"), summaries[0])]
    try:
        assert wait_count(es, names["index"], 2000, procs[0], timeout=60) >= 2000, tail(logs[0])
        procs.append(start(pipe, open(logs[1], "w"), summaries[1]))
        # Stop A mid-run: both have been consuming a while, the producer is still going.
        reached = wait_count(es, names["index"], n // 4, procs[0], timeout=60)
        assert reached >= n // 4, tail(logs[0])
        assert feed.produced < n, "the load ended before instance A was stopped"
        stopped_at = count(es, names["index"])
        stop(procs[0], logs[0])
        assert feed.stop(wait_for_limit=True) == n
        got = wait_count(es, names["index"], n, procs[1], timeout=90)
        assert got == n, f"index holds {got} of {n}; log of B:\n" + tail(logs[1])
        ends = end_offsets(names["topic"], names["partitions"])
        assert wait_committed(names["topic"], names["group"], ends) == ends
        stop(procs[1], logs[1])
    finally:
        feed.close()
        proxy.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    a, b = summary_of(summaries[0]), summary_of(summaries[1])
    assert a["events_in"] > 0 and b["events_in"] > 0, "both instances must have consumed"
    assert "kafka: revoked" in tail(logs[0], 100000), "B's join revoked nothing from A: nothing was tested"
    ids = all_ids(es, names["index"])
    assert ids == set(range(n))
    assert count(es, names["index"]) == n  # each id exactly once
    assert letters(dlq) == []
    twice = a["events_out"] + b["events_out"] - n
    print(f"\nA stopped with {stopped_at} of {n} indexed; A sent {a['events_out']}, B sent {b['events_out']}: "
          f"{twice} events delivered twice (replayed after rebalances), 0 missing, 0 doubled in the index")
    # A revocation waits for the acknowledgements of what is in flight before
    # it commits, and a stop flushes before it leaves: nothing is replayed.
    assert twice == 0
