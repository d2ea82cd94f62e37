#!/usr/bin/env bash
# Puts saved scaling runs side by side (e.g. before and after a change, or shared memory
# against TCP hosts): one table and one speed-up plot with every run.
#   scripts/compare-scaling.sh results/shm results/tcp [results/other ...]
# Writes results/compare-<names>/comparison.md and speedup.png (OUT=DIR to choose).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh
[ $# -ge 2 ] || die "usage: scripts/compare-scaling.sh RESULTS_DIR RESULTS_DIR [...]"
for folder in "$@"; do
  [ -f "$folder/runs.csv" ] || die "$folder has no runs.csv: give folders written by scripts/scaling.sh"
done
ensure_packages python3 gnuplot-nox
names=$(for folder in "$@"; do basename "$folder"; done | paste -sd- -)
OUT=${OUT:-results/compare-$names}
python3 scripts/scaling/scaling.py compare "$OUT" "$@"
say "written: $OUT/comparison.md, $OUT/speedup.png"
