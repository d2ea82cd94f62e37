#!/usr/bin/env bash
# Training curves: draws cost and test accuracy per epoch from one or more --metrics files
# (one line per run).
#   scripts/plot-metrics.sh curves.png run1.jsonl run2.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh
[ $# -ge 2 ] || die "usage: scripts/plot-metrics.sh OUT.png METRICS.jsonl [...]"
out=$1; shift
for file in "$@"; do [ -s "$file" ] || die "$file is missing or empty: pass files written by --metrics"; done
ensure_packages python3 gnuplot-nox
python3 scripts/scaling/scaling.py plot-metrics "$out" "$@"
say "written: $out"
