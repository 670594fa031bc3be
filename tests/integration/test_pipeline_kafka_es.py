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

from pipeline_e2e import (all_ids, committed, count, end_offsets, produce, run_until_indexed, start, wait_committed,
                          wait_count, write_pipe)

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
