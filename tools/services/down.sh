#!/usr/bin/env bash
# Stops both test services; stops the second even if stopping the first fails.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rc=0
"$here/opensearch.sh" stop || rc=1
"$here/kafka.sh" stop || rc=1
exit $rc
