#!/usr/bin/env bash
# Starts both test services (Kafka, then OpenSearch); see README.md.
# Same environment variables as kafka.sh / opensearch.sh, including
# PIPEC_SERVICES_FRESH=1 to start both with empty data.
# Sequential on purpose: a first start resolves jars with Maven, and two
# Maven runs writing the same local repository at once are not safe.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
t0=$(date +%s.%N)
"$here/kafka.sh" start
"$here/opensearch.sh" start
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "[services] both up in %.1fs\n", b - a }'
