#!/usr/bin/env python3
"""pipec benchmark runner (see bench/README.md). Not a timed test: it measures
and reports; targets are printed next to the figures, never asserted.

    bench/run_bench.py [--events N] [--quick] [--repeats R] [--wait-idle S] ...

Steps:
  1. builds pipec and the bench programs in build-bench/ (--no-build skips);
  2. generates the events once per (N, seed) into build-bench/bench-data/
     (cached; the repository's .gitignore already ignores /build*/);
  3. runs each pipeline of bench/pipelines/ with `taskset -c 0` (one core),
     JIT and --no-jit: input MB/s, events/s, CPU time, peak RSS; compile
     time cold (empty PIPEC_CACHE_DIR) and cached (second run) on a small
     input;
  4. runs the hand-written baseline (default and -march=native builds) on
     the same data and compares its output with pipec's using cmp;
  5. runs DuckDB and chDB (bench/peers.py) on one thread under taskset, and
     with their defaults (all cores) for reference;
  6. checks that peak RSS is flat in input size: pass-through on 1 M and N
     events (100 k and N with --quick);
  7. prints a table and writes bench/results/<date>.json.

Other engineers compile on this machine: before each measurement the runner
waits (up to --wait-idle seconds) until no compiler (cc1plus) runs, and
records the load average and the number of compilers next to each figure.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build-bench"
DATA = BUILD / "bench-data"
OUT = BUILD / "bench-out"  # replaced by --out-dir (default: tmpfs when it has room)
PIPES = ROOT / "bench" / "pipelines"
RESULTS = ROOT / "bench" / "results"

SOURCE = "events"
# pipeline (= file stem) -> its sink
PIPELINES = {
    "passthrough": "passthrough_out",
    "projection": "projection_out",
    "filter_project_constraints": "orders_out",
    "string_hash_heavy": "strings_out",
}
TARGETS = {
    "vs_handwritten": 1.0,   # pipec >= 1.0x the hand-written program
    "vs_peers_per_core": 5.0,  # >= 5x DuckDB and chDB per core
    "compile_cold_ms": 50.0,
    "compile_cached_ms": 5.0,
}


# ------------------------------------------------------------------ machine

def compilers_running():
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm.startswith(("cc1", "clang")) or comm in ("ld", "ld.gold", "ld.lld", "lld", "collect2"):
            n += 1
    return n


def busy_seconds():
    """CPU seconds spent by the whole machine (all cores, everything but idle and iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def load():
    return {"loadavg": [round(x, 2) for x in os.getloadavg()], "compilers": compilers_running()}


def others_busy(window=2.0):
    """Cores' worth of CPU the rest of the machine uses now (we are idle meanwhile)."""
    b0 = busy_seconds()
    time.sleep(window)
    return (busy_seconds() - b0) / window


IDLE_CORES = 0.25  # the rest of the machine counts as idle below this


def warm(path):
    """Reads a file so that it is in the page cache: a run must not pay for the
    disk (the machine's page cache is sometimes dropped between runs)."""
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(16 << 20)
        while f.readinto(buf):
            pass


def wait_idle(max_wait, quiet=False):
    """Waits until no compiler runs and the rest of the machine uses less than
    IDLE_CORES (up to max_wait seconds); returns the load seen."""
    deadline = time.time() + max_wait
    announced = False
    while True:
        busy = others_busy(1.0)
        cc = compilers_running()
        if (cc == 0 and busy < IDLE_CORES) or time.time() >= deadline:
            break
        if not announced and not quiet:
            print(f"  waiting for an idle machine (compilers {cc}, others {busy:.2f} cores; up to {max_wait:.0f} s) ...",
                  flush=True)
            announced = True
        time.sleep(4)
    ld = load()
    ld["others_before"] = round(busy, 2)
    return ld


def repeated(args, n, fn):
    """n runs of fn() that were not disturbed (others_cores < IDLE_CORES), or
    the best of at most 2n runs when the machine stays busy."""
    runs = []
    for _ in range(2 * n):
        runs.append(fn())
        if sum(1 for r in runs if r["others_cores"] < IDLE_CORES) >= n:
            break
    quiet = [r for r in runs if r["others_cores"] < IDLE_CORES]
    return quiet if len(quiet) >= n else runs


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mib": mem, "kernel": platform.release(),
            "simd": sorted(flags & {"sse4_2", "avx2", "avx512f", "avx512bw", "bmi2", "pclmulqdq"}),
            "python": platform.python_version()}


# ------------------------------------------------------------------ processes

GNU_TIME = "/usr/bin/time"


def measure(cmd, env=None, core=0, stdout_path=None):
    """Runs cmd (pinned to `core` unless None); wall, CPU and peak RSS of the child.

    Peak RSS comes from GNU time when it is installed: the ru_maxrss that
    wait4() reports for a child forked from this Python process includes the
    parent's RSS at fork time (32 MiB here, more than the baseline's 13 MiB)."""
    if core is not None:
        cmd = ["taskset", "-c", str(core)] + cmd
    rss_file = None
    if os.access(GNU_TIME, os.X_OK):
        fd, rss_file = tempfile.mkstemp(prefix="pipec-bench-rss-")
        os.close(fd)
        cmd = [GNU_TIME, "-f", "%M", "-o", rss_file] + cmd
    with tempfile.TemporaryFile() as err, (open(stdout_path, "wb") if stdout_path else tempfile.TemporaryFile()) as out:
        b0 = busy_seconds()
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        # CPU that other processes used on the machine meanwhile, in cores.
        others = max(0.0, busy_seconds() - b0 - ru.ru_utime - ru.ru_stime) / wall
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        stdout = ""
        if not stdout_path:
            out.seek(0)
            stdout = out.read().decode(errors="replace")
    rss_mib = ru.ru_maxrss / 1024
    if rss_file:
        try:
            lines = open(rss_file).read().split()
            rss_mib = int(lines[-1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
        os.unlink(rss_file)
    return {"cmd": cmd, "rc": p.returncode, "wall_s": wall, "others_cores": others, "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
            "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_mib": rss_mib, "stderr": stderr,
            "stdout": stdout}


def check(r, what):
    if r["rc"] != 0:
        sys.exit(f"run_bench: {what} failed (exit {r['rc']}):\n  {' '.join(map(str, r['cmd']))}\n{r['stderr'][-4000:]}")
    return r


def best_of(runs):
    """Figures of a repeated measurement: best and median wall, CPU of the best."""
    walls = [r["wall_s"] for r in runs]
    best = min(runs, key=lambda r: r["wall_s"])
    return {"wall_s": best["wall_s"], "wall_median_s": statistics.median(walls), "walls_s": walls,
            "others_cores": best["others_cores"], "cpus_s": [r["cpu_s"] for r in runs],
            "cpu_s": best["cpu_s"], "user_s": best["user_s"], "sys_s": best["sys_s"],
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs), "load": [r.get("load") for r in runs]}


# ------------------------------------------------------------------ steps

def build(args):
    targets = ["pipec", "generate_events", "handwritten_baseline", "handwritten_baseline_native"]
    if not (BUILD / "build.ninja").exists():
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(BUILD), "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=Release"], check=True)
    print(f"building {' '.join(targets)} in {BUILD} ...", flush=True)
    subprocess.run(["ninja", "-C", str(BUILD), "-j", str(args.jobs)] + targets, check=True)


def dataset(n, seed):
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / (f"events-{n}.ndjson" if seed == 42 else f"events-{n}-seed{seed}.ndjson")
    stats = path.with_suffix(".stats.json")
    if path.exists() and stats.exists():
        return path, json.loads(stats.read_text())
    print(f"generating {n:,} events (seed {seed}) -> {path} ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run([str(BUILD / "bench" / "generate_events"), "--events", str(n), "--seed", str(seed),
                    "--out", str(path), "--stats-json", str(stats)], check=True)
    print(f"  {time.perf_counter() - t0:.1f} s", flush=True)
    return path, json.loads(stats.read_text())


def default_out_dir():
    """tmpfs keeps disk writeback (noise unrelated to pipec) out of the figures."""
    shm = Path("/dev/shm")
    if shm.is_dir():
        st = os.statvfs(shm)
        if st.f_bavail * st.f_frsize > 8 << 30:
            return shm / "pipec-bench"
    return BUILD / "bench-out"


def small_input(src, lines=1000):
    path = DATA / f"events-small-{lines}.ndjson"
    if not path.exists():
        with open(src, "rb") as f, open(path, "wb") as o:
            for i, line in enumerate(f):
                if i >= lines:
                    break
                o.write(line)
    return path


ENGINE_FLAGS = {"jit": [], "interpreter": ["--no-jit"], "kernels": ["--engine", "kernels"]}


def pipec_cmd(pipeline, data, out_dir, engine="jit", summary=None):
    sink = PIPELINES[pipeline]
    cmd = [str(BUILD / "pipec"), "run", str(PIPES / f"{pipeline}.pipe"), "--no-progress",
           "--set", f"{SOURCE}.path={data}",
           "--set", f"{sink}.path={out_dir / (pipeline + '.bulk.ndjson')}",
           "--set", f"{pipeline}.dead-letter.path={out_dir / (pipeline + '.dlq.ndjson')}"]
    if summary:
        cmd += ["--summary-json", str(summary)]
    return cmd + ENGINE_FLAGS[engine]


def label_of(pipeline, engine):
    return pipeline + ("" if engine == "jit" else " --no-jit" if engine == "interpreter" else f" --engine {engine}")


def run_pipec(pipeline, data, engine, args, cache_dir, core=0):
    """core=None: unpinned, so pipec may decode on a second core (ReadAheadSource)."""
    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PIPEC_CACHE_DIR=str(cache_dir))
    summary_path = OUT / f"{pipeline}.summary.json"

    def once():
        warm(data)
        ld = wait_idle(args.wait_idle)
        r = check(measure(pipec_cmd(pipeline, data, OUT, engine, summary_path), env=env, core=core),
                  f"pipec run {pipeline}")
        r["load"] = ld
        r["summary"] = json.loads(summary_path.read_text())
        return r
    runs = repeated(args, args.repeats, once)
    res = best_of(runs)
    s = runs[0]["summary"]
    p = s["pipelines"][0]
    res.update({"engine": s.get("engine"), "events_in": p["events_in"], "events_out": p["events_out"],
                "bytes_read": p["bytes_read"], "dead_letters": p["dead_letters"]["total"],
                "compile_ms_reported": [r["summary"]["pipelines"][0]["timing"].get("compile_ms") for r in runs]})
    return res


# Every example pipeline of the repository: (file, --set options). The
# quickstart runs without servers (its outputs redirected by compile_times());
# the others need Kafka or OpenSearch, so they are compiled with
# `pipec run --compile-only`, which stops before any source or sink.
EXAMPLES = {
    "examples/quickstart": ("examples/quickstart/quickstart.pipe",
                            ["orders_bulk.path={out}/quickstart.bulk.ndjson",
                             "quickstart.dead-letter.path={out}/quickstart.dlq.ndjson"]),
    "examples/daily_load": ("examples/daily_load/daily_orders.pipe", None),
    "examples/enrichment": ("examples/enrichment/orders_with_customers.pipe", None),
    "examples/metrics": ("examples/metrics/revenue_per_minute.pipe", None),
    "examples/orders_es": ("examples/orders_es/orders_es.pipe", None),
}


def compile_times(name, cmd_for, args, repeats=5):
    """pipec's compile_ms cold (fresh PIPEC_CACHE_DIR) and cached (a second run
    with the same directory), `repeats` times each, on a small input."""
    out = OUT / "compile"
    out.mkdir(parents=True, exist_ok=True)
    runs = {"cold": [], "cached": []}
    engine = None
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="pipec-cache-") as cache:
            env = dict(os.environ, PIPEC_CACHE_DIR=cache)
            for label in ("cold", "cached"):
                summary = out / f"{name.replace('/', '_')}.{label}.summary.json"
                ld = wait_idle(args.wait_idle, quiet=True)
                r = check(measure(cmd_for(out, summary), env=env), f"pipec run {name} ({label})")
                s = json.loads(summary.read_text())
                engine = s.get("engine")
                compile_ms = s["compile_ms"] if "compile_ms" in s else s["pipelines"][0]["timing"].get("compile_ms")
                runs[label].append({"compile_ms": compile_ms or 0.0,
                                    "process_wall_ms": r["wall_s"] * 1000, "others_cores": r["others_cores"],
                                    "load": ld, "cache_files": len(os.listdir(cache))})
    res = {"engine": engine}
    for label, rs in runs.items():
        ms = [x["compile_ms"] for x in rs]
        res[label] = {"compile_ms": statistics.median(ms), "compile_ms_max": max(ms), "compile_ms_all": ms,
                      "process_wall_ms": statistics.median(x["process_wall_ms"] for x in rs), "runs": rs}
    return res


def pipeline_compile_cmd(pipeline, small):
    return lambda out, summary: pipec_cmd(pipeline, small, out, summary=summary)


def example_compile_cmd(name):
    path, sets = EXAMPLES[name]
    def cmd(out, summary):
        c = [str(BUILD / "pipec"), "run", str(ROOT / path), "--no-progress", "--summary-json", str(summary)]
        if sets is None:
            return c + ["--compile-only"]
        for s in sets:
            c += ["--set", s.format(out=out)]
        return c
    return cmd


def run_baseline(binary, data, args):
    out = OUT / f"{binary}.bulk.ndjson"

    def once():
        warm(data)
        ld = wait_idle(args.wait_idle)
        r = check(measure([str(BUILD / "bench" / binary), "--in", str(data), "--out", str(out),
                           "--dlq", str(OUT / f"{binary}.dlq.ndjson")]), binary)
        r["load"] = ld
        return r
    runs = repeated(args, args.repeats, once)
    res = best_of(runs)
    res["stderr"] = runs[0]["stderr"].strip()
    res["output"] = str(out)
    return res


def run_peer(engine, data, threads, args):
    out = OUT / f"{engine}-t{threads}.json"

    def once():
        warm(data)
        ld = wait_idle(args.wait_idle)
        r = measure([sys.executable, str(ROOT / "bench" / "peers.py"), "--engine", engine,
                     "--input", str(data), "--out", str(out), "--threads", str(threads)],
                    core=0 if threads == 1 else None)
        if r["rc"] != 0:
            raise PeerFailed(r["stderr"].strip().splitlines()[-1] if r["stderr"].strip() else f"exit {r['rc']}")
        r["load"] = ld
        r["peer"] = json.loads(r["stdout"].strip().splitlines()[-1])
        return r
    runs = repeated(args, args.peer_repeats, once)
    best = min(runs, key=lambda r: r["peer"]["seconds"])
    res = best_of(runs)
    res.update({"query_s": best["peer"]["seconds"], "query_s_all": [r["peer"]["seconds"] for r in runs],
                "query_cpu_s": best["peer"]["cpu_seconds"], "process_cpu_s": best["cpu_s"],
                "rows": best["peer"]["rows"], "version": best["peer"]["version"], "note": best["peer"].get("note"),
                "threads": threads, "setup_s": best["peer"]["setup_seconds"]})
    return res


class PeerFailed(Exception):
    pass


def cmp(a, b):
    r = subprocess.run(["cmp", str(a), str(b)], capture_output=True, text=True)
    return {"identical": r.returncode == 0, "cmp": (r.stdout + r.stderr).strip()}


# ------------------------------------------------------------------ report

def mb(x):
    return x / 1e6


def fmt_row(cols, widths):
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cols, widths)))


def report(res):
    n = res["events"]
    size = res["input_bytes"]
    lines = []
    lines.append(f"\npipec benchmark, {n:,} events, {mb(size):,.0f} MB input, {res['date']} on {res['machine']['cpu']} "
                 f"({res['machine']['cores']} cores); one core (taskset -c 0) unless noted\n")
    hdr = ["run", "engine", "wall s", "MB/s", "events/s", "cpu s", "MB/s/cpu", "RSS MiB", "others", "load1", "cc"]
    widths = [46, 17, 6, 5, 9, 6, 8, 7, 6, 5, 2]
    table = bool(res["pipec"] or res["baseline"] or res["peers"])
    if table:
        lines.append(fmt_row(hdr, widths))
        lines.append("-" * (sum(widths) + 2 * len(widths)))

    def add(name, engine, r, seconds=None):
        s = seconds if seconds is not None else r["wall_s"]
        cpu = r.get("query_cpu_s", r["cpu_s"])
        ld = (r.get("load") or [None])[0] or {}
        lines.append(fmt_row([name, engine, f"{s:.2f}", f"{mb(size) / s:.0f}", f"{n / s:,.0f}",
                              f"{cpu:.2f}", f"{mb(size) / cpu:.0f}" if cpu else "-",
                              f"{r['peak_rss_mib']:.0f}", f"{r.get('others_cores', 0):.2f}",
                              ld.get("loadavg", ["?"])[0], ld.get("compilers", "?")],
                             widths))

    for name, r in res["pipec"].items():
        add(f"pipec {name}", r.get("engine") or "?", r)
    for name, r in res["baseline"].items():
        add(name, "hand C++", r)
    for name, r in res["peers"].items():
        add(f"{name} (query only)", f"{r['version']}", r, seconds=r["query_s"])
    if table:
        lines.append("  (others: cores' worth of CPU used by other processes during the run, of "
                     f"{res['machine']['cores']}; load1: load average before it; cc: compilers running before it)")
    lines.append("")
    if res.get("ratios"):
        lines.append("ratios (throughput of pipec / the other, higher = pipec faster; by wall time and by CPU time):")
        for k, v in res["ratios"].items():
            lines.append(f"  {k:58s} wall {v['ratio']:.2f}x  cpu {v['ratio_cpu']:.2f}x   target {v['target']}")
    if res.get("compile"):
        lines.append("\ncompile time: pipec's own compile_ms, median (max) of 5 runs; process: median wall of the "
                     "whole `pipec run` on 1000 events (start-up, parse, bind, plan, compile, run; `--compile-only` for the "
                     "examples that need servers)")
        for p, c in res["compile"].items():
            lines.append(f"  {p:30s} cold {c['cold']['compile_ms']:5.1f} ms ({c['cold']['compile_ms_max']:5.1f}),"
                         f" process {c['cold']['process_wall_ms']:4.0f} ms"
                         f"   cached {c['cached']['compile_ms']:4.1f} ms ({c['cached']['compile_ms_max']:4.1f}),"
                         f" process {c['cached']['process_wall_ms']:4.0f} ms   engine {c['engine']}")
        lines.append(f"  targets: cold <= {TARGETS['compile_cold_ms']:.0f} ms, cached <= {TARGETS['compile_cached_ms']:.0f} ms")
    if res.get("rss_flatness"):
        f = res["rss_flatness"]
        lines.append(f"\npeak RSS, pass-through: {f['small_events']:,} events {f['small_rss_mib']:.0f} MiB, "
                     f"{f['large_events']:,} events {f['large_rss_mib']:.0f} MiB "
                     f"(growth {f['growth_pct']:+.1f} %; target: flat)")
    for k, r in res["peers"].items():
        if r.get("note"):
            lines.append(f"\n{k}: {r['note']}")
    for k, v in res.get("peer_failures", {}).items():
        lines.append(f"\n{k}: FAILED: {v}")
    if res.get("output_compare"):
        lines.append("\noutput comparison with pipec filter_project_constraints (cmp):")
        for k, v in res["output_compare"].items():
            lines.append(f"  {k:40s} {'identical' if v['identical'] else 'DIFFERENT: ' + v['cmp']}")
    return "\n".join(lines)


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--quick", action="store_true", help="1 M events, 1 repeat, RSS check on 100 k vs 1 M")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-repeats", type=int, default=None)
    ap.add_argument("--wait-idle", type=float, default=1800, help="max seconds to wait for other compiles")
    ap.add_argument("--pipelines", default=",".join(PIPELINES))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--compile-only", action="store_true", help="only the compile-time measurements")
    ap.add_argument("--no-multithread-peers", action="store_true")
    ap.add_argument("--engines", default="jit,interpreter",
                    help="pipec engines to run, first one is the headline: jit (default), interpreter (--no-jit), kernels")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep-output", action="store_true", help="keep the _bulk outputs in build-bench/bench-out")
    ap.add_argument("--results", default=None, help="JSON path (default bench/results/<date>.json)")
    ap.add_argument("--out-dir", default=None,
                    help="where outputs go (default /dev/shm/pipec-bench when it has room, else build-bench/bench-out)")
    args = ap.parse_args()
    if args.quick:
        args.events = min(args.events, 1_000_000) if args.events != 10_000_000 else 1_000_000
        args.repeats = 1
    if args.peer_repeats is None:
        args.peer_repeats = min(args.repeats, 2)
    pipelines = [p for p in args.pipelines.split(",") if p]
    engines = [e for e in args.engines.split(",") if e]
    for e in engines:
        if e not in ENGINE_FLAGS:
            sys.exit(f"run_bench: unknown engine {e!r} (known: {', '.join(ENGINE_FLAGS)})")
    for p in pipelines:
        if p not in PIPELINES:
            sys.exit(f"run_bench: unknown pipeline {p!r} (known: {', '.join(PIPELINES)})")
    if not shutil.which("taskset"):
        sys.exit("run_bench: taskset (util-linux) is needed to pin runs to one core")

    global OUT
    OUT = Path(args.out_dir) if args.out_dir else default_out_dir()
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.no_build:
        build(args)
    data, stats = dataset(args.events, args.seed)
    small = small_input(data)
    now = datetime.datetime.now()
    res = {"date": now.isoformat(timespec="seconds"), "events": args.events, "seed": args.seed,
           "input": str(data), "input_bytes": data.stat().st_size, "generator": stats,
           "machine": machine(), "load_start": load(), "args": vars(args), "targets": TARGETS,
           "git": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip(),
           "pipec": {}, "baseline": {}, "peers": {}, "peer_failures": {}, "compile": {}, "ratios": {},
           "output_compare": {}}
    print(f"input: {data} ({res['input_bytes'] / 1e6:,.0f} MB, {args.events:,} events)", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    kind = "-quick" if args.quick else "-compile" if args.compile_only else ""
    path = Path(args.results) if args.results else RESULTS / f"{now.date().isoformat()}{kind}.json"
    n = 2
    while not args.results and path.exists():  # never overwrite an earlier run's figures
        path = RESULTS / f"{now.date().isoformat()}{kind}-{n}.json"
        n += 1

    def save():  # after every step, so an interrupted run keeps what it measured
        slim = json.loads(json.dumps(res, default=str))
        for r in list(slim["pipec"].values()) + list(slim["peers"].values()):
            r.pop("stderr", None)
        path.write_text(json.dumps(slim, indent=1) + "\n")

    if args.compile_only:
        for p in pipelines:
            print(f"compile time: {p} ...", flush=True)
            res["compile"][p] = compile_times(p, pipeline_compile_cmd(p, small), args)
        for name in EXAMPLES:
            print(f"compile time: {name} ...", flush=True)
            res["compile"][name] = compile_times(name, example_compile_cmd(name), args)
        res["report"] = report(res)
        print(res["report"])
        save()
        print(f"\nwrote {path}")
        return

    with tempfile.TemporaryDirectory(prefix="pipec-bench-cache-") as cache:
        for p in pipelines:
            print(f"compile time: {p} ...", flush=True)
            res["compile"][p] = compile_times(p, pipeline_compile_cmd(p, small), args)
            for engine in engines:
                label = label_of(p, engine)
                print(f"pipec {label} ...", flush=True)
                r = run_pipec(p, data, engine, args, cache)
                res["pipec"][label] = r
                print(f"  best {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s cpu, "
                      f"{mb(res['input_bytes']) / r['wall_s']:.0f} MB/s, {r['peak_rss_mib']:.0f} MiB, engine {r['engine']}",
                      flush=True)
                save()
                if p == "filter_project_constraints" and engine == engines[0]:
                    keep = OUT / "pipec-filter_project_constraints.bulk.ndjson"
                    os.replace(OUT / f"{p}.bulk.ndjson", keep)
                elif not args.keep_output:
                    (OUT / f"{p}.bulk.ndjson").unlink(missing_ok=True)

        # The same pipeline unpinned: decoding on the second core.
        if "filter_project_constraints" in pipelines and not args.no_multithread_peers:
            label = label_of("filter_project_constraints", engines[0]) + " (all cores)"
            print(f"pipec {label} ...", flush=True)
            r = run_pipec("filter_project_constraints", data, engines[0], args, cache, core=None)
            res["pipec"][label] = r
            print(f"  best {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s cpu", flush=True)
            save()
            if not args.keep_output:
                (OUT / "filter_project_constraints.bulk.ndjson").unlink(missing_ok=True)

    for name in EXAMPLES:
        print(f"compile time: {name} ...", flush=True)
        res["compile"][name] = compile_times(name, example_compile_cmd(name), args)
    save()

    pipec_filter = OUT / "pipec-filter_project_constraints.bulk.ndjson"
    for b in ("handwritten_baseline", "handwritten_baseline_native"):
        print(f"{b} ...", flush=True)
        r = run_baseline(b, data, args)
        res["baseline"][b] = r
        print(f"  best {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s cpu", flush=True)
        if pipec_filter.exists():
            res["output_compare"][b] = cmp(pipec_filter, r["output"])
        save()
        if not args.keep_output:
            Path(r["output"]).unlink(missing_ok=True)

    if not args.no_peers:
        for engine in ("duckdb", "chdb"):
            for threads in ([1] if args.no_multithread_peers else [1, 0]):
                label = f"{engine} {'1 thread' if threads == 1 else 'default threads, all cores'}"
                print(f"{label} ...", flush=True)
                try:
                    r = run_peer(engine, data, threads, args)
                except PeerFailed as e:
                    print(f"  FAILED: {e}", flush=True)
                    res["peer_failures"][label] = str(e)
                    continue
                res["peers"][label] = r
                save()
                print(f"  best query {r['query_s']:.2f} s, {r['rows']:,} rows", flush=True)
                if not args.keep_output:
                    (OUT / f"{engine}-t{threads}.json").unlink(missing_ok=True)

    # Ratios: throughput of pipec over the other (= other's time / pipec's time).
    fp = res["pipec"].get(label_of("filter_project_constraints", engines[0]))
    if fp:
        for b, r in res["baseline"].items():
            res["ratios"][f"pipec filter / {b}"] = {"ratio": r["wall_s"] / fp["wall_s"],
                                                   "ratio_cpu": r["cpu_s"] / fp["cpu_s"],
                                                   "target": f">= {TARGETS['vs_handwritten']}x"}
        for k, r in res["peers"].items():
            t = f">= {TARGETS['vs_peers_per_core']}x" if "1 thread" in k else "(reference)"
            res["ratios"][f"pipec filter (1 core) / {k}"] = {"ratio": r["query_s"] / fp["wall_s"],
                                                           "ratio_cpu": r["query_cpu_s"] / fp["cpu_s"], "target": t}
    fa = res["pipec"].get(label_of("filter_project_constraints", engines[0]) + " (all cores)")
    if fa:
        for b, r in res["baseline"].items():
            res["ratios"][f"pipec filter (all cores) / {b}"] = {"ratio": r["wall_s"] / fa["wall_s"],
                                                               "ratio_cpu": r["cpu_s"] / fa["cpu_s"],
                                                               "target": "(reference: one thread against two)"}
        for k, r in res["peers"].items():
            if "all cores" in k:
                res["ratios"][f"pipec filter (all cores) / {k}"] = {"ratio": r["query_s"] / fa["wall_s"],
                                                                   "ratio_cpu": r["query_cpu_s"] / fa["cpu_s"],
                                                                   "target": "(reference)"}

    if "passthrough" in pipelines:
        small_n = 100_000 if args.quick else 1_000_000
        if small_n < args.events:
            print(f"peak RSS flatness: pass-through on {small_n:,} events ...", flush=True)
            sdata, _ = dataset(small_n, args.seed)
            with tempfile.TemporaryDirectory(prefix="pipec-bench-cache-") as cache:
                sr = run_pipec("passthrough", sdata, engines[0], argparse.Namespace(**{**vars(args), "repeats": 1}), cache)
            if not args.keep_output:
                (OUT / "passthrough.bulk.ndjson").unlink(missing_ok=True)
            lr = res["pipec"][label_of("passthrough", engines[0])]
            res["rss_flatness"] = {"small_events": small_n, "small_rss_mib": sr["peak_rss_mib"],
                                   "large_events": args.events, "large_rss_mib": lr["peak_rss_mib"],
                                   "growth_pct": 100 * (lr["peak_rss_mib"] / sr["peak_rss_mib"] - 1)}

    if not args.keep_output:
        pipec_filter.unlink(missing_ok=True)
    res["load_end"] = load()
    text = report(res)
    print(text)
    res["report"] = text
    save()
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
