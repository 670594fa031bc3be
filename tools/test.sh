#!/usr/bin/env bash
# README command 2 (and .ci/run): installs what is missing, builds, starts
# real Kafka and OpenSearch on 127.0.0.1, runs the whole test suite, stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
PIPEC_SETUP_SERVICES=1 tools/setup.sh
tools/build.sh

tools/services/up.sh
trap 'tools/services/down.sh >/dev/null 2>&1 || true' EXIT

status=0
ctest --test-dir build --output-on-failure -j 2 || status=1
python3 -m pytest -q tests/integration || status=1
exit $status
