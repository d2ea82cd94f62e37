#!/usr/bin/env bash
# Every layer type's gradients against PyTorch autograd: for each activation and each kernel
# library, a model of every layer type (convolution with padding, convolution with stride 2,
# max pooling, average pooling, flatten, dense) takes one gentle SGD step (lr 0.01, so the check
# is not at the initial weights), then one step of lr 20 over the same batch (the first 100
# training images, the whole training set of a folder made for it); both checkpoints are
# exported to safetensors, and scripts/export/check_autograd.py has PyTorch (float64 autograd)
# take the second step: each tensor's step must agree to 1e-5 of its largest value.
# The large second step keeps float32's rounding of the weights (1e-8 here) far below that.
# Needs torch in the export readers' virtual environment (scripts/export/export-test.sh
# installs it); says SKIPPED otherwise.
#   scripts/export/autograd-test.sh   (after scripts/test.sh's set-up; MNIST_MPI_BIN, DATA_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

BIN=${MNIST_MPI_BIN:-.build/release/mnist-mpi}
DATA_DIR=${DATA_DIR:-data/mnist}
VENV=${EXPORT_VENV:-$(tool_cache_dir)/export-venv}
MODEL=conv5x5x6p2,maxpool2,conv3x3x8s2,avgpool2,fc32,fc10
LEARNING_RATE=20
WORK=.build/autograd-test
rm -rf "$WORK"
mkdir -p "$WORK/data"

if ! [ -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch, safetensors" 2>/dev/null; then
  say "SKIPPED: gradients against PyTorch autograd (no torch in $VENV: scripts/export/export-test.sh installs it)"
  exit 0
fi

# The batch: the first 100 training (and test) images, as IDX files of their own.
python3 - "$DATA_DIR" "$WORK/data" <<'PY'
import gzip, os, sys
source, target = sys.argv[1], sys.argv[2]
for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
    path = os.path.join(source, stem)
    data = open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz").read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    size = 1
    for extent in shape[1:]:
        size *= extent
    header = bytearray(data[:4 + 4 * dims])
    header[4:8] = (100).to_bytes(4, "big")
    open(os.path.join(target, stem), "wb").write(bytes(header) + data[4 + 4 * dims: 4 + 4 * dims + 100 * size])
PY

for activation in sigmoid relu tanh; do
  for kernels in onednn openblas; do
    say "gradients against PyTorch autograd: $MODEL, $activation, --kernels $kernels"
    common=(--data "$WORK/data" --model "$MODEL" --activation "$activation" --kernels "$kernels" --init he
      --optimizer sgd --lr-decay none --batch-size 100 --eval-every 0)  # a plain step: no decay, whatever the model brings
    rm -f "$WORK/before.ckpt" "$WORK/after.ckpt"
    run_mpi 1 "$BIN" train "${common[@]}" --lr 0.01 --epochs 1 --checkpoint "$WORK/before.ckpt" > "$WORK/before.log"
    cp "$WORK/before.ckpt" "$WORK/after.ckpt"
    run_mpi 1 "$BIN" train "${common[@]}" --lr "$LEARNING_RATE" --epochs 2 --resume --checkpoint "$WORK/after.ckpt" \
      > "$WORK/after.log"
    for checkpoint in before after; do
      "$BIN" export --checkpoint "$WORK/$checkpoint.ckpt" --output "$WORK/$checkpoint.safetensors" --data "$WORK/data" > /dev/null
    done
    "$VENV/bin/python" scripts/export/check_autograd.py --data "$WORK/data" --before "$WORK/before.safetensors" \
      --after "$WORK/after.safetensors" --lr "$LEARNING_RATE"
  done
done
