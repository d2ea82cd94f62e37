#!/usr/bin/env bash
# The trained model leaves the trainer, checked with the real readers from PyPI:
#  1. real runs (the seed preset, sigmoid, and the improved one, ReLU; 2 ranks, full MNIST,
#     3 epochs; LeNet-5, 1 epoch) write checkpoints;
#  2. `mnist-mpi export` writes it as ONNX and as safetensors;
#  3. onnx.checker, ONNX Runtime, safetensors and PyTorch's load_state_dict count the same correct
#     test images as `mnist-mpi evaluate` (exactly), logits within 1e-5 of each row's scale;
#  4. `mnist-mpi predict` on test images written as PNG/PGM (the same answers as evaluate),
#     enlarged black-on-white copies, and digits drawn with thick strokes.
# The readers live in ~/.cache/mnist-mpi/export-venv (onnx, onnxruntime, safetensors, numpy; torch where
# it installs within EXPORT_TORCH_SECONDS - PyPI's wheel brings CUDA libraries, ~2 min here).
#   scripts/export/export-test.sh   (after scripts/test.sh's set-up; MNIST_MPI_BIN, DATA_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

BIN=${MNIST_MPI_BIN:-.build/release/mnist-mpi}
DATA_DIR=${DATA_DIR:-data/mnist}
VENV=${EXPORT_VENV:-$(tool_cache_dir)/export-venv}
EXPORT_TORCH_SECONDS=${EXPORT_TORCH_SECONDS:-400}
WORK=.build/export-test
rm -rf "$WORK"
mkdir -p "$WORK/images"

PRESETS=(seed improved lenet5)
declare -A correct
for preset in "${PRESETS[@]}"; do
  if [ "$preset" = lenet5 ]; then
    say "export: training LeNet-5 (convolutions, pooling), 2 ranks, 1 epoch, full MNIST; export to ONNX and safetensors"
    run_mpi 2 "$BIN" train --model lenet5 --activation relu --init he --optimizer adam --lr 0.002 --epochs 1 \
      --data "$DATA_DIR" --checkpoint "$WORK/$preset.ckpt" > "$WORK/$preset-train.log"
  else
    say "export: training the $preset preset, 2 ranks, 3 epochs, full MNIST; export to ONNX and safetensors"
    run_mpi 2 "$BIN" train --preset "$preset" --epochs 3 --data "$DATA_DIR" --checkpoint "$WORK/$preset.ckpt" > "$WORK/$preset-train.log"
  fi
  grep -E '^test accuracy' "$WORK/$preset-train.log" >&2
  "$BIN" export --checkpoint "$WORK/$preset.ckpt" --output "$WORK/$preset.onnx" --data "$DATA_DIR"
  "$BIN" export --checkpoint "$WORK/$preset.ckpt" --output "$WORK/$preset.safetensors" --data "$DATA_DIR"
  "$BIN" evaluate --checkpoint "$WORK/$preset.ckpt" --data "$DATA_DIR" --save-logits "$WORK/$preset-logits.f32" > "$WORK/$preset-evaluate.log"
  correct[$preset]=$(sed -n 's/^test accuracy .* (\([0-9]*\) of [0-9]*)$/\1/p' "$WORK/$preset-evaluate.log")
  [ -n "${correct[$preset]}" ] || die "mnist-mpi evaluate printed no count (see $WORK/$preset-evaluate.log)"
done

say "predict: test images as PNG and PGM, enlarged and inverted copies, drawn digits"
python3 scripts/export/predict_images.py write --data "$DATA_DIR" --out "$WORK/images" --count 200
"$BIN" predict --checkpoint "$WORK/improved.ckpt" --json "$WORK"/images/* > "$WORK/predict.json"
"$BIN" predict --checkpoint "$WORK/improved.ckpt" "$WORK"/images/drawn-*.png >&2
python3 scripts/export/predict_images.py check --out "$WORK/images" --json "$WORK/predict.json" \
  --logits "$WORK/improved-logits.f32"
"$BIN" predict --checkpoint "$WORK/lenet5.ckpt" --json "$WORK"/images/* > "$WORK/predict-lenet5.json"
python3 scripts/export/predict_images.py check --out "$WORK/images" --json "$WORK/predict-lenet5.json" \
  --logits "$WORK/lenet5-logits.f32"

lock_venv "$VENV"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import onnx, onnxruntime, safetensors" 2>/dev/null; then
  say "installing the readers into $VENV (PyPI: onnx, onnxruntime, safetensors, numpy; once)"
  ensure_packages python3-venv
  rm -rf "$VENV"
  if ! { python3 -m venv "$VENV" \
         && timeout 600 "$VENV/bin/pip" install --quiet --disable-pip-version-check onnx onnxruntime safetensors numpy; }; then
    say "SKIPPED: the ONNX and safetensors readers (pip install from PyPI failed or took over 10 min)"
    exit 0
  fi
fi
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  say "installing torch into $VENV (PyPI, at most ${EXPORT_TORCH_SECONDS} s)"
  timeout "$EXPORT_TORCH_SECONDS" "$VENV/bin/pip" install --quiet --disable-pip-version-check torch \
    || say "SKIPPED: PyPI's torch did not install within ${EXPORT_TORCH_SECONDS} s: safetensors checked with numpy instead"
fi
for preset in "${PRESETS[@]}"; do
  say "export ($preset): the PyPI readers against mnist-mpi evaluate (${correct[$preset]} correct)"
  "$VENV/bin/python" scripts/export/check_export.py --data "$DATA_DIR" --onnx "$WORK/$preset.onnx" \
    --safetensors "$WORK/$preset.safetensors" --logits "$WORK/$preset-logits.f32" --correct "${correct[$preset]}"
done
