#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs the quickstart
# pipeline on the embedded default (bundled NDJSON in, _bulk NDJSON out).
set -euo pipefail
cd "$(dirname "$0")/.."
PIPEC_SETUP_PYTHON=0 tools/setup.sh
tools/build.sh
./build/pipec check examples/quickstart/quickstart.pipe
./build/pipec run examples/quickstart/quickstart.pipe
echo
echo "quickstart: documents in out/orders.bulk.ndjson, dead letters in out/quickstart.dlq.ndjson"
head -n 4 out/orders.bulk.ndjson
