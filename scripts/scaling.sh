#!/usr/bin/env bash
# Scaling runs: trains for each rank count in weak mode (per-rank batch) and strong mode
# (fixed global batch), REPEATS times each, keeps the medians and writes results/NAME/:
# runs.csv, report.md (speed-up, efficiency, where the time goes, accuracy, the cost model for
# larger clusters) and speedup.png, breakdown.png, accuracy.png.
#   scripts/scaling.sh --epochs 2
#   scripts/scaling.sh --ranks "1 2 4 8" --modes weak --repeats 5 --name tcp -- --preset improved
#   scripts/scaling.sh --models "mlp lenet5" --ranks "1 2" --modes weak --name models
# --models: one sweep per model in results/NAME/MODEL/ (lenet5 runs --preset lenet5, any other
# --model value as given), then results/NAME/report.md with their efficiencies, each model's
# cost-model prediction and why they differ. The runs sum float32 gradients (--compression none,
# what the cost model predicts) unless the arguments after -- name a --compression. With
# LAUNCH=scripts/cluster/netns-launch.sh (and LINK_RATE=1gbit) the same over TCP between
# namespace hosts. RECORD=1 also keeps the figures as docs/results/NAME-CPU.json.
# Ranks beyond the cores run oversubscribed and are marked so.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

EPOCHS=2
RANKS="1 2 4"
MODES="weak strong"
REPEATS=3
GLOBAL_BATCH=200
NAME=""
MODELS=""
DATA_DIR=${DATA_DIR:-data/mnist}
LAUNCH=${LAUNCH:-}   # another launcher, called as LAUNCH RANKS COMMAND... (e.g. scripts/cluster/netns-launch.sh)
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --epochs) EPOCHS=$2; shift 2 ;;
    --ranks) RANKS=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --global-batch) GLOBAL_BATCH=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown option $1 (see the top of scripts/scaling.sh)" ;;
  esac
done
NAME=${NAME:-scaling-$(date +%Y%m%d-%H%M%S)}
OUT=${RESULTS_DIR:-results}/$NAME
CORES=$(nproc)

# SKIP_SETUP=1: everything is installed, built and fetched already (the cluster image).
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  ensure_swift
  ensure_packages "${SYSTEM_PACKAGES[@]}" python3 gnuplot-nox
  build release
  scripts/fetch-mnist.sh "$DATA_DIR"
fi
mkdir -p "$OUT"
rm -f "$OUT/runs.csv"

if [ -n "$MODELS" ]; then
  folders=()
  compression=(--compression none)
  for argument in ${extra[@]+"${extra[@]}"}; do [ "$argument" = --compression ] && compression=(); done
  for model in $MODELS; do
    case $model in
      lenet5) model_args=(--preset lenet5) ;;
      *) model_args=(--model "$model") ;;
    esac
    folder=$(printf '%s' "$model" | tr -c 'A-Za-z0-9_.-' '-')
    say "model $model: the sweep in $OUT/$folder"
    SKIP_SETUP=1 RESULTS_DIR="$OUT" "$0" --epochs "$EPOCHS" --ranks "$RANKS" --modes "$MODES" --repeats "$REPEATS" \
      --global-batch "$GLOBAL_BATCH" --name "$folder" -- "${model_args[@]}" ${compression[@]+"${compression[@]}"} ${extra[@]+"${extra[@]}"}
    folders+=("$OUT/$folder")
  done
  python3 scripts/scaling/scaling.py models "$OUT" "${folders[@]}"
  say "report: $OUT/report.md"
  if [ "${RECORD:-0}" = 1 ]; then
    python3 scripts/figures/record.py "$OUT/models.json" "$NAME" \
      --command "${LINK_RATE:+LINK_RATE=$LINK_RATE }${LAUNCH:+LAUNCH=$LAUNCH }scripts/scaling.sh --models \"$MODELS\" --ranks \"$RANKS\" --modes \"$MODES\" --repeats $REPEATS --epochs $EPOCHS --name $NAME"
  fi
  exit 0
fi
BIN=${BIN:-$RELEASE_BIN}

launch() {  # ranks args...
  if [ -n "$LAUNCH" ]; then "$LAUNCH" "$@"; else run_mpi "$@"; fi
}

total=0
for mode in $MODES; do for ranks in $RANKS; do total=$((total + REPEATS)); done; done
run=0
for repeat in $(seq 1 "$REPEATS"); do
  for mode in $MODES; do
    for ranks in $RANKS; do
      run=$((run + 1))
      batch=(--batch-size 100)
      if [ "$mode" = strong ]; then
        if [ $((GLOBAL_BATCH % ranks)) -ne 0 ]; then
          say "run $run/$total: skipping strong mode on $ranks ranks ($GLOBAL_BATCH does not divide by $ranks)"
          continue
        fi
        batch=(--global-batch "$GLOBAL_BATCH")
      fi
      note=""; [ "$ranks" -gt "$CORES" ] && note=" (oversubscribed: $CORES cores)"
      say "run $run/$total: $mode, $ranks ranks, repeat $repeat$note"
      summary="$OUT/run-$mode-$ranks-$repeat.json"
      launch "$ranks" "$BIN" train --data "$DATA_DIR" --epochs "$EPOCHS" --eval-every 0 --log-every 1000 \
        "${batch[@]}" --summary "$summary" ${extra[@]+"${extra[@]}"} > /dev/null
      python3 scripts/scaling/scaling.py add-run "$OUT/runs.csv" "$summary" --mode "$mode" \
        --repeat "$repeat" --cores "$CORES"
    done
  done
done

sweep_ranks=2
[ "$CORES" -ge 2 ] || sweep_ranks=1
say "allreduce sweep (4 B to 4 MiB) on $sweep_ranks ranks for the cost model"
launch "$sweep_ranks" "$BIN" bench allreduce --sweep --rounds 3 > "$OUT/allreduce.json"
python3 scripts/scaling/scaling.py report "$OUT"
say "report: $OUT/report.md"
