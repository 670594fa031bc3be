"""`pipec run --batch` (blue/green load into a versioned index, validated, then
an atomic alias swap) and `pipec alias list|rollback`, against the REAL
OpenSearch of tools/services/ (no mocks). Every test uses its own alias
(uuid tag) and deletes what it created. About 30 s in all.

(1) first load creates version 1 and the alias; a second load with other data
    creates version 2, swaps the alias, keeps version 1; a search through the
    alias sees exactly the second document set; retention deletes beyond
    'batch.keep-versions'.
(2) failed validation (pass rate under the minimum; FAIL PIPELINE; a concrete
    index in the alias's place): the alias stays, exit non-zero, the new index
    kept or deleted per 'batch.on-failure'.
(3) rollback moves the alias back (exact first document set), and says so when
    there is nothing to roll back to, no alias or no server.
(4) settings: 0 replicas and refresh off while loading, restored after; one
    segment per shard after the force-merge.
(5) 'batch.max-count-change': a load whose document count is off by more than
    that from the live version's is not swapped in; one within it is.

PIPEC_OPENSEARCH_PORT as for the scripts; PIPEC_BIN overrides the pipec binary
(pipeline_e2e.py; the `es` fixture is conftest.py's).
"""

import json
import re
import subprocess
import time
import uuid

import pytest
from opensearchpy import TransportError

from pipeline_e2e import OS_URL as HOSTS, pipec_bin


@pytest.fixture
def alias(es):
    name = f"pipec-bg-{uuid.uuid4().hex[:10]}"
    yield name
    es.indices.delete(index=f"{name}*", ignore=[404])


def write_events(path, events, extra_lines=()):
    with open(path, "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
        for line in extra_lines:
            f.write(line + "\n")


def events(ids, negative=()):
    return [{"id": i, "amount": -1.0 if i in negative else i * 1.5 + 1, "status": "test" if i % 10 == 7 else "ok",
             "currency": "eur"} for i in ids]


def write_pipe(tmp_path, alias, data, sink_extra="", action="DEAD LETTER", name="load.pipe"):
    pipe = tmp_path / name
    pipe.write_text(f"""
CREATE SOURCE orders (
  id       BIGINT NOT NULL,
  amount   DOUBLE,
  status   STRING,
  currency STRING,
  CONSTRAINT positive_amount EXPECT (amount > 0) ON VIOLATION {action}
) WITH (connector = 'file', path = '{data}') FORMAT JSON;

CREATE SINK es WITH (
  connector = 'opensearch',
  hosts = '{HOSTS}',
  index = '{alias}',
  'document.id' = 'id',
  'bulk.max-actions' = '500'{sink_extra}
);

CREATE PIPELINE load WITH ('dead-letter.path' = '{tmp_path / "dlq.ndjson"}')
AS INSERT INTO es
  SELECT id, amount, upper(currency) AS currency FROM orders WHERE status <> 'test';
""")
    return pipe


def run(pipe, *extra, timeout=180):
    p = subprocess.run([pipec_bin(), "run", str(pipe), "--batch", "--no-progress", *extra], capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stderr


def alias_cmd(*args, timeout=60):
    p = subprocess.run([pipec_bin(), "alias", *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def live(es, alias):
    got = es.indices.get_alias(name=alias, ignore=[404])
    return sorted(k for k in got if k not in ("error", "status"))


def versions(es, alias):
    pattern = re.compile(re.escape(alias) + r"-\d{8}-\d{6}(-\d{2})?$")
    return sorted(i for i in es.indices.get(index=f"{alias}-*", ignore=[404]) if pattern.match(i))


def ids_through(es, name):
    es.indices.refresh(index=name)
    hits = es.search(index=name, body={"query": {"match_all": {}}, "size": 10000, "_source": ["id"]})["hits"]["hits"]
    return sorted(h["_source"]["id"] for h in hits)


def expected_ids(evs):
    return sorted(e["id"] for e in evs if e["status"] != "test" and e["amount"] > 0)


def test_two_loads_swap_the_alias_and_keep_the_previous_version(es, alias, tmp_path):
    data = tmp_path / "orders.ndjson"
    first = events(range(0, 300), negative={3})
    write_events(data, first, extra_lines=['{"id": 99999, "amount": broken'])
    pipe = write_pipe(tmp_path, alias, data, ", 'batch.min-pass-rate' = '0.99'")
    code, err = run(pipe)
    assert code == 0, err
    v1 = versions(es, alias)
    assert len(v1) == 1 and live(es, alias) == v1, err
    assert ids_through(es, alias) == expected_ids(first)
    # The report names every number and step.
    n_filtered = sum(1 for e in first if e["status"] == "test")
    assert f"301 events in - {n_filtered} filtered - 2 dead letters = {301 - n_filtered - 2}" in err, err
    for step in ("create", "load", "refresh", "validate", "force-merge", "restore", "swap", "retention"):
        assert re.search(rf"^  {step} +\d", err, re.M), f"no step {step}:\n{err}"
    assert "ok   sample" in err and "100 of 100 random documents" in err, err
    assert "new alias" in err

    second = events(range(1000, 1150))
    write_events(data, second)
    time.sleep(1.1)  # a new second: a plain version name (collisions are unit-tested)
    code, err = run(pipe)
    assert code == 0, err
    vs = versions(es, alias)
    assert len(vs) == 2 and vs[0] == v1[0], vs
    assert live(es, alias) == [vs[1]]
    assert ids_through(es, alias) == expected_ids(second)
    assert ids_through(es, vs[0]) == expected_ids(first)  # kept for rollback
    assert f"was {vs[0]}" in err

    # A third load with keep-versions 2: the first version goes.
    time.sleep(1.1)
    code, err = run(pipe)
    assert code == 0, err
    vs3 = versions(es, alias)
    assert vs3[:1] == [vs[1]] and len(vs3) == 2, vs3
    assert f"deleted {vs[0]}" in err


def test_failed_validation_leaves_the_alias_where_it_was(es, alias, tmp_path):
    data = tmp_path / "orders.ndjson"
    good = events(range(100))
    write_events(data, good)
    pipe = write_pipe(tmp_path, alias, data)
    code, err = run(pipe)
    assert code == 0, err
    [v1] = live(es, alias)

    # 5% negative amounts: positive_amount passes 95% < the default 99%.
    bad = events(range(100, 200), negative=set(range(100, 200, 20)))
    write_events(data, bad)
    time.sleep(1.1)
    code, err = run(pipe)
    assert code == 1, err
    assert live(es, alias) == [v1]
    assert ids_through(es, alias) == expected_ids(good)
    kept = [v for v in versions(es, alias) if v != v1]
    assert len(kept) == 1, err
    assert f"FAILED, alias '{alias}' still points to {v1}; new index {kept[0]} kept for inspection" in err, err
    assert re.search(r"FAIL +constraint +positive_amount \(orders\): 95\.00% pass \(5 of 100 violate\), minimum 99\.00%",
                     err), err
    # The kept index is searchable (settings restored) and holds what loaded.
    assert len(ids_through(es, kept[0])) == len(expected_ids(bad))

    # Per-constraint threshold lets it through; a misspelt constraint name is refused before anything is created.
    pipe_ok = write_pipe(tmp_path, alias, data, ", 'batch.min-pass-rate.positive_amount' = '0.9'", name="ok.pipe")
    pipe_typo = write_pipe(tmp_path, alias, data, ", 'batch.min-pass-rate.positive_amout' = '0.9'", name="typo.pipe")
    code, err = run(pipe_typo)
    assert code == 2 and "did you mean 'positive_amount'" in err, err
    assert len(versions(es, alias)) == 2
    time.sleep(1.1)
    code, err = run(pipe_ok)
    assert code == 0, err
    assert ids_through(es, alias) == expected_ids(bad)

    # FAIL PIPELINE: no swap; with batch.on-failure = delete the new index is gone.
    [v_live] = live(es, alias)
    before = versions(es, alias)
    pipe_fail = write_pipe(tmp_path, alias, data, ", 'batch.on-failure' = 'delete'", action="FAIL PIPELINE",
                           name="fail.pipe")
    time.sleep(1.1)
    code, err = run(pipe_fail)
    assert code == 1, err
    assert live(es, alias) == [v_live]
    assert versions(es, alias) == before, err
    assert "FAIL PIPELINE" in err and "deleted" in err, err


def test_a_concrete_index_in_the_alias_place_is_refused(es, alias, tmp_path):
    es.indices.create(index=alias)
    data = tmp_path / "orders.ndjson"
    write_events(data, events(range(10)))
    code, err = run(write_pipe(tmp_path, alias, data))
    assert code == 2, err
    assert "is a concrete index, not an alias" in err, err
    assert versions(es, alias) == []


def test_rollback_moves_the_alias_back(es, alias, tmp_path):
    data = tmp_path / "orders.ndjson"
    first, second = events(range(50)), events(range(500, 520))
    pipe = write_pipe(tmp_path, alias, data)
    write_events(data, first)
    assert run(pipe)[0] == 0
    write_events(data, second)
    time.sleep(1.1)
    assert run(pipe)[0] == 0
    v1, v2 = versions(es, alias)

    code, out, err = alias_cmd("list", alias, "--hosts", HOSTS)
    assert code == 0, err
    assert re.search(rf"^  {v1} +{len(expected_ids(first))} documents$", out, re.M), out
    assert re.search(rf"^\* {v2} +{len(expected_ids(second))} documents  \(live\)$", out, re.M), out

    code, out, err = alias_cmd("rollback", alias, "--hosts", HOSTS)
    assert code == 0, err
    assert f"alias '{alias}' -> {v1} (was {v2}; kept)" in out
    assert live(es, alias) == [v1]
    assert ids_through(es, alias) == expected_ids(first)
    assert versions(es, alias) == [v1, v2]

    code, out, err = alias_cmd("rollback", alias, "--hosts", HOSTS)
    assert code == 1 and "no older version" in err, err
    code, out, err = alias_cmd("rollback", alias, "--hosts", HOSTS, "--to", v2)  # roll forward again
    assert code == 0 and live(es, alias) == [v2], err
    code, out, err = alias_cmd("rollback", alias, "--hosts", HOSTS, "--to", "not-a-version")
    assert code == 1 and "is not a version" in err, err

    code, out, err = alias_cmd("rollback", alias + "-missing", "--hosts", HOSTS)
    assert code == 1 and "does not exist" in err, err
    code, out, err = alias_cmd("list", alias, "--hosts", "http://127.0.0.1:9")
    assert code == 2 and "cannot reach the cluster" in err, err
    code, out, err = alias_cmd("list", alias)
    assert code == 2 and "--hosts" in err, err


def test_settings_during_and_after_the_load(es, alias, tmp_path):
    data = tmp_path / "orders.ndjson"
    many = events(range(100_000))
    write_events(data, many)
    pipe = write_pipe(tmp_path, alias, data, ", 'index.replicas' = '1', 'index.refresh-interval' = '5s', "
                                             "'index.shards' = '2'")
    proc = subprocess.Popen([pipec_bin(), "run", str(pipe), "--batch", "--no-progress"], stderr=subprocess.PIPE, text=True)
    during = None
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline:
        vs = versions(es, alias)
        try:
            # Mid-load: documents indexed, none searchable yet (refresh is off).
            if vs and es.indices.stats(index=vs[0])["_all"]["primaries"].get("indexing", {}).get("index_total", 0) > 0:
                s = es.indices.get_settings(index=vs[0], flat_settings=True)[vs[0]]["settings"]
                if es.count(index=vs[0])["count"] == 0:
                    during = s
                    break
        except TransportError:
            pass  # shards still being allocated
        time.sleep(0.02)
    err = proc.communicate(timeout=180)[1]
    assert proc.returncode == 0, err
    assert during is not None, "never saw the index mid-load:\n" + err
    assert during["index.number_of_replicas"] == "0"
    assert during["index.refresh_interval"] == "-1"

    [v] = live(es, alias)
    after = es.indices.get_settings(index=v, flat_settings=True)[v]["settings"]
    assert after["index.number_of_replicas"] == "1"
    assert after["index.refresh_interval"] == "5000ms"
    assert after["index.number_of_shards"] == "2"
    segments = es.indices.segments(index=v)["indices"][v]["shards"]
    for shard, copies in segments.items():
        primary = [c for c in copies if c["routing"]["primary"]][0]
        assert primary["num_search_segments"] == 1, (shard, primary["num_search_segments"])
    assert es.count(index=alias)["count"] == len(expected_ids(many))
    # The mapping is the schema's, strict.
    mapping = es.indices.get_mapping(index=v)[v]["mappings"]
    assert mapping["dynamic"] == "strict" and set(mapping["properties"]) == {"id", "amount", "currency"}


def test_check_validates_the_batch_options(tmp_path):
    pipe = write_pipe(tmp_path, "x", tmp_path / "none.ndjson",
                      ", 'batch.min-pass-rat' = '0.9', 'batch.keep-versions' = 'two', 'batch.min-pass-rate.a' = '2'")
    p = subprocess.run([pipec_bin(), "check", "--no-color", str(pipe)], capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "did you mean 'batch.min-pass-rate'?" in out, out
    assert "expected a non-negative integer, got 'two'" in out, out
    assert "expected a fraction between 0 and 1, got '2'" in out, out


def test_batch_needs_an_elasticsearch_sink(tmp_path):
    data = tmp_path / "orders.ndjson"
    write_events(data, events(range(3)))
    pipe = tmp_path / "file.pipe"
    pipe.write_text(f"""
CREATE SOURCE orders (id BIGINT NOT NULL) WITH (connector = 'file', path = '{data}') FORMAT JSON;
CREATE SINK out WITH (connector = 'file', path = '{tmp_path / "out.ndjson"}');
CREATE PIPELINE p AS INSERT INTO out SELECT id FROM orders;
""")
    code, err = run(pipe)
    assert code == 2 and "no pipeline writes to one" in err, err
    assert not (tmp_path / "out.ndjson").exists()


def test_count_change_against_the_live_version(es, alias, tmp_path):
    data = tmp_path / "orders.ndjson"
    first = events(range(200))
    write_events(data, first)
    pipe = write_pipe(tmp_path, alias, data, ", 'batch.max-count-change' = '20%'")
    code, err = run(pipe)
    assert code == 0, err
    assert "ok   previous    no live version to compare with" in err, err
    [v1] = live(es, alias)
    n1 = len(expected_ids(first))

    # An upstream that delivered half the day: refused, the alias stays.
    half = events(range(100))
    write_events(data, half)
    time.sleep(1.1)
    code, err = run(pipe)
    assert code == 1, err
    assert live(es, alias) == [v1]
    n2 = len(expected_ids(half))
    change = (n2 - n1) / n1 * 100
    assert f"FAIL previous    {n2} documents, {n1} in the live version {v1}: -{abs(change):.2f}%, at most \u00b120.00%" \
        in err, err
    assert ids_through(es, alias) == expected_ids(first)

    # 10% more than the live version: swapped.
    more = events(range(220))
    write_events(data, more)
    time.sleep(1.1)
    code, err = run(pipe)
    assert code == 0, err
    assert live(es, alias) != [v1]
    assert re.search(r"ok   previous    \d+ documents, " + str(n1) + r" in the live version " + re.escape(v1) + r": \+", err), err
    assert ids_through(es, alias) == expected_ids(more)
