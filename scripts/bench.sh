#!/usr/bin/env bash
# The performance benchmark: in one run, with medians of REPEATS repetitions, measures the
# compute floor of an epoch (its matrix products alone, one thread) for OpenBLAS, oneDNN float32
# and oneDNN bfloat16, the trainer's seconds per epoch at -np 1 (each kernel library and
# precision) and -np 2 (the default shared-memory sum, bfloat16 products, --allreduce mpi,
# --overlap, --compression bf16), --deterministic against the default at the same global batch
# (-np 1 G=200, -np 2 G=200 and G=600, -np 2 G=200 --same-bits-on 1,2; each pair back to back), the Swift allreduce against a raw C MPI_Allreduce, the
# 2-rank weak-scaling efficiency, the allreduce share of a step, peak RSS per rank and heap
# allocations per step (oneDNN and OpenBLAS); prints a table and writes results/bench.json.
# Framework ratios come only from scripts/bench-frameworks.sh, run on the same machine.
# OPENBLAS_CORETYPE is unset for every command here, so the kernels compared are the ones each
# library picks for this CPU (the report names them).
#   scripts/bench.sh                 # about 3 minutes on 2 cores
#   REPEATS=5 EPOCHS=4 scripts/bench.sh
#   RECORD=1 scripts/bench.sh        # also docs/results/bench-CPU.json, which the docs cite
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

unset OPENBLAS_CORETYPE
# What this machine can run: oneDNN where libdnnl.so.2 loads, bfloat16 where the CPU has it.
ONEDNN=yes BF16=yes
onednn_runs "$BIN" || ONEDNN=no
[ "$ONEDNN" = yes ] && onednn_runs "$BIN" bf16 || BF16=no
printf '{"onednn": "%s", "bf16": "%s", "cpu": "%s"}\n' "$ONEDNN" "$BF16" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') model $(grep -m1 '^model' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')" \
  > "$WORK/machine.json"

floors() {  # repetition: 2 floor epochs of each kernel choice, between the trainings
  OPENBLAS_NUM_THREADS=1 "$BIN" bench floor --repeat 2 --kernels openblas > "$WORK/floor-openblas-fp32-$1.json"
  [ "$ONEDNN" = no ] || "$BIN" bench floor --repeat 2 --kernels onednn > "$WORK/floor-onednn-fp32-$1.json"
  [ "$BF16" = no ] || "$BIN" bench floor --repeat 2 --kernels onednn --precision bf16 > "$WORK/floor-onednn-bf16-$1.json"
}

train_run() {  # name ranks extra-args...
  local name=$1 ranks=$2; shift 2
  run_mpi "$ranks" "$BIN" train --data "$DATA_DIR" --epochs "$EPOCHS" --eval-every 0 --log-every 1000 \
    --summary "$WORK/$name.json" "$@" > /dev/null
}
# Interleave the configurations so that drift on a shared machine hits all of them alike.
for repeat in $(seq 1 "$REPEATS"); do
  say "compute floors and trainer runs, repetition $repeat of $REPEATS (oneDNN: $ONEDNN, bfloat16: $BF16)"
  floors "$repeat"
  train_run "np1-$repeat" 1
  train_run "np1-openblas-$repeat" 1 --kernels openblas
  [ "$BF16" = no ] || train_run "np1-bf16-$repeat" 1 --precision bf16
  train_run "np2-$repeat" 2
  [ "$BF16" = no ] || train_run "np2-bf16-$repeat" 2 --precision bf16
  train_run "np2-mpi-$repeat" 2 --allreduce mpi
  train_run "np2-overlap-$repeat" 2 --overlap
  train_run "np2-compress-$repeat" 2 --compression bf16
  # --deterministic beside the default at the same global batch, one after the other.
  # The last pair asks for the same bits on 1 and 2 ranks only (--same-bits-on 1,2: 2 micro-batches).
  for pair in "1 200" "2 200" "2 600" "2 200 1,2"; do
    read -r ranks global bits <<< "$pair"
    name="np$ranks-g$global${bits:+-bits${bits//,/}}"
    train_run "same-$name-$repeat" "$ranks" --global-batch "$global"
    train_run "det-$name-$repeat" "$ranks" --global-batch "$global" --deterministic ${bits:+--same-bits-on "$bits"}
  done
done

say "allreduce: Swift layer against raw C MPI_Allreduce, 2 ranks"
run_mpi 2 "$BIN" bench allreduce --rounds 9 > "$WORK/allreduce.json"

say "heap allocations (LD_PRELOAD counter; 1 and 3 epochs, 1 rank; default kernels and OpenBLAS)"
gcc -O2 -shared -fPIC -o "$WORK/count_malloc.so" scripts/bench/count_malloc.c
for kernels in auto openblas; do
  for epochs in 1 3; do
    # The trainer's own count (a singleton MPI start also forks a helper, which counts apart).
    MALLOC_COUNT_FILE="$PWD/$WORK/malloc-all.$epochs" LD_PRELOAD="$PWD/$WORK/count_malloc.so" OPENBLAS_NUM_THREADS=1 \
      "$BIN" train --data "$DATA_DIR" --epochs "$epochs" --eval-every 0 --log-every 1000 --kernels "$kernels" > /dev/null &
    trainer=$!
    wait "$trainer"
    cp "$WORK/malloc-all.$epochs.$trainer" "$WORK/malloc-$kernels.$epochs"
  done
done

python3 scripts/bench/report.py "$WORK" "$REPEATS" "$OUT"
# RECORD=1: keep the result as the docs' result file for this CPU (docs/results/bench-CPU.json,
# with the CPU, the command and the date), which README.md and docs/ cite figure by figure.
if [ "${RECORD:-0}" = 1 ]; then
  python3 scripts/figures/record.py "$OUT" bench --command "REPEATS=$REPEATS EPOCHS=$EPOCHS scripts/bench.sh"
fi
