#!/usr/bin/env bash
# Regenerates the README's pictures of the real readers (run as root on a machine with 2+
# cores; needs the readers' virtual environment that observability-test.sh makes):
#   docs/tensorboard.png        TensorBoard's scalars page for the seed preset, 2 ranks, 30 epochs
#   docs/timeline-perfetto.png  Perfetto UI with the --timeline of a 2-host run (network-namespace
#                               hosts over TCP) where host 1 shares its core with a busy process,
#                               so rank 0 waits for rank 1 in every allreduce
#   scripts/observability/pictures.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

BIN=$PWD/.build/release/mnist-mpi
DATA_DIR=$(cd "${DATA_DIR:-data/mnist}" && pwd)
VENV=$(tool_cache_dir)/observability-venv
WORK=$PWD/.build/observability-pictures
[ -x "$VENV/bin/vizviewer" ] || die "run scripts/observability/observability-test.sh first (it makes $VENV)"
[ "$(id -u)" -eq 0 ] || die "the 2-host run needs root (network namespaces)"
rm -rf "$WORK"
mkdir -p "$WORK" docs

say "TensorBoard: seed preset, 2 ranks, 30 epochs, test accuracy every 3 epochs"
run_mpi 2 "$BIN" train --data "$DATA_DIR" --preset seed --eval-every 3 --tensorboard "$WORK/tb/seed-2ranks" > "$WORK/seed.log"
"$VENV/bin/python" scripts/observability/check_outputs.py http "$WORK/tb" --run seed-2ranks \
  --tensorboard "$VENV/bin/tensorboard" --screenshot docs/tensorboard.png

say "timeline: 2 network-namespace hosts over TCP; host 1's rank shares core 1 with a busy loop"
taskset -c 1 sh -c 'while :; do :; done' &
hog=$!
trap 'kill "$hog" 2>/dev/null || true' EXIT
# Rank r runs on core r: rank 0 alone on core 0, rank 1 beside the busy loop.
# shellcheck disable=SC2016  # expanded by the rank's shell, not here
scripts/cluster/netns-launch.sh 2 sh -c 'exec taskset -c "$OMPI_COMM_WORLD_RANK" "$@"' sh \
  "$BIN" train --data "$DATA_DIR" --preset seed --epochs 1 --eval-every 0 \
  --timeline "$WORK/timeline.json" --timeline-steps 40 > "$WORK/two-hosts.log"
kill "$hog"
python3 scripts/observability/check_outputs.py timeline "$WORK/timeline.json" --ranks 2 --steps 40
port=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VENV/bin/vizviewer" --server_only --port "$port" "$WORK/timeline.json" > "$WORK/vizviewer.log" 2>&1 &
viewer=$!
trap 'kill "$viewer" "$hog" 2>/dev/null || true' EXIT
"$VENV/bin/python" scripts/observability/browser_capture.py "http://127.0.0.1:$port/" docs/timeline-perfetto.png \
  --wait-for "rank 1 (" --click "rank 0 (" --click "rank 1 (" --width 1600 --height 520 --timeout 90
cp "$WORK/timeline.json" docs/timeline-two-hosts.json
say "pictures: docs/tensorboard.png, docs/timeline-perfetto.png (trace: docs/timeline-two-hosts.json)"
