#!/usr/bin/env python3
"""Kafka -> pipec -> OpenSearch, end to end, against the real services of
tools/services/ (issue 4's benchmark; not a test).

Three phases over the same events (lines of bench/generate_events' output,
the records of bench/README.md):

  1. file       N events pre-produced to a fresh topic; `pipec run` of
                bench/pipelines/filter_project_constraints' query from Kafka
                into a `_bulk` file on tmpfs, bounded (the run ends at the
                partitions' high watermarks): pipec's own cost.
  2. opensearch the same query into an OpenSearch index, bounded: events/s
                end to end (pipec exits only after every document is
                acknowledged), pipec's CPU next to OpenSearch's (the server's
                JVM, from /proc/<pid>/stat, over the same interval).
  3. latency    pipec streaming into OpenSearch while a producer writes R
                events/s, twice for T seconds: first nothing else, for the
                CPU of both processes per million events at that steady rate;
                then every 50th event is a marker whose first appearance in a
                _search (i.e. searchable, after a refresh) is polled for every
                50 ms: p50/p99 of produce time to searchable (those searches
                cost OpenSearch CPU, so the CPU figures come from the first
                window).

CPU is user + system time: pipec's from wait4() (phases 1-2) or
/proc/<pid>/stat (phase 3), OpenSearch's and Kafka's from /proc/<pid>/stat
(their pids from the services' pid files). Needs the services up
(tools/services/up.sh; PIPEC_KAFKA_PORT / PIPEC_OPENSEARCH_PORT /
PIPEC_SERVICES_DIR as for the scripts) and confluent-kafka + opensearch-py.

  bench/kafka_es_bench.py                        # 1 M events, 5k/s for 30 s
  bench/kafka_es_bench.py --events 200000 --rate 2000 --latency-seconds 20
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from opensearchpy import OpenSearch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KAFKA_PORT = int(os.environ.get("PIPEC_KAFKA_PORT", "19092"))
OS_PORT = int(os.environ.get("PIPEC_OPENSEARCH_PORT", "19200"))
SERVICES_DIR = os.environ.get("PIPEC_SERVICES_DIR", os.path.join(REPO, ".services"))
BOOTSTRAP = f"127.0.0.1:{KAFKA_PORT}"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The schema of bench/pipelines/events_source.pipe, read from Kafka.
SOURCE_COLUMNS = open(os.path.join(REPO, "bench", "pipelines", "events_source.pipe")).read()
SOURCE_COLUMNS = SOURCE_COLUMNS[SOURCE_COLUMNS.index("CREATE SOURCE events (") + 22:SOURCE_COLUMNS.index(") WITH")]

QUERY = """
  SELECT order_id, customer_id, amount, currency, status, device.os AS os, ts
  FROM events
  WHERE event_type = 'order' AND status <> 'cancelled'
  CONSTRAINT has_customer    EXPECT (customer_id IS NOT NULL)                        ON VIOLATION WARN
  CONSTRAINT known_currency  EXPECT (currency IN ('EUR', 'USD', 'GBP', 'CHF', 'JPY')) ON VIOLATION DROP ROW
  CONSTRAINT positive_amount EXPECT (amount >= 0)                                    ON VIOLATION DEAD LETTER;
"""


def pipe_text(topic, group, sink, bounded, dlq):
    stop = f",\n  'scan.stop.timestamp-millis' = '{int(time.time() * 1000) + 86_400_000}'" if bounded else ""
    return f"""
CREATE SOURCE events ({SOURCE_COLUMNS}) WITH (
  connector = 'kafka',
  topic = '{topic}',
  'properties.bootstrap.servers' = '{BOOTSTRAP}',
  'properties.group.id' = '{group}',
  'scan.startup.mode' = 'earliest'{stop}
) FORMAT JSON;

{sink}

CREATE PIPELINE kafka_bench WITH ('dead-letter.path' = '{dlq}')
AS INSERT INTO out
{QUERY}"""


def file_sink(path):
    return f"""CREATE SINK out WITH (
  connector = 'file', path = '{path}', index = 'orders-{{ts|yyyy.MM.dd}}', 'document.id' = 'order_id');"""


def os_sink(index, extra=()):
    more = "".join(f",\n  '{k}' = '{v}'" for k, v in (o.split("=", 1) for o in extra))
    return f"""CREATE SINK out WITH (
  connector = 'opensearch',
  hosts = 'http://127.0.0.1:{OS_PORT}',
  index = '{index}',
  'document.id' = 'order_id',
  'index.replicas' = '0',
  'bulk.flush-interval' = '200ms'{more}
);"""


def service_pid(name):
    for path in [os.path.join(SERVICES_DIR, name, f"{name}.pid"), os.path.join(SERVICES_DIR, f"{name}.pid")]:
        if os.path.exists(path):
            return int(open(path).read().split()[0])
    out = subprocess.run(["pgrep", "-f", f"pipec-{name}"], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def cpu_seconds(pid):
    """user + system seconds of a live process (0 when it is gone)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, TypeError):
        return 0.0


class CpuMeter:
    def __init__(self, pids):
        self.pids = {k: v for k, v in pids.items() if v}
        self.start = {k: cpu_seconds(p) for k, p in self.pids.items()}

    def used(self):
        return {k: cpu_seconds(p) - self.start[k] for k, p in self.pids.items()}


def wait_quiet(pids, cores=0.1, window=2.0, limit=120.0):
    """Waits until the services use less than `cores` together over `window`
    seconds (at most `limit` s): merges and collections left over from an
    earlier phase are not charged to the next. Returns (seconds waited, cores
    in the last window)."""
    t0 = time.time()
    while True:
        m = CpuMeter(pids)
        time.sleep(window)
        used = sum(m.used().values()) / window
        if used < cores or time.time() - t0 > limit:
            return round(time.time() - t0, 1), round(used, 3)


def read_events(path, n):
    lines = []
    with open(path, "rb") as f:
        for line in f:
            lines.append(line.rstrip(b"\n"))
            if len(lines) == n:
                break
    if len(lines) < n:
        sys.exit(f"kafka_es_bench: {path} has only {len(lines)} events, want {n}")
    return lines


def send(producer, topic, value):
    """produce(), waiting for room while librdkafka's queue is full."""
    while True:
        try:
            producer.produce(topic, value=value)
            return
        except BufferError:
            producer.poll(0.01)


def as_marker(line, order_id):
    """An event of `line` that passes the benchmark query, under `order_id`."""
    ev = json.loads(line)
    ev.update({"order_id": order_id, "event_type": "order", "status": "paid", "currency": "EUR", "amount": 1.0,
               "customer_id": "c"})
    # The generator's unparsable timestamps ("yesterday 10:15", 0.02 % of the
    # events) would make a dead letter of the marker, never searchable.
    if isinstance(ev.get("ts"), str) and not ev["ts"][:4].isdigit():
        ev["ts"] = "2024-01-01T00:00:00.000Z"
    return json.dumps(ev).encode()


def produce(topic, lines, compression):
    p = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 20, "batch.size": 1 << 20,
                  "queue.buffering.max.messages": 1_000_000, "compression.type": compression})
    t0 = time.time()
    for i, v in enumerate(lines):
        send(p, topic, v)
        if i % 10000 == 0:
            p.poll(0)
    if p.flush(300) != 0:
        sys.exit("kafka_es_bench: the producer could not deliver every event")
    return time.time() - t0


def produce_paced(producer, topic, lines, rate, total, marker=lambda i: None):
    """Produces `total` events at `rate`; marker(i) names the i-th event a
    marker (its order_id) or returns None. Returns (sent, seconds)."""
    t0 = time.time()
    interval = 1.0 / rate
    for i in range(total):
        delay = t0 + i * interval - time.time()
        if delay > 0:
            time.sleep(delay)
        m = marker(i)
        send(producer, topic, as_marker(lines[i % len(lines)], m) if m else lines[i % len(lines)])
        if i % 1000 == 0:
            producer.poll(0)
    producer.flush(60)
    return total, time.time() - t0


def run_handwritten(hand, topic, group, work, pids, seconds=None):
    """bench/handwritten_baseline reading `topic` (the practical limit of Kafka
    in, `_bulk` out with librdkafka 2.0.2, no HTTP); bounded, or streaming for
    `seconds`. Returns the process and a CpuMeter started now."""
    cmd = [hand, "--kafka", BOOTSTRAP, "--topic", topic, "--group", group, "--out", os.path.join(work, "hand.bulk"),
           "--dlq", os.path.join(work, "hand.dlq")] + (["--seconds", str(seconds)] if seconds else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=work)
    return proc, CpuMeter(pids)


def handwritten_stream_phase(args, lines, work, pids):
    """The hand-written program streaming at args.rate, for the CPU a minimal
    librdkafka consumer with the same query spends at that rate."""
    tag = uuid.uuid4().hex[:8]
    topic, group = f"bench-hand-{tag}", f"bench-hand-{tag}"
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    admin.create_topics([NewTopic(topic, num_partitions=args.partitions, replication_factor=1)])[topic].result(60)
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5})
    proc, _ = run_handwritten(args.handwritten, topic, group, work, {}, seconds=args.latency_seconds + 300)
    try:
        # Up once the group committed the probe event (commits every second).
        send(producer, topic, lines[0])
        producer.flush(30)
        probe = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": group})
        deadline = time.time() + 120
        while sum(max(tp.offset, 0) for tp in probe.committed(
                [TopicPartition(topic, p) for p in range(args.partitions)], timeout=10)) < 1:
            if time.time() > deadline or proc.poll() is not None:
                sys.exit("kafka_es_bench: the hand-written program did not consume the probe event:\n"
                         + proc.stderr.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)
        probe.close()
        quiet = wait_quiet(pids)
        meter = CpuMeter({"handwritten": proc.pid, **pids})
        sent, produce_s = produce_paced(producer, topic, lines, args.rate, int(args.rate * args.latency_seconds))
        time.sleep(2)
        used = meter.used()
    finally:
        proc.kill()
        proc.wait()
        admin.delete_topics([topic])
    return {"rate_target": args.rate, "events": sent, "produce_s": produce_s, "cpu_s": used,
            "cpu_s_per_m_events": {k: v / sent * 1e6 for k, v in used.items()},
            "quiet_before": {"waited_s": quiet[0], "services_cores": quiet[1]}}


def run_bounded(pipec, pipe_path, summary_path, meter):
    t0 = time.time()
    # Peak RSS through GNU time: wait4()'s ru_maxrss of a child forked from
    # this Python process (which holds the events in memory) counts our pages.
    proc = subprocess.Popen(["/usr/bin/time", "-f", "PEAK_RSS_KB=%M", pipec, "run", "--no-progress", "--summary-json",
                             summary_path, pipe_path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=os.path.dirname(pipe_path))
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.time() - t0
    used = meter.used()
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"kafka_es_bench: pipec failed ({status}):\n{err[-3000:]}")
    peak_kb = int(err.rsplit("PEAK_RSS_KB=", 1)[1].split()[0])
    summary = json.load(open(summary_path))["pipelines"][0]
    return {"wall_s": wall, "pipec_cpu_s": ru.ru_utime + ru.ru_stime, "pipec_peak_rss_mib": peak_kb / 1024,
            "events_in": summary["events_in"], "events_out": summary["events_out"],
            "dead_letters": summary["dead_letters"]["total"], "others_cpu_s": used}


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


def latency_phase(args, es, lines, work, pids):
    """Streaming pipec; a paced producer; marker documents polled until searchable."""
    tag = uuid.uuid4().hex[:8]
    topic, index = f"bench-lat-{tag}", f"bench-lat-{tag}"
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    admin.create_topics([NewTopic(topic, num_partitions=args.partitions, replication_factor=1)])[topic].result(60)
    pipe = os.path.join(work, "latency.pipe")
    open(pipe, "w").write(pipe_text(topic, f"bench-lat-{tag}", os_sink(index, args.sink_option), False, os.path.join(work, "lat.dlq")))
    log = open(os.path.join(work, "latency.log"), "w+")
    proc = subprocess.Popen([args.pipec, "run", "--no-progress", pipe], stdout=log, stderr=subprocess.STDOUT, cwd=work)
    # Markers: events that pass the query (so they become documents), by
    # order_id (the _id is its hash, see docs on document ids).
    markers = {}
    outstanding = {}
    lock = threading.Lock()
    latencies = []
    done = threading.Event()

    def poll_searchable():
        while not done.is_set() or outstanding:
            with lock:
                ids = list(outstanding)[:1000]
            if ids:
                try:
                    hits = es.search(index=index, body={"query": {"terms": {"order_id": ids}}, "_source": ["order_id"],
                                                        "size": len(ids)}, request_timeout=30)["hits"]["hits"]
                except Exception:
                    hits = []
                now = time.time()
                with lock:
                    for h in hits:
                        t = outstanding.pop(h["_source"]["order_id"], None)
                        if t is not None:
                            latencies.append(now - t)
            if done.is_set() and time.time() > done_deadline[0]:
                break
            time.sleep(0.05)

    done_deadline = [float("inf")]
    poller = threading.Thread(target=poll_searchable, daemon=True)
    # pipec is up when it joined the group: wait for it on a probe event.
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5})
    probe_id = f"probe-{tag}"
    send(producer, topic, as_marker(lines[0], probe_id))
    producer.flush(30)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if es.count(index=index, body={"query": {"term": {"order_id": probe_id}}})["count"]:
                break
        except Exception:
            pass
        if proc.poll() is not None:
            sys.exit("kafka_es_bench: pipec exited in the latency phase:\n" + open(log.name).read()[-3000:])
        time.sleep(0.2)
    else:
        sys.exit("kafka_es_bench: pipec did not index the probe event within 120 s")

    total = int(args.rate * args.latency_seconds)

    def paced(with_markers):
        def marker(i):
            if not with_markers or i % 50:
                return None
            m = f"m-{tag}-{i}"
            with lock:
                outstanding[m] = time.time()
                markers[m] = True
            return m
        return produce_paced(producer, topic, lines, args.rate, total, marker)

    # Window 1, CPU: nothing but the stream (the latency window's _search
    # polls cost OpenSearch CPU too, which would flatter pipec's share).
    quiet = wait_quiet(pids)
    meter = CpuMeter({"pipec": proc.pid, **pids})
    cpu_sent, _ = paced(False)
    time.sleep(2)  # what was produced last gets indexed
    cpu_used = meter.used()
    # Window 2, latency: markers polled until searchable.
    meter = CpuMeter({"pipec": proc.pid, **pids})
    poller.start()
    sent, produce_s = paced(True)
    done_deadline[0] = time.time() + 30
    done.set()
    poller.join(timeout=60)
    used = meter.used()
    peak_rss_mib = None
    try:
        peak_rss_mib = int(next(l for l in open(f"/proc/{proc.pid}/status") if l.startswith("VmHWM:")).split()[1]) / 1024
    except (OSError, StopIteration):
        pass
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
    latencies.sort()
    try:
        es.indices.delete(index=index, ignore=[404])
        admin.delete_topics([topic])
    except Exception:
        pass
    return {"rate_target": args.rate, "events": sent, "produce_s": produce_s, "markers": len(markers),
            "markers_seen": len(latencies), "pipec_peak_rss_mib": peak_rss_mib, "p50_ms": 1000 * percentile(latencies, 0.50),
            "p99_ms": 1000 * percentile(latencies, 0.99), "max_ms": 1000 * latencies[-1] if latencies else None,
            "cpu_events": cpu_sent, "cpu_s": cpu_used, "cpu_s_with_searches": used,
            "quiet_before": {"waited_s": quiet[0], "services_cores": quiet[1]}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--rate", type=float, default=5000, help="events/s of the latency phase")
    ap.add_argument("--latency-seconds", type=float, default=30)
    ap.add_argument("--data", help="NDJSON events (default: build-bench/bench-data/events-1000000.ndjson, "
                                   "generated with build*/generate_events when missing)")
    ap.add_argument("--pipec", default=None)
    ap.add_argument("--results", default=None, help="JSON results file (default bench/results/kafka-es-<date>.json)")
    ap.add_argument("--sink-option", action="append", default=[], metavar="KEY=VALUE",
                    help="an extra OpenSearch sink option, e.g. bulk.gzip=true (repeatable)")
    ap.add_argument("--compression", default="lz4", choices=["none", "gzip", "snappy", "lz4", "zstd"],
                    help="the producer's compression.type for the pre-produced topic (default lz4; "
                         "none is the Kafka producers' own default)")
    ap.add_argument("--handwritten", default=None,
                    help="bench/handwritten_baseline(_native) for the phases handwritten and handwritten-stream "
                         "(default: build-bench/bench/handwritten_baseline_native when built)")
    ap.add_argument("--skip", default="",
                    help="comma list of phases to skip: file,opensearch,latency,handwritten,handwritten-stream")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    args.pipec = args.pipec or next((p for p in [os.path.join(REPO, d, "pipec") for d in ("build-bench", "build")]
                                     if os.path.exists(p)), None)
    if not args.pipec:
        sys.exit("kafka_es_bench: build pipec first (tools/build.sh)")
    args.pipec = os.path.abspath(args.pipec)  # pipec runs in a work directory
    args.handwritten = args.handwritten or next(
        (p for p in [os.path.join(REPO, d, "bench", "handwritten_baseline_native") for d in ("build-bench", "build")]
         if os.path.exists(p)), None)
    if args.handwritten:
        args.handwritten = os.path.abspath(args.handwritten)
    else:
        skip |= {"handwritten", "handwritten-stream"}
    data = args.data or os.path.join(REPO, "build-bench", "bench-data", "events-1000000.ndjson")
    if not os.path.exists(data):
        gen = next((os.path.join(REPO, d, "bench", "generate_events") for d in ("build-bench", "build")
                    if os.path.exists(os.path.join(REPO, d, "bench", "generate_events"))), None)
        if not gen:
            sys.exit(f"kafka_es_bench: no {data} and no generate_events built")
        os.makedirs(os.path.dirname(data), exist_ok=True)
        subprocess.run([gen, "--events", str(max(args.events, 1_000_000)), "--seed", "42", "--out", data], check=True)

    es = OpenSearch(hosts=[{"host": "127.0.0.1", "port": OS_PORT}], timeout=120)
    es.cluster.health(wait_for_status="yellow", request_timeout=120)
    pids = {"opensearch": service_pid("opensearch"), "kafka": service_pid("kafka")}
    lines = read_events(data, args.events)
    in_bytes = sum(len(l) + 1 for l in lines)
    work = tempfile.mkdtemp(prefix="pipec-kafka-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    tag = uuid.uuid4().hex[:8]
    topic = f"bench-{tag}"
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    admin.create_topics([NewTopic(topic, num_partitions=args.partitions, replication_factor=1)])[topic].result(60)
    res = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "events": args.events,
           "sink_options": args.sink_option, "compression": args.compression,
           "input_bytes": in_bytes, "partitions": args.partitions, "pipec": args.pipec,
           "git": subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip(),
           "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
           "loadavg_start": os.getloadavg(), "phases": {}}
    print(f"producing {args.events:,} events ({in_bytes / 1e6:.0f} MB, compression {args.compression}) to {topic} ...",
          flush=True)
    res["produce_s"] = produce(topic, lines, args.compression)
    print(f"  {res['produce_s']:.1f} s", flush=True)

    index = f"bench-{tag}"
    try:
        for phase in ("file", "opensearch"):
            if phase in skip:
                continue
            pipe = os.path.join(work, f"{phase}.pipe")
            sink = file_sink(os.path.join(work, "out.bulk")) if phase == "file" else os_sink(index, args.sink_option)
            open(pipe, "w").write(pipe_text(topic, f"bench-{phase}-{tag}", sink, True,
                                            os.path.join(work, f"{phase}.dlq")))
            quiet = wait_quiet(pids)
            r = run_bounded(args.pipec, pipe, os.path.join(work, f"{phase}.summary.json"), CpuMeter(pids))
            r["quiet_before"] = {"waited_s": quiet[0], "services_cores": quiet[1]}
            if phase == "opensearch":
                es.indices.refresh(index=index)
                r["indexed"] = es.count(index=index)["count"]
                if r["indexed"] != r["events_out"]:
                    print(f"  WARNING: {r['indexed']} documents in the index, pipec wrote {r['events_out']}")
            r["events_per_s"] = r["events_in"] / r["wall_s"]
            r["pipec_cpu_s_per_m_events"] = r["pipec_cpu_s"] / r["events_in"] * 1e6
            if phase == "opensearch" and r["others_cpu_s"].get("opensearch", 0) > 0:
                r["pipec_over_opensearch_cpu"] = r["pipec_cpu_s"] / r["others_cpu_s"]["opensearch"]
            res["phases"][phase] = r
            print(f"{phase:>10}: {r['events_in']:,} events in, {r['events_out']:,} documents, {r['wall_s']:.1f} s, "
                  f"{r['events_per_s']:,.0f} events/s; pipec CPU {r['pipec_cpu_s']:.2f} s "
                  f"({r['pipec_cpu_s_per_m_events']:.2f} s per M events), peak RSS {r['pipec_peak_rss_mib']:.0f} MiB; "
                  + ", ".join(f"{k} CPU {v:.2f} s" for k, v in r["others_cpu_s"].items()), flush=True)
        if "handwritten" not in skip:
            quiet = wait_quiet(pids)
            t0 = time.time()
            proc, meter = run_handwritten(args.handwritten, topic, f"bench-hand-{tag}", work, pids)
            _, status, ru = os.wait4(proc.pid, 0)
            err = proc.stderr.read().decode(errors="replace")
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"kafka_es_bench: the hand-written program failed ({status}):\n{err[-3000:]}")
            r = {"wall_s": time.time() - t0, "cpu_s": ru.ru_utime + ru.ru_stime, "others_cpu_s": meter.used(),
                 "report": err.strip().splitlines()[-1], "quiet_before": {"waited_s": quiet[0], "services_cores": quiet[1]}}
            r["cpu_s_per_m_events"] = r["cpu_s"] / args.events * 1e6
            res["phases"]["handwritten"] = r
            print(f"handwritten: Kafka -> file, CPU {r['cpu_s']:.2f} s ({r['cpu_s_per_m_events']:.2f} s per M events), "
                  f"{r['wall_s']:.1f} s; {r['report']}", flush=True)
        if "handwritten-stream" not in skip:
            r = handwritten_stream_phase(args, lines, work, pids)
            res["phases"]["handwritten-stream"] = r
            print(f"handwritten-stream: {r['events']:,} events at {args.rate:,.0f}/s; CPU per M events: "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in r["cpu_s_per_m_events"].items()), flush=True)
        if "latency" not in skip:
            r = latency_phase(args, es, lines, work, pids)
            m = r["cpu_events"] / 1e6
            r["cpu_s_per_m_events"] = {k: v / m for k, v in r["cpu_s"].items()}
            if r["cpu_s"].get("opensearch"):
                r["pipec_over_opensearch_cpu"] = r["cpu_s"]["pipec"] / r["cpu_s"]["opensearch"]
            res["phases"]["latency"] = r
            print(f"   latency: {r['events']:,} events at {args.rate:,.0f}/s ({r['produce_s']:.1f} s), "
                  f"{r['markers_seen']}/{r['markers']} markers searchable: p50 {r['p50_ms']:.0f} ms, "
                  f"p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms; pipec peak RSS {r['pipec_peak_rss_mib']:.0f} MiB; "
                  "CPU per M events: "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in r["cpu_s_per_m_events"].items()), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the outputs on tmpfs: ~150 MB per run
        try:
            es.indices.delete(index=index, ignore=[404])
            admin.delete_topics([topic])
        except Exception:
            pass
    res["loadavg_end"] = os.getloadavg()
    out = args.results or os.path.join(REPO, "bench", "results", f"kafka-es-{datetime.date.today()}.json")
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"results: {out}")


if __name__ == "__main__":
    main()
