"""Smoke test of the real test services started by tools/services/.

It checks that the single-node Kafka and OpenSearch that pipec's integration
tests run against do what those tests need, through independent clients
(confluent-kafka, opensearch-py). No mocks.

The services must already be up:  tools/services/up.sh
Ports come from the same variables as the scripts (PIPEC_KAFKA_PORT, default
19092; PIPEC_OPENSEARCH_PORT, default 19200). A service that is down makes its
tests FAIL with a message that says how to start it; nothing is skipped.
"""

import json
import os
import socket
import time
import uuid

import pytest

try:
    from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError as e:  # pragma: no cover - environment problem
    raise ImportError(
        "confluent-kafka is needed: run `PIPEC_SETUP_SERVICES=1 tools/setup.sh` "
        "or `python3 -m pip install confluent-kafka`"
    ) from e
try:
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import ConnectionError as OSConnectionError
    from opensearchpy.exceptions import TransportError
except ImportError as e:  # pragma: no cover - environment problem
    raise ImportError(
        "opensearch-py is needed: run `PIPEC_SETUP_SERVICES=1 tools/setup.sh` "
        "or `python3 -m pip install opensearch-py`"
    ) from e

KAFKA_BOOTSTRAP = f"127.0.0.1:{os.environ.get('PIPEC_KAFKA_PORT', '19092')}"
OPENSEARCH_PORT = int(os.environ.get("PIPEC_OPENSEARCH_PORT", "19200"))

N_MESSAGES = 100
N_PARTITIONS = 3


def _unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _require_listening(service, port, script, env_var):
    """Fails (never skips) at once when nothing accepts connections on the port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
        return
    except OSError as e:
        reason = str(e)
    pytest.fail(
        f"{service} is not running: nothing accepts connections on 127.0.0.1:{port} ({reason}). "
        f"Start it with `tools/services/{script} start` (or tools/services/up.sh); "
        f"set {env_var} if it listens elsewhere.",
        pytrace=False,
    )

# --------------------------------------------------------------------------- Kafka


@pytest.fixture(scope="module")
def kafka_admin():
    _require_listening("Kafka", int(KAFKA_BOOTSTRAP.rsplit(":", 1)[1]), "kafka.sh", "PIPEC_KAFKA_PORT")
    admin = AdminClient({"bootstrap.servers": KAFKA_BOOTSTRAP})
    try:
        md = admin.list_topics(timeout=10)
    except KafkaException as e:
        pytest.fail(
            f"Kafka does not answer metadata requests at {KAFKA_BOOTSTRAP} ({e.args[0]}). "
            "Start it with `tools/services/kafka.sh start` (or tools/services/up.sh); "
            "set PIPEC_KAFKA_PORT if it listens elsewhere.",
            pytrace=False,
        )
    assert md.brokers, f"Kafka at {KAFKA_BOOTSTRAP} reports no brokers"
    return admin


@pytest.fixture
def kafka_topic(kafka_admin):
    topic = _unique("pipec-smoke")
    futures = kafka_admin.create_topics(
        [NewTopic(topic, num_partitions=N_PARTITIONS, replication_factor=1)], operation_timeout=30
    )
    futures[topic].result(timeout=60)
    # Wait until every partition has a leader in the metadata.
    deadline = time.monotonic() + 30
    while True:
        t = kafka_admin.list_topics(topic=topic, timeout=10).topics.get(topic)
        if t and t.error is None and len(t.partitions) == N_PARTITIONS and all(
            p.leader >= 0 for p in t.partitions.values()
        ):
            break
        assert time.monotonic() < deadline, f"topic {topic} has no leaders after 30 s: {t}"
        time.sleep(0.1)
    yield topic
    kafka_admin.delete_topics([topic], operation_timeout=30)[topic].result(timeout=60)


def test_kafka_produce_consume_3_partitions(kafka_admin, kafka_topic):
    topic = kafka_topic
    assert len(kafka_admin.list_topics(topic=topic, timeout=10).topics[topic].partitions) == 3

    delivered, failed = [], []

    def on_delivery(err, msg):
        (failed if err else delivered).append(err or (msg.partition(), msg.offset()))

    producer = Producer(
        {"bootstrap.servers": KAFKA_BOOTSTRAP, "acks": "all", "enable.idempotence": True, "linger.ms": 5}
    )
    for i in range(N_MESSAGES):
        producer.produce(
            topic,
            key=f"k{i}".encode(),
            value=json.dumps({"i": i}).encode(),
            partition=i % N_PARTITIONS,
            on_delivery=on_delivery,
        )
        producer.poll(0)
    assert producer.flush(30) == 0, "producer could not deliver everything within 30 s"
    assert not failed, f"delivery failures: {failed[:5]}"
    assert len(delivered) == N_MESSAGES

    consumer = Consumer(
        {
            "bootstrap.servers": KAFKA_BOOTSTRAP,
            "group.id": f"{topic}-group",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    received = {p: [] for p in range(N_PARTITIONS)}
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 60
        total = 0
        while total < N_MESSAGES and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                assert msg.error().code() == KafkaError._PARTITION_EOF, msg.error()
                continue
            received[msg.partition()].append((msg.offset(), json.loads(msg.value())["i"], msg.key()))
            total += 1
        assert total == N_MESSAGES, f"consumed {total} of {N_MESSAGES} messages within 60 s"
        consumer.commit(asynchronous=False)
        committed = consumer.committed(
            [TopicPartition(topic, p) for p in range(N_PARTITIONS)], timeout=10
        )
    finally:
        consumer.close()

    for p, msgs in received.items():
        expected = [i for i in range(N_MESSAGES) if i % N_PARTITIONS == p]
        assert [i for _, i, _ in msgs] == expected, f"partition {p}: wrong order or content"
        assert [o for o, _, _ in msgs] == list(range(len(expected))), f"partition {p}: offsets"
        assert all(k == f"k{i}".encode() for _, i, k in msgs)
    assert sum(tp.offset for tp in committed) == N_MESSAGES, committed


# ---------------------------------------------------------------------- OpenSearch


@pytest.fixture(scope="module")
def opensearch():
    _require_listening("OpenSearch", OPENSEARCH_PORT, "opensearch.sh", "PIPEC_OPENSEARCH_PORT")
    client = OpenSearch(hosts=[{"host": "127.0.0.1", "port": OPENSEARCH_PORT}], timeout=60)
    try:
        health = client.cluster.health(wait_for_status="yellow")  # server waits up to 30 s
    except (OSConnectionError, TransportError) as e:
        pytest.fail(
            f"OpenSearch is not healthy at http://127.0.0.1:{OPENSEARCH_PORT} ({e}). "
            "Start it with `tools/services/opensearch.sh start` (or tools/services/up.sh); "
            "set PIPEC_OPENSEARCH_PORT if it listens elsewhere.",
            pytrace=False,
        )
    assert health["status"] in ("green", "yellow"), health
    return client


def _bulk_ndjson(index, docs):
    lines = []
    for d in docs:
        lines.append(json.dumps({"index": {"_index": index, "_id": str(d["id"])}}))
        lines.append(json.dumps(d))
    return "\n".join(lines) + "\n"


def _docs(n, version):
    return [{"id": i, "name": f"{version}-{i % 7}", "ts": 1700000000000 + i, "v": version} for i in range(n)]


def test_opensearch_bulk_template_alias_swap(opensearch):
    client = opensearch
    base = _unique("pipec-smoke")
    alias, v1, v2 = base, f"{base}-v1", f"{base}-v2"
    try:
        # Index template: settings and mappings for every {base}-* index.
        client.indices.put_index_template(
            name=base,
            body={
                "index_patterns": [f"{base}-*"],
                "template": {
                    "settings": {"number_of_shards": 1, "number_of_replicas": 0},
                    "mappings": {
                        "dynamic": "strict",
                        "properties": {
                            "id": {"type": "long"},
                            "name": {"type": "keyword"},
                            "ts": {"type": "date", "format": "epoch_millis"},
                            "v": {"type": "keyword"},
                        },
                    },
                },
            },
        )
        client.indices.create(index=v1)
        mapping = client.indices.get_mapping(index=v1)[v1]["mappings"]
        assert mapping["properties"]["name"] == {"type": "keyword"}, "template not applied"

        # _bulk with an NDJSON body, as pipec's sink sends it.
        r = client.bulk(body=_bulk_ndjson(v1, _docs(50, "v1")))
        assert not r["errors"], [i for i in r["items"] if "error" in i["index"]][:3]
        assert len(r["items"]) == 50
        # A strict mapping rejects an unknown field, per item.
        bad = client.bulk(body=json.dumps({"index": {"_index": v1}}) + "\n" + json.dumps({"zzz": 1}) + "\n")
        assert bad["errors"] and bad["items"][0]["index"]["status"] == 400

        client.indices.update_aliases(body={"actions": [{"add": {"index": v1, "alias": alias}}]})
        client.indices.refresh(index=v1)
        assert client.count(index=alias)["count"] == 50

        # A new generation: fill v2, refresh, force-merge to one segment.
        r = client.bulk(body=_bulk_ndjson(v2, _docs(80, "v2")))
        assert not r["errors"]
        client.indices.refresh(index=v2)
        fm = client.indices.forcemerge(index=v2, max_num_segments=1)
        assert fm["_shards"]["failed"] == 0, fm
        segs = client.indices.segments(index=v2)["indices"][v2]["shards"]["0"][0]["segments"]
        assert len(segs) == 1, f"force-merge left {len(segs)} segments"

        # Atomic swap: one _aliases call removes v1 and adds v2.
        r = client.indices.update_aliases(
            body={
                "actions": [
                    {"remove": {"index": v1, "alias": alias}},
                    {"add": {"index": v2, "alias": alias}},
                ]
            }
        )
        assert r["acknowledged"]
        assert set(client.indices.get_alias(name=alias)) == {v2}

        # Search through the alias now sees only v2.
        res = client.search(
            index=alias,
            body={
                "query": {"term": {"name": "v2-3"}},
                "size": 100,
                "sort": [{"id": "asc"}],
                "aggs": {"versions": {"terms": {"field": "v"}}},
                "track_total_hits": True,
            },
        )
        ids = [h["_source"]["id"] for h in res["hits"]["hits"]]
        assert ids == [i for i in range(80) if i % 7 == 3]
        assert res["hits"]["total"]["value"] == len(ids)
        assert [b["key"] for b in res["aggregations"]["versions"]["buckets"]] == ["v2"]
        assert client.count(index=alias)["count"] == 80

        # _cat/indices lists both generations with their document counts.
        cat = {row["index"]: row for row in client.cat.indices(index=f"{base}-*", format="json")}
        assert set(cat) == {v1, v2}
        assert cat[v1]["docs.count"] == "50" and cat[v2]["docs.count"] == "80"
        assert all(row["health"] in ("green", "yellow") for row in cat.values())
    finally:
        for index in (v1, v2):
            try:
                client.indices.delete(index=index, ignore_unavailable=True)
            except TransportError:
                pass
        try:
            client.indices.delete_index_template(name=base)
        except TransportError:
            pass
