#!/usr/bin/env python3
"""Groups the samples of a `perf record --call-graph dwarf` profile of
`pipec run` (or of the hand-written baseline) by pipeline stage.

    taskset -c 0 perf record -e cpu-clock -F 2000 --call-graph dwarf,8192 -o pipec.data -- \\
        build-bench/pipec run bench/pipelines/filter_project_constraints.pipe --set events.path=...
    perf script -i pipec.data | bench/perf_breakdown.py [--baseline] [--hz 2000]

A sample goes to the first stage (in the order below) that any frame of its
stack matches (a stage may list several frame names), so e.g. the XXH3 call inside the encoder counts as "document
id", not as "encode". JIT-compiled code has no unwind information: samples in
it (and in the stdlib functions it calls) often lose their callers and land in
"other"; look at `perf report --sort dso,symbol` for those.
"""
import argparse
import collections
import re
import sys

PIPEC = [
    ("dead-letter output", "DeadLetter"),
    ("document id (key encoding + XXH3)", "DocumentIdHasher"),
    ("index name", "IndexTemplate::render"),
    ("write() of the output", ("FileWriter::write", "ksys_write")),
    ("encode _bulk (values, escaping)", "BulkEncoder::encode"),
    ("source: read() + newline count", "FileSource::read_chunk"),
    ("decode: simdjson stage 1", "dom_parser_implementation::stage1"),
    ("decode: validate unused fields", "NdjsonDecoder::Impl::validate"),
    ("decode: keys (read_key + lookup)", "NdjsonDecoder::Impl::read_key"),
    ("decode: convert values", "NdjsonDecoder::Impl::convert"),
    ("decode: other (field walk, line split, batch)", "NdjsonDecoder"),
    ("source: other", "FileSource::next"),
    ("kernels (JIT code + helpers)", "KernelOperator::push"),
    ("interpreter operators", "Operator::push"),
    ("compile (LLVM)", "compile_kernels"),
]
BASELINE = [
    # Writer::flush is inlined into main: the kernel's frame finds its write()s.
    ("write() of the output", ("Writer::flush", "ksys_write")),
    ("document id (key encoding + XXH3)", "put_id"),
    ("read() of the input", "__libc_read"),
    ("decode: simdjson stage 1", "stage1"),
    ("decode: ISO timestamp", "parse_iso"),
    ("decode: field walk + values", "Decoder::parse"),
    ("encode: strings", "put_string"),
    ("encode: doubles", "put_double"),
    ("encode: timestamps", "put_ts"),
    ("dead letters", "dead_letter"),
    ("line split, filter, inlined encoding (main)", "main"),
]
FRAME = re.compile(r"\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)$")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", action="store_true", help="stages of handwritten_baseline")
    ap.add_argument("--hz", type=float, default=0, help="sampling frequency, to print milliseconds")
    args = ap.parse_args()
    rules = BASELINE if args.baseline else PIPEC
    counts = collections.Counter()
    total = 0
    frames = []

    def flush():
        nonlocal total
        if not frames:
            return
        total += 1
        for stage, keys in rules:
            keys = (keys,) if isinstance(keys, str) else keys
            if any(key in f for f in frames for key in keys):
                counts[stage] += 1
                return
        counts["other (start-up, libc, kernel, JIT frames without callers)"] += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            frames = []
        elif line[0] in "\t ":
            m = FRAME.match(line.rstrip())
            if m:
                frames.append(m.group(1))
        else:
            frames = []
    flush()
    if not total:
        sys.exit("perf_breakdown: no samples with call graphs on stdin")
    print(f"{total} samples" + (f" = {1000 * total / args.hz:.0f} ms" if args.hz else ""))
    for stage, n in counts.most_common():
        ms = f"{1000 * n / args.hz:7.0f} ms" if args.hz else ""
        print(f"  {100 * n / total:5.1f} % {ms}  {stage}")


if __name__ == "__main__":
    main()
