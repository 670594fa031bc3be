"""Integration tests of the Elasticsearch/OpenSearch sink's bulk client and
index management against the REAL OpenSearch of tools/services/ (no mocks),
directly and through tools/faultproxy/faultproxy.py.

The client is driven by es_client_driver (tests/integration/es_client_driver.cpp,
built into build*/tests/), which plays the executor: it submits documents with
tickets, pauses while the client says so, and checks that every ticket is
reported exactly once (acknowledged or dead-lettered). These tests then check
the index itself: the exact document set, nothing lost, nothing doubled.

Needs OpenSearch up (tools/services/opensearch.sh start); PIPEC_OPENSEARCH_PORT
as for the scripts. The outage test stops and restarts that OpenSearch with
tools/services/opensearch.sh (same environment). PIPEC_ES_DRIVER overrides the
driver's path. The proxy and service helpers are in pipeline_e2e.py.
"""

import glob
import json
import os
import socket
import subprocess
import threading
import time
import uuid

import pytest

from pipeline_e2e import FaultProxy, mixed_faults, opensearch_service

try:
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import ConnectionError as OSConnectionError
    from opensearchpy.exceptions import TransportError
except ImportError as e:  # pragma: no cover - environment problem
    raise ImportError("opensearch-py is needed: `PIPEC_SETUP_SERVICES=1 tools/setup.sh`") from e

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PORT = int(os.environ.get("PIPEC_OPENSEARCH_PORT", "19200"))
HOST = f"http://127.0.0.1:{PORT}"

MAPPING = json.dumps({"properties": {"id": {"type": "long"}, "name": {"type": "keyword"},
                                     "v": {"type": "keyword"}, "pad": {"type": "keyword", "index": False}}})


def _driver():
    if os.environ.get("PIPEC_ES_DRIVER"):
        return os.environ["PIPEC_ES_DRIVER"]
    found = [p for p in [os.path.join(REPO, "build", "tests", "es_client_driver")] if os.path.exists(p)]
    found += sorted(glob.glob(os.path.join(REPO, "build*", "tests", "es_client_driver")), key=os.path.getmtime,
                    reverse=True)
    if not found:
        pytest.fail("es_client_driver is not built: run tools/build.sh (or ninja -C build es_client_driver)",
                    pytrace=False)
    return found[0]


def run_driver(*args, timeout=600, check=True):
    cmd = [_driver(), *map(str, args)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def admin(*args):
    return run_driver("admin", "--hosts", HOST, *args)


def load(index, docs, hosts=HOST, check=True, **opts):
    args = ["load", "--hosts", hosts, "--index", index, "--docs", docs]
    for k, v in opts.items():
        flag = "--" + k.replace("_", "-")
        if k == "set":
            for kv in v:
                args += ["--set", kv]
        elif v is True:
            args.append(flag)
        else:
            args += [flag, v]
    return run_driver(*args, check=check)


@pytest.fixture(scope="module")
def es():
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=3).close()
    except OSError as e:
        pytest.fail(f"OpenSearch is not running on 127.0.0.1:{PORT} ({e}): `tools/services/opensearch.sh start`",
                    pytrace=False)
    client = OpenSearch(hosts=[{"host": "127.0.0.1", "port": PORT}], timeout=60)
    try:
        client.cluster.health(wait_for_status="yellow")
    except (OSConnectionError, TransportError) as e:
        pytest.fail(f"OpenSearch is not healthy at {HOST} ({e})", pytrace=False)
    return client


@pytest.fixture
def index(es):
    """A fresh strict index (1 shard, 0 replicas); deleted afterwards."""
    name = f"pipec-es-{uuid.uuid4().hex[:10]}"
    assert admin("create-index", name, MAPPING, 1, 0) == {"ok": True}
    yield name
    es.indices.delete(index=name, ignore_unavailable=True)


def id_stats(es, index):
    es.indices.refresh(index=index)
    r = es.search(index=index, body={"size": 0, "track_total_hits": True, "aggs": {"id": {"stats": {"field": "id"}}}})
    return r["hits"]["total"]["value"], r["aggregations"]["id"]


def assert_exact_set(es, index, n, start=0):
    """Exactly the documents start..start+n-1, once each (ids are deterministic:
    count n with min/max/sum of a permutation of the range)."""
    count, st = id_stats(es, index)
    assert count == n, f"{index}: {count} documents, expected {n}"
    assert es.count(index=index)["count"] == n
    if n:
        assert st["min"] == start and st["max"] == start + n - 1
        assert st["sum"] == n * (2 * start + n - 1) / 2


def assert_every_ticket_once(r):
    assert r["missing"] == 0 and r["over_reported"] == 0 and r["unknown"] == 0, r
    assert r["acked"] + r["dead"] == r["docs"], r


@pytest.fixture
def fault_proxy():
    proxies = []

    def start(schedule):
        p = FaultProxy(schedule, PORT)
        proxies.append(p)
        return p

    yield start
    for p in proxies:
        p.close()


# ------------------------------------------------------------------ plain loads


def test_10k_deterministic_ids_twice_is_exactly_10k(es, index):
    first = load(index, 10000, set=["bulk.gzip=true"])  # gzip bodies, accepted by the real server
    assert_every_ticket_once(first)
    assert first["acked"] == 10000 and first["dead"] == 0
    assert first["stats"]["bytes_sent"] * 3 < first["stats"]["bytes_uncompressed"]
    assert_exact_set(es, index, 10000)

    second = load(index, 10000, version="v2")  # index action: overwrites
    assert second["acked"] == 10000 and second["dead"] == 0
    assert second["stats"]["bytes_sent"] == second["stats"]["bytes_uncompressed"]  # no gzip by default
    assert_exact_set(es, index, 10000)
    assert es.count(index=index, body={"query": {"term": {"v": "v2"}}})["count"] == 10000

    third = load(index, 10000, action="create")  # create action: every one a 409, counted as delivered
    assert_every_ticket_once(third)
    assert third["acked"] == 10000 and third["stats"]["items_conflicts"] == 10000
    assert_exact_set(es, index, 10000)
    s = first["stats"]
    print(f"\n10k docs: {first['docs_per_s']:.0f} docs/s, {s['requests_sent']} requests, "
          f"{s['bytes_uncompressed'] / max(1, s['requests_sent']):.0f} B/request raw, "
          f"{s['bytes_sent'] / max(1, s['requests_sent']):.0f} B/request gzip")


def test_mapping_conflict_is_dead_lettered_with_the_reason(es, index, tmp_path):
    dl = tmp_path / "dead.ndjson"
    r = load(index, 2000, bad_every=100, dead_letters=dl)
    assert_every_ticket_once(r)
    assert r["dead"] == 20 and r["acked"] == 1980
    letters = [json.loads(line) for line in dl.read_text().splitlines()]
    assert sorted(d["ticket"] for d in letters) == [k * 100 + 99 for k in range(20)]
    for d in letters:
        assert d["reason"].startswith("mapper_parsing_exception (HTTP 400): failed to parse field [id] of type [long]")
        assert f"bad-{d['ticket']}" in d["reason"]
        assert "caused by illegal_argument_exception" in d["reason"]
    count, _ = id_stats(es, index)
    assert count == 1980
    assert r["stats"]["items_retried"] == 0, "a permanent error must not be retried"


def test_unknown_field_under_strict_mapping_is_dead_lettered(es, index, tmp_path):
    # The template-less index is strict: a document with an extra field is refused.
    strict = f"{index}-strict"
    assert admin("create-index", strict, json.dumps({"properties": {"id": {"type": "long"}}}), 1, 0)["ok"]
    try:
        r = load(strict, 50, dead_letters=tmp_path / "d.ndjson")
        assert r["dead"] == 50
        assert r["dead_letter_sample"][0]["reason"].startswith("strict_dynamic_mapping_exception (HTTP 400)")
    finally:
        es.indices.delete(index=strict, ignore_unavailable=True)


# ------------------------------------------------------------------ faults


FAST_RETRY = ["retry.max-attempts=20", "retry.initial-backoff=20ms", "retry.max-backoff=400ms",
              "bulk.max-actions=500", "bulk.flush-interval=50ms"]


def test_only_failed_items_are_resent(es, index, fault_proxy):
    proxy = fault_proxy({"seed": 11, "rules": [{"match": "bulk", "every": 1, "fault": "partial", "fraction": 0.3}]})
    r = load(index, 5000, hosts=proxy.url, batch=500, set=FAST_RETRY)
    assert_every_ticket_once(r)
    assert r["acked"] == 5000 and r["dead"] == 0
    assert_exact_set(es, index, 5000)
    st = proxy.stats()
    # Each request loses 30 % of its documents; exactly those come back.
    assert st["partial_items_failed"] > 1000
    assert st["bulk_items_received"] == 5000 + st["partial_items_failed"], st
    assert r["stats"]["items_rejected_429"] == st["partial_items_failed"]
    assert r["stats"]["items_retried"] == st["partial_items_failed"]


def test_faults_through_the_proxy_lose_and_double_nothing(es, index, fault_proxy):
    schedule = mixed_faults({"ms": 3500, "where": "after"})  # > the request timeout below
    proxy = fault_proxy(schedule)
    # About half of all requests meet a fault here: 30 attempts make a give-up (2^-30) impossible in practice.
    r = load(index, 20000, hosts=proxy.url, batch=500, request_timeout_ms=2000,
             set=FAST_RETRY + ["retry.max-attempts=30"])
    assert_every_ticket_once(r)
    assert r["dead"] == 0, r["dead_letter_sample"]
    assert r["acked"] == 20000
    assert_exact_set(es, index, 20000)

    st = proxy.stats()
    fired = {json.dumps(x["rule"]): x["fired"] for x in st["rules"]}
    assert all(n >= 1 for n in fired.values()), fired
    s = r["stats"]
    assert s["responses_429"] >= 2
    # (<=: an answer the client timed out on never reached it)
    assert 0 < s["items_rejected_429"] <= st["partial_items_failed"]
    assert st["drop_before"] + st["drop_after"] >= 2
    # Timeouts always count; a connection dropped before any answer is often
    # re-sent by curl itself on a fresh connection (safe: ids are deterministic).
    assert s["transport_errors"] >= 1
    assert s["requests_failed"] > 0 and s["items_retried"] > 0
    print(f"\nthrough the proxy: {s['requests_sent']} requests, {s['requests_failed']} failed whole, "
          f"{s['items_retried']} document re-sends, {s['responses_429']} whole 429s, "
          f"{s['items_rejected_429']} item 429s, {s['transport_errors']} transport errors; proxy {st}")


def test_retries_are_bounded_then_dead_lettered(es, index, fault_proxy, tmp_path):
    proxy = fault_proxy({"rules": [{"match": "bulk", "every": 1, "fault": "partial", "fraction": 1.0}]})
    dl = tmp_path / "dead.ndjson"
    r = load(index, 300, hosts=proxy.url, batch=100, dead_letters=dl,
             set=["retry.max-attempts=3", "retry.initial-backoff=10ms", "retry.max-backoff=50ms"])
    assert_every_ticket_once(r)
    assert r["dead"] == 300
    for line in dl.read_text().splitlines():
        reason = json.loads(line)["reason"]
        assert reason.startswith("gave up after 3 attempts: es_rejected_execution_exception (HTTP 429)"), reason
    assert proxy.stats()["bulk_items_received"] == 900  # 3 attempts each, no more
    assert es.count(index=index)["count"] == 0


def test_413_splits_the_request(es, index, fault_proxy):
    proxy = fault_proxy({"rules": [{"match": "bulk", "nth": [1, 2], "fault": "status", "status": 413}]})
    r = load(index, 1000, hosts=proxy.url, batch=1000, set=["bulk.max-actions=1000"])
    assert_every_ticket_once(r)
    assert r["acked"] == 1000 and r["stats"]["requests_split"] == 2
    assert_exact_set(es, index, 1000)


def _refused_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_failover_round_robin_over_hosts(es, index):
    dead_host = f"http://127.0.0.1:{_refused_port()}"
    r = load(index, 5000, hosts=f"{dead_host},{HOST}", batch=250, set=["bulk.max-actions=250"])
    assert_every_ticket_once(r)
    assert r["acked"] == 5000 and r["dead"] == 0
    s = r["stats"]
    # The dead host is tried, then skipped for a while: most requests go to the live one.
    assert 1 <= s["transport_errors"] < s["requests_answered"]
    assert s["breaker_opened"] == 0
    assert_exact_set(es, index, 5000)


# ------------------------------------------------------------------ outage


def test_outage_opens_the_breaker_bounds_memory_and_resumes(es, index):
    buffer_limit = 4 << 20
    cmd = [_driver(), "load", "--hosts", HOST, "--index", index, "--docs", "120000", "--rate", "4000",
           "--batch", "500", "--probe-ms", "500", "--max-probe-ms", "2000", "--progress",
           "--set", "bulk.max-bytes=1mb", "--set", f"retry.max-buffered-bytes={buffer_limit}",
           "--set", "bulk.max-actions=2000", "--set", "bulk.flush-interval=200ms"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped_at = None
    try:
        time.sleep(5)
        assert proc.poll() is None, "the load ended before the outage"
        opensearch_service("stop")
        stopped_at = time.monotonic()
        time.sleep(20)
    finally:
        opensearch_service("start")  # idempotent; restores the shared service whatever happened
    outage = time.monotonic() - stopped_at
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"driver exited {proc.returncode}\n{out[-3000:]}\n{err[-3000:]}"
    r = json.loads(out.strip().splitlines()[-1])
    assert_every_ticket_once(r)
    assert r["acked"] == 120000 and r["dead"] == 0, r["dead_letter_sample"]
    s = r["stats"]
    assert s["breaker_opened"] >= 1 and s["health_probes"] >= 1
    assert s["breaker"] == "closed"
    # The buffer never held more than its limit plus the one request that filled it.
    assert s["max_buffered_bytes"] <= buffer_limit + r["max_submitted_request_bytes"], s
    assert r["paused_s"] >= 10, f"sources should have been paused for most of the {outage:.0f} s outage"
    assert_exact_set(es, index, 120000)
    print(f"\noutage {outage:.0f} s: breaker opened {s['breaker_opened']}x, {s['health_probes']} probes, "
          f"paused {r['paused_s']:.1f} s, max buffered {s['max_buffered_bytes']} B (limit {buffer_limit}), "
          f"driver max RSS {r['max_rss_kb']} kB")


# ------------------------------------------------------------------ index management


def test_alias_swap_is_atomic(es):
    base = f"pipec-es-{uuid.uuid4().hex[:10]}"
    alias, blue, green = base, f"{base}-blue", f"{base}-green"
    n = 3000
    try:
        for name, version in ((blue, "blue"), (green, "green")):
            assert admin("create-index", name, MAPPING, 1, 0)["ok"]
            r = load(name, n, version=version)
            assert r["acked"] == n
            admin("refresh", name)
        assert admin("add-alias", blue, alias)["ok"]
        assert admin("aliases", alias)["indices"] == [blue]

        seen, errors, stop = [], [], threading.Event()

        def reader():
            client = OpenSearch(hosts=[{"host": "127.0.0.1", "port": PORT}], timeout=30)
            while not stop.is_set():
                try:
                    res = client.search(index=alias, body={"size": 0, "track_total_hits": True,
                                                           "aggs": {"v": {"terms": {"field": "v"}}}})
                    seen.append((res["hits"]["total"]["value"],
                                 tuple(sorted(b["key"] for b in res["aggregations"]["v"]["buckets"]))))
                except Exception as e:  # noqa: BLE001 - any failure is a finding
                    errors.append(repr(e))

        threads = [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.2)
            r = admin("swap-alias", alias, green, 40, blue)  # green, blue, green, ... (40 swaps)
            assert r["ok"], r
            time.sleep(0.2)
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert not errors, errors[:3]
        assert len(seen) > 20
        bad = [s for s in seen if s[0] != n or len(s[1]) != 1]
        assert not bad, f"{len(bad)} of {len(seen)} searches saw an empty or mixed set: {bad[:5]}"
        assert {s[1] for s in seen} == {("blue",), ("green",)}
        assert admin("aliases", alias)["indices"] == [blue]  # 40 swaps end on blue
        assert r["removed"] == [green]
    finally:
        es.indices.delete(index=f"{base}-*", ignore_unavailable=True)


def test_index_admin_operations(es):
    base = f"pipec-es-{uuid.uuid4().hex[:10]}"
    idx = f"{base}-a"
    try:
        assert admin("exists", idx) == {"exists": False, "ok": True}
        assert admin("create-index", idx, MAPPING, 1, 1)["ok"]
        assert admin("exists", idx)["exists"] is True
        mapping = es.indices.get_mapping(index=idx)[idx]["mappings"]
        assert mapping["dynamic"] == "strict" and mapping["properties"]["id"] == {"type": "long"}

        again = admin("create-index", idx, MAPPING)
        assert again["ok"] is False and again["status"] == 400
        assert again["type"] == "resource_already_exists_exception"
        assert f"PUT /{idx}: resource_already_exists_exception (HTTP 400)" in again["error"]
        bad = admin("create-index", f"{base}-b", '{"properties":{"x":{"type":"no_such_type"}}}')
        assert bad["ok"] is False and bad["status"] == 400 and bad["type"] == "mapper_parsing_exception"

        saved = admin("begin-load", idx)
        assert saved["refresh_interval"] == "" and saved["number_of_replicas"] == "1"
        s = es.indices.get_settings(index=idx)[idx]["settings"]["index"]
        assert s["refresh_interval"] == "-1" and s["number_of_replicas"] == "0"
        assert load(idx, 1000)["acked"] == 1000
        assert admin("end-load", idx, saved["refresh_interval"], saved["number_of_replicas"])["ok"]
        s = es.indices.get_settings(index=idx)[idx]["settings"]["index"]
        assert "refresh_interval" not in s and s["number_of_replicas"] == "1"

        assert admin("refresh", idx)["ok"]
        assert admin("forcemerge", idx, 1)["ok"]
        segs = es.indices.segments(index=idx)["indices"][idx]["shards"]["0"][0]["segments"]
        assert len(segs) == 1
        assert admin("count", idx)["count"] == 1000
        assert admin("count", idx, '{"query":{"term":{"name":"n3"}}}')["count"] == len(
            [i for i in range(1000) if i % 7 == 3])
        assert admin("health")["status"] in ("green", "yellow")

        # An index template with a strict mapping applies to new indices of its pattern.
        assert admin("put-template", base, f"{base}-t*", MAPPING)["ok"]
        r = load(f"{base}-t1", 10)
        assert r["acked"] == 10
        m = es.indices.get_mapping(index=f"{base}-t1")[f"{base}-t1"]["mappings"]
        assert m["dynamic"] == "strict" and m["properties"]["name"] == {"type": "keyword"}
        assert admin("delete-template", base)["ok"]

        # index.create at sink start-up: a plain name gets an index (twice is fine), a
        # dated pattern a template.
        assert admin("prepare", f"{base}-p", "index", MAPPING) == {"did": "index", "ok": True}
        assert admin("prepare", f"{base}-p", "index", MAPPING)["ok"]
        assert es.indices.get_mapping(index=f"{base}-p")[f"{base}-p"]["mappings"]["dynamic"] == "strict"
        # ... and a template for that one name: deleted, the index comes back
        # from the next bulk write with the mapping, not a dynamic one.
        es.indices.delete(index=f"{base}-p")
        assert load(f"{base}-p", 5)["acked"] == 5
        m = es.indices.get_mapping(index=f"{base}-p")[f"{base}-p"]["mappings"]
        assert m["dynamic"] == "strict" and m["properties"]["name"] == {"type": "keyword"}, m
        es.indices.delete_index_template(name=f"pipec-index.{base}-p")
        # An alias of the name is written through, not created over.
        es.indices.create(index=f"{base}-a1", body={"aliases": {f"{base}-al": {}}})
        assert admin("prepare", f"{base}-al", "index", MAPPING) == {"did": "alias", "ok": True}
        es.indices.create(index=f"{base}-a2", body={"aliases": {f"{base}-al": {}}})
        refused = admin("prepare", f"{base}-al", "index", MAPPING)
        assert refused["ok"] is False and "none of them is its write index" in refused["error"], refused
        assert admin("prepare", base + "-d-{ts|yyyy.MM.dd}", "index", MAPPING)["did"] == "template"
        assert load(f"{base}-d-2024.01.02", 5)["acked"] == 5
        m = es.indices.get_mapping(index=f"{base}-d-2024.01.02")[f"{base}-d-2024.01.02"]["mappings"]
        assert m["dynamic"] == "strict"
        es.indices.delete_index_template(name=f"pipec-{base}-d")
        assert admin("prepare", f"{base}-n", "none", MAPPING)["did"] == "none"
        assert admin("exists", f"{base}-n")["exists"] is False

        assert admin("aliases", f"{base}-none")["indices"] == []
        missing = admin("count", f"{base}-none")
        assert missing["ok"] is False and missing["status"] == 404 and missing["type"] == "index_not_found_exception"
        assert admin("delete-index", idx)["ok"] and admin("exists", idx)["exists"] is False
    finally:
        es.indices.delete(index=f"{base}-*", ignore_unavailable=True)
        try:
            es.indices.delete_index_template(name=base)
        except TransportError:
            pass
