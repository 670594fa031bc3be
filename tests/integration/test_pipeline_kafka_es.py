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

import json
import random
import signal
import time

from pipeline_e2e import (all_ids, committed, count, end_offsets, produce, start, wait_committed, wait_count,
                          write_pipe)

N = 5000
POISON = [b'{"id": 99999991, "user": "broken', b'{"id": "not-a-number", "user": "x", "amount": 1.0, "ts": 1}',
          b'[1,2,3]']


def test_kafka_to_opensearch_sigterm(tmp_path, es, names):
    produce(names["topic"], N, POISON)
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
    ends = end_offsets(names["topic"], names["partitions"])
    assert wait_committed(names["topic"], names["group"], ends) == ends
