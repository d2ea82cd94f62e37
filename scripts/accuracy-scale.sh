#!/usr/bin/env bash
# Accuracy against the global batch: how each learning-rate recipe holds as a job moves to more
# ranks. The result depends on the global batch, not on the rank count, so every global batch is
# simulated with --global-batch on RANKS ranks (2: one per core here). Writes results/NAME/:
# runs.csv, report.md (one table per preset, runs more than 0.5 points below the global batch 100
# run flagged) and accuracy.png.
#   scripts/accuracy-scale.sh                                          # everything (about 15 min here)
#   scripts/accuracy-scale.sh --presets seed --batches "100 800 6400" --recipes "default layerwise"
# Recipes (see docs/accuracy-at-scale.md):
#   none     the rate as given at every batch (the original program's rule)
#   default  mnist-mpi's default: the rule for the optimizer (linear for SGD, square root for
#            Adam) with 2 warm-up epochs
#   layerwise  seed: LARS at lr 1 for a global batch of 6400 (trust coefficient 0.01, linear rule
#            below that batch, cosine decay); improved: LAMB at lr 0.03 for 6400 (square-root
#            rule below it); both with 2 warm-up epochs
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

BATCHES="100 200 400 800 1600 3200 6400"
PRESETS="seed improved"
RECIPES="none default layerwise"
RANKS=${RANKS:-2}
NAME=accuracy-scale
DATA_DIR=${DATA_DIR:-data/mnist}
while [ $# -gt 0 ]; do
  case $1 in
    --batches) BATCHES=$2; shift 2 ;;
    --presets) PRESETS=$2; shift 2 ;;
    --recipes) RECIPES=$2; shift 2 ;;
    --ranks) RANKS=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    *) die "unknown option $1 (see the top of scripts/accuracy-scale.sh)" ;;
  esac
done
OUT=${RESULTS_DIR:-results}/$NAME

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  ensure_swift
  ensure_packages "${SYSTEM_PACKAGES[@]}" python3 gnuplot-nox
  build release
  scripts/fetch-mnist.sh "$DATA_DIR"
fi
BIN=${BIN:-$RELEASE_BIN}
mkdir -p "$OUT"

# The options of recipe $1 for preset $2.
recipe_options() {
  case $1/$2 in
    none/*) echo "--lr-scaling none" ;;
    default/*) echo "" ;;
    layerwise/seed) echo "--optimizer lars --lr 1 --trust-coefficient 0.01 --lr-scaling linear --lr-reference-batch 6400 --warmup-epochs 2 --lr-decay cosine" ;;
    layerwise/improved) echo "--optimizer lamb --lr 0.03 --lr-scaling sqrt --lr-reference-batch 6400 --warmup-epochs 2" ;;
    *) die "unknown recipe $1 (none, default, layerwise)" ;;
  esac
}

total=0
for _ in $PRESETS; do for _ in $RECIPES; do for _ in $BATCHES; do total=$((total + 1)); done; done; done
run=0
for preset in $PRESETS; do
  for recipe in $RECIPES; do
    for batch in $BATCHES; do
      run=$((run + 1))
      [ $((batch % RANKS)) -eq 0 ] || die "global batch $batch does not divide by $RANKS ranks"
      summary=$OUT/run-$preset-$recipe-$batch.json
      read -r -a options <<< "$(recipe_options "$recipe" "$preset")"
      say "run $run/$total: $preset, $recipe, global batch $batch ${options[*]}"
      run_mpi "$RANKS" "$BIN" train --data "$DATA_DIR" --preset "$preset" --global-batch "$batch" \
        --eval-every 0 --log-every 1000 --summary "$summary" ${options[@]+"${options[@]}"} > /dev/null
      python3 scripts/scaling/accuracy_scale.py add-run "$OUT/runs.csv" "$summary" \
        --preset "$preset" --recipe "$recipe"
    done
  done
done
python3 scripts/scaling/accuracy_scale.py report "$OUT"
say "report: $OUT/report.md"
