"""Fixtures of the `pipec run` end-to-end tests (helpers: pipeline_e2e.py)."""

import uuid

import pytest

from confluent_kafka.admin import AdminClient, NewTopic
from opensearchpy import OpenSearch

from pipeline_e2e import BOOTSTRAP, KAFKA_PORT, OS_PORT, require_up


@pytest.fixture(scope="module")
def es():
    require_up(OS_PORT, "OpenSearch")
    client = OpenSearch(hosts=[{"host": "127.0.0.1", "port": OS_PORT}], timeout=60)
    client.cluster.health(wait_for_status="yellow", request_timeout=120)
    return client


@pytest.fixture(scope="module")
def kafka_admin():
    require_up(KAFKA_PORT, "Kafka")
    return AdminClient({"bootstrap.servers": BOOTSTRAP})


@pytest.fixture
def make_names(es, kafka_admin):
    """make_names(partitions) -> {topic, index, group}: a fresh topic with that
    many partitions, and names for the index and the consumer group; the topic
    and the index are deleted afterwards."""
    made = []

    def make(partitions):
        tag = uuid.uuid4().hex[:10]
        n = {"topic": f"pipec-e2e-{tag}", "index": f"pipec-e2e-{tag}", "group": f"pipec-e2e-{tag}",
             "partitions": partitions}
        for f in kafka_admin.create_topics([NewTopic(n["topic"], num_partitions=partitions,
                                                     replication_factor=1)]).values():
            f.result(timeout=60)
        made.append(n)
        return n

    yield make
    for n in made:
        try:
            es.indices.delete(index=n["index"], ignore=[404])
            es.indices.delete_index_template(name=f"pipec-index.{n['index']}", ignore=[404])
        except Exception:
            pass
        try:
            for f in kafka_admin.delete_topics([n["topic"]]).values():
                f.result(timeout=60)
        except Exception:
            pass


@pytest.fixture
def names(make_names):
    return make_names(3)
