#!/usr/bin/env bash
# Builds the front-end fuzzer (clang-16, -fsanitize=fuzzer,address,undefined)
# into build-fuzz/ and runs it for a bounded time.
#
#   tests/fuzz/run.sh [SECONDS]        default 60
#   tests/fuzz/run.sh --repro FILE...  runs the given inputs once (regressions)
#
# Seeds: examples/, tests/diagnostics/, tests/contract/ and the persistent
# corpus build-fuzz/corpus (kept between runs). Crashes, leaks, timeouts and
# sanitizer reports land in build-fuzz/artifacts/ and fail the run; turn each
# into a tests/diagnostics/fail_*.pipe regression case.
# Exit 77 (ctest: skipped) when clang-16 or libFuzzer is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${PIPEC_FUZZ_BUILD:-$ROOT/build-fuzz}"
CXX_BIN="${PIPEC_FUZZ_CXX:-/usr/bin/clang++-16}"
CC_BIN="${PIPEC_FUZZ_CC:-/usr/bin/clang-16}"

if [[ ! -x "$CXX_BIN" ]] || ! compgen -G "/usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  echo "fuzz: clang-16 with libFuzzer is not installed; skipping" >&2
  exit 77
fi

mkdir -p "$BUILD"
if [[ ! -f "$BUILD/build.ninja" ]]; then
  cmake -S "$ROOT/tests/fuzz" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_C_COMPILER="$CC_BIN" \
    -DCMAKE_BUILD_TYPE=None >"$BUILD/configure.log" 2>&1 || { cat "$BUILD/configure.log" >&2; exit 1; }
fi
ninja -C "$BUILD" -j"${PIPEC_FUZZ_JOBS:-2}" frontend_fuzzer >"$BUILD/build.log" 2>&1 || {
  tail -n 60 "$BUILD/build.log" >&2
  echo "fuzz: building the fuzzer failed" >&2
  exit 1
}

# ANTLR's runtime (a Debian build without sanitizers) is the only thing
# allowed to leak; suppress leaks whose allocation stack is inside it.
SUPP="$BUILD/lsan.supp"
printf 'leak:libantlr4-runtime\n' >"$SUPP"
export LSAN_OPTIONS="suppressions=$SUPP:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

if [[ "${1:-}" == "--repro" ]]; then
  shift
  exec "$BUILD/frontend_fuzzer" -runs=1 -timeout=5 -rss_limit_mb=2048 "$@"
fi

SECONDS_TO_RUN="${1:-60}"
CORPUS="$BUILD/corpus"
SEEDS="$BUILD/seeds"
ARTIFACTS="$BUILD/artifacts"
mkdir -p "$CORPUS" "$SEEDS" "$ARTIFACTS"
rm -f "$SEEDS"/*
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  cp "$f" "$SEEDS/seed_$n.pipe"
done < <(find "$ROOT/examples" "$ROOT/tests/diagnostics" "$ROOT/tests/contract" -name '*.pipe' -size -4k -print0 2>/dev/null)

"$BUILD/frontend_fuzzer" "$CORPUS" "$SEEDS" \
  -dict="$ROOT/tests/fuzz/pipe.dict" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
  -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 -close_fd_mask=3 2>"$BUILD/fuzz.log" || {
  status=$?
  tail -n 80 "$BUILD/fuzz.log" >&2
  echo "fuzz: FAILED (exit $status); reproducer in $ARTIFACTS/" >&2
  exit 1
}
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' "$BUILD/fuzz.log" || true
echo "fuzz: ok, ${SECONDS_TO_RUN}s without findings"
