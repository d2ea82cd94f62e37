#!/usr/bin/env bash
# What `--model lenet5` alone trains to, beside the seed's settings on the same network: the
# issue's command as a new user types it (`mpirun -np 2 mnist-mpi train --model lenet5`: the
# convolutional family's defaults, lenet5's ReLU, He, Adam 0.004 with cosine decay, 3 epochs)
# and `--preset seed --model lenet5` (sigmoid, N(0, 1), SGD 0.1, 30 epochs). Writes
# results/model-defaults.json (RECORD=1: also docs/results/model-defaults-CPU.json, which
# docs/models.md cites).
#   scripts/model-defaults.sh          # about 1.5 minutes on 2 Zen 5 cores (the seed's 30 epochs)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

DATA_DIR=${DATA_DIR:-data/mnist}
OUT=${OUT:-results/model-defaults.json}
WORK=.build/model-defaults
BIN=${MNIST_MPI_BIN:-$RELEASE_BIN}

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  ensure_swift
  ensure_packages "${SYSTEM_PACKAGES[@]}" python3
  build release
  scripts/fetch-mnist.sh "$DATA_DIR"
fi

mkdir -p "$WORK" "$(dirname "$OUT")"

say "mpirun -np 2 mnist-mpi train --model lenet5 (the model's family's defaults)"
run_mpi 2 "$BIN" train --data "$DATA_DIR" --model lenet5 --summary "$WORK/family.json" > "$WORK/family.log"
sed -n 2p "$WORK/family.log"
say "mpirun -np 2 mnist-mpi train --preset seed --model lenet5 (the seed's settings, 30 epochs)"
run_mpi 2 "$BIN" train --data "$DATA_DIR" --preset seed --model lenet5 --summary "$WORK/seed.json" > "$WORK/seed.log"

python3 - "$WORK/family.json" "$WORK/seed.json" "$OUT" <<'PY'
import json, sys
family, seed = (json.load(open(path)) for path in sys.argv[1:3])
def figures(summary):
    return {"test_accuracy": summary["test_accuracy"], "epochs": summary["epochs"],
            "train_seconds": round(summary["train_seconds"], 3), "seconds_per_epoch": round(summary["seconds_per_epoch"], 3),
            "activation": summary["configuration"]["model"]["activation"],
            "optimizer": summary["configuration"]["optimization"]["optimizer"]["kind"],
            "preset": summary["configuration"]["preset"], "preset_origin": summary["configuration"]["preset_origin"]}
result = {"ranks": family["ranks"], "model_lenet5": figures(family), "seed_settings_lenet5": figures(seed)}
json.dump(result, open(sys.argv[3], "w"), indent=2)
for name, entry in [("--model lenet5", result["model_lenet5"]), ("--preset seed --model lenet5", result["seed_settings_lenet5"])]:
    print(f"{name:30s} {entry['activation']:8s} {entry['optimizer']:5s} {entry['epochs']:3d} epochs "
          f"{100 * entry['test_accuracy']:.2f}%  {entry['seconds_per_epoch']:.2f} s/epoch")
PY
if [ "${RECORD:-0}" = 1 ]; then
  python3 scripts/figures/record.py "$OUT" model-defaults --command "RECORD=1 scripts/model-defaults.sh"
fi
