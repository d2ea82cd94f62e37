#!/usr/bin/env bash
# The fastest recipe to a target test accuracy on this machine, found by a study rather than
# guessed: a staged search over ranks, widths, batch, learning rate, warm-up, decay, optimizer
# (and bfloat16 where the CPU computes it), every trial a real run with --target-accuracy,
# ranked by its time to the target from launch; then the winner against the starting point,
# side by side. Writes results/NAME/ (runs.csv, report.md, winner.json).
#   scripts/time-to-accuracy.sh                      # 98%, 33 trials x 2 runs: about 8 minutes here
#   scripts/time-to-accuracy.sh --target 0.97 --name t97
#   scripts/time-to-accuracy.sh --quick              # 4 trials (scripts/test.sh checks the script)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

NAME=time-to-accuracy-$(date +%Y%m%d-%H%M%S)
DATA_DIR=${DATA_DIR:-data/mnist}
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --name) NAME=$2; shift 2 ;;
    --target|--repeats|--trial-runs) args+=("$1" "$2"); shift 2 ;;
    --quick) args+=(--quick); shift ;;
    *) die "unknown option $1 (see the top of scripts/time-to-accuracy.sh)" ;;
  esac
done
OUT=${RESULTS_DIR:-results}/$NAME

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  ensure_swift
  ensure_packages "${SYSTEM_PACKAGES[@]}" python3
  build release
  scripts/fetch-mnist.sh "$DATA_DIR"
fi
allow_mpi_as_root
BIN=${MNIST_MPI_BIN:-$RELEASE_BIN}
if "$BIN" bench floor --steps 2 --repeat 1 --kernels onednn --precision bf16 >/dev/null 2>&1; then
  args+=(--bf16)
  say "this CPU computes bfloat16: the study has a precision round"
else
  say "no bfloat16 round: this CPU (or build) cannot run oneDNN's bfloat16 products"
fi
say "time to accuracy: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; results in $OUT"
MPI_LAUNCHER=$(mpi_launcher) MPI=$MPI python3 scripts/scaling/time_to_accuracy.py \
  --binary "$BIN" --data "$DATA_DIR" --out "$OUT" "${args[@]}"
