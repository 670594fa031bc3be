#!/usr/bin/env bash
# Regenerates every tests/diagnostics/*.expected from the current pipec.
# Review the diff by eye before committing: messages must read well, carets
# must sit under the right token, hints must help.
#   tests/diagnostics/refresh.sh [PIPEC] [CASE...]     (default PIPEC: build/pipec)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIPEC="${1:-$HERE/../../build/pipec}"
shift || true
python3 "$HERE/run_golden.py" --pipec "$PIPEC" --refresh "$@"
python3 "$HERE/../contract/run_contract.py" --pipec "$PIPEC" --refresh
