#!/usr/bin/env bash
# The performance benchmark: in one run, with medians of REPEATS repetitions, measures the
# sgemm floor of an epoch, the trainer's seconds per epoch at -np 1 and -np 2 (the default
# shared-memory sum, --allreduce mpi, --overlap, --compression bf16), the Swift allreduce
# against a raw C MPI_Allreduce, the
# 2-rank weak-scaling efficiency, the allreduce share of a step, peak RSS per rank and heap
# allocations per step; prints a table and writes results/bench.json. Framework ratios come
# only from scripts/bench-frameworks.sh, run on the same machine.
#   scripts/bench.sh                 # about 3 minutes here
#   REPEATS=5 EPOCHS=4 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

REPEATS=${REPEATS:-3}
EPOCHS=${EPOCHS:-3}
DATA_DIR=${DATA_DIR:-data/mnist}
OUT=${OUT:-results/bench.json}
WORK=.build/bench
BIN=$RELEASE_BIN

ensure_swift
ensure_packages "${SYSTEM_PACKAGES[@]}" python3 gcc
build release
scripts/fetch-mnist.sh "$DATA_DIR"
mkdir -p "$WORK" "$(dirname "$OUT")"
rm -f "$WORK"/*.json "$WORK"/*.jsonl "$WORK"/malloc*

say "sgemm floor (1 thread, median of 5 epochs)"
OPENBLAS_NUM_THREADS=1 "$BIN" bench floor --repeat 5 > "$WORK/floor.json"

train_run() {  # name ranks extra-args...
  local name=$1 ranks=$2; shift 2
  run_mpi "$ranks" "$BIN" train --data "$DATA_DIR" --epochs "$EPOCHS" --eval-every 0 --log-every 1000 \
    --summary "$WORK/$name.json" "$@" > /dev/null
}
# Interleave the configurations so that drift on a shared machine hits all of them alike.
for repeat in $(seq 1 "$REPEATS"); do
  say "trainer runs, repetition $repeat of $REPEATS"
  train_run "np1-$repeat" 1
  train_run "np2-$repeat" 2
  train_run "np2-mpi-$repeat" 2 --allreduce mpi
  train_run "np2-overlap-$repeat" 2 --overlap
  train_run "np2-compress-$repeat" 2 --compression bf16
done

say "allreduce: Swift layer against raw C MPI_Allreduce, 2 ranks"
run_mpi 2 "$BIN" bench allreduce --rounds 9 > "$WORK/allreduce.json"

say "heap allocations (LD_PRELOAD counter; 1 and 3 epochs, 1 rank)"
gcc -O2 -shared -fPIC -o "$WORK/count_malloc.so" scripts/bench/count_malloc.c
for epochs in 1 3; do
  # The trainer's own count (a singleton MPI start also forks a helper, which counts apart).
  MALLOC_COUNT_FILE="$PWD/$WORK/malloc-all.$epochs" LD_PRELOAD="$PWD/$WORK/count_malloc.so" OPENBLAS_NUM_THREADS=1 \
    "$BIN" train --data "$DATA_DIR" --epochs "$epochs" --eval-every 0 --log-every 1000 > /dev/null &
  trainer=$!
  wait "$trainer"
  cp "$WORK/malloc-all.$epochs.$trainer" "$WORK/malloc.$epochs"
done

python3 scripts/bench/report.py "$WORK" "$REPEATS" "$OUT"
