"""At-least-once for windows and file sinks, through `pipec run` against the
REAL Kafka of tools/services/: kafka -> TUMBLE window -> file, SIGKILL in the
middle of the stream, restart, and no window result ever misses a record.

Events arrive over a few seconds (so offsets are committed while pipec runs);
pipec is SIGKILLed once some windows are out, then restarted on the same
group and file (a streaming run appends to its file). At the end every
(key, window) result line in the file must carry exactly the count and sum of
all the events of that window: a window may be emitted twice (its records
were re-read after the kill), but a result missing a contribution — a window
whose records' offsets were committed while it was still open — fails the test.
Takes ~20 s. Needs Kafka and OpenSearch up (tools/services/up.sh; the shared
fixtures of conftest.py create the topic).
"""

import json
import os
import random
import signal
import threading
import time
from collections import defaultdict

from pipeline_e2e import TumblingStream, start, stop, tail, window_start_ms

STREAM = TumblingStream(n=24_000, bursts=40, pause=0.2)  # 240 windows x 3 keys, produced over ~8 s


def write_pipe(tmp_path, names, out):
    pipe = tmp_path / "window.pipe"
    pipe.write_text(f"""
{STREAM.source_ddl(names)}
CREATE SINK out WITH (connector = 'file', path = '{out}', 'document.id' = 'k,window_start');
CREATE PIPELINE win WITH ('dead-letter.path' = '{tmp_path / "dlq.ndjson"}') AS INSERT INTO out
  {STREAM.QUERY}
""")
    return pipe


def results(out):
    """(k, window_start epoch ms) -> [(n, total), ...] in emission order."""
    got = defaultdict(list)
    if not os.path.exists(out):
        return got
    # Only whole lines: the file may be read while pipec writes it.
    lines = [l for l in open(out) if l.endswith("\n")]
    for source in lines[1:len(lines) - len(lines) % 2:2]:
        r = json.loads(source)
        got[(r["k"], window_start_ms(r["window_start"]))].append((r["n"], r["total"]))
    return got


def test_window_to_file_sigkill_restart_loses_no_contribution(tmp_path, make_names):
    # One partition: event time increases with the offset, so no event is late.
    names = make_names(1)
    out = tmp_path / "windows.bulk.ndjson"
    pipe = write_pipe(tmp_path, names, out)
    want = STREAM.expected()
    produced = threading.Event()
    producer = threading.Thread(target=STREAM.produce_over_time, args=(names["topic"], produced), daemon=True)
    producer.start()

    log1 = open(tmp_path / "run1.log", "w+")
    proc = start(pipe, log1)
    try:
        # Kill at a random point once some windows are out and committed.
        target = random.randint(len(want) // 8, len(want) // 3)
        deadline = time.time() + 60
        while time.time() < deadline and sum(len(v) for v in results(out).values()) < target:
            assert proc.poll() is None, tail(tmp_path / "run1.log")
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    before = results(out)
    assert 0 < len(before) < len(want), f"killed with {len(before)} of {len(want)} windows: nothing was tested"

    log2 = open(tmp_path / "run2.log", "w+")
    proc = start(pipe, log2)
    try:
        producer.join(timeout=60)
        assert produced.is_set()
        deadline = time.time() + 60
        while time.time() < deadline and not set(want) <= set(results(out)):
            assert proc.poll() is None, tail(tmp_path / "run2.log")
            time.sleep(0.2)
    finally:
        stop(proc, tmp_path / "run2.log")

    got = results(out)
    got.pop(STREAM.sentinel_window(), None)
    missing = set(want) - set(got)
    assert not missing, f"{len(missing)} windows never emitted, e.g. {sorted(missing)[:5]}"
    assert set(got) == set(want), set(got) - set(want)
    wrong = {w: (rows, want[w]) for w, rows in got.items() if any(r != want[w] for r in rows)}
    assert not wrong, f"{len(wrong)} window results miss contributions, e.g. {list(wrong.items())[:5]}"
    twice = sum(1 for rows in got.values() if len(rows) > 1)
    print(f"\nkilled after {sum(len(v) for v in before.values())} window results; "
          f"{len(want)} windows complete after the restart, {twice} emitted twice (at-least-once)")
