#!/usr/bin/env bash
# The convolutional model's benchmark, in one run with medians of REPEATS repetitions (the
# configurations interleaved, so drift on a shared machine hits all alike): LeNet-5
# (--preset lenet5) seconds per epoch on 2 ranks with oneDNN's convolution primitives, with
# products on the lowered input (MNIST_MPI_CONVOLUTION=lowered) and with OpenBLAS, the seed MLP
# beside it; 1 rank on half the images against 2 ranks on all (2-rank weak-scaling efficiency
# on shared memory); the preset's time to 99% test accuracy from launch on 2 ranks and its final
# accuracy. Then once each (RECIPES=0 skips them, about 90 s): LeNet-5 with --augment-shift 2
# for 10 epochs to 99.3% (time from launch, final accuracy), and on Fashion-MNIST (if
# data/fashion-mnist is there) a 16/32-filter network for 10 epochs. Then, where a Python with
# torch is installed already (scripts/export/export-test.sh's or bench-frameworks.sh's virtual
# environment; FRAMEWORKS=0 skips it, nothing is downloaded), the same LeNet-5 recipe in PyTorch
# eager on 2 threads and DistributedDataParallel (gloo, 2 x 1 thread): the same global batch,
# learning-rate schedule, He init and evaluation points (scripts/bench/time_to_target.py).
# Where the CPU computes bfloat16, LeNet-5 with --precision bf16 too (epochs and time to 99%),
# and PyTorch with autocast to bfloat16; TensorFlow (a tf.function step, 2 threads) where a
# virtual environment has it (scripts/bench-frameworks.sh makes one).
# Each repetition also times the floor: oneDNN's primitives alone for one rank's epoch (`mnist-mpi
# bench floor --model lenet5`), the compute column's reference. Prints a table and writes
# results/bench-cnn.json (RECORD=1: also docs/results/cnn-CPU.json, which docs/models.md cites;
# under MNIST_MPI_MAX_ISA=avx2, cnn-CPU-max-avx2.json, every framework capped alike).
#   scripts/bench-cnn.sh                    # about 5 minutes on 2 cores
#   REPEATS=5 RECIPES=0 scripts/bench-cnn.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

REPEATS=${REPEATS:-3}
EPOCHS=${EPOCHS:-2}
DATA_DIR=${DATA_DIR:-data/mnist}
OUT=${OUT:-results/bench-cnn.json}
WORK=.build/bench-cnn
BIN=${MNIST_MPI_BIN:-$RELEASE_BIN}

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  ensure_swift
  ensure_packages "${SYSTEM_PACKAGES[@]}" python3
  build release
  scripts/fetch-mnist.sh "$DATA_DIR"
fi
allow_mpi_as_root
mkdir -p "$WORK" "$(dirname "$OUT")"
rm -f "$WORK"/*.json
ONEDNN=yes
onednn_runs "$BIN" || ONEDNN=no
# bfloat16 where the CPU computes it (AVX512_BF16 or AMX): mnist-mpi's convolutions and PyTorch's autocast.
BF16=no
if [ "$ONEDNN" = yes ] && grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then BF16=yes; fi
# MNIST_MPI_MAX_ISA=avx2 (what an AVX2-only CPU runs, on this one): the frameworks capped alike,
# their oneDNN by ONEDNN_MAX_CPU_ISA and PyTorch's own kernels by ATEN_CPU_CAPABILITY; no bfloat16.
case "${MNIST_MPI_MAX_ISA:-}" in
  avx2) export ONEDNN_MAX_CPU_ISA=${ONEDNN_MAX_CPU_ISA:-AVX2} ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-avx2}; BF16=no ;;
  sse2) export ONEDNN_MAX_CPU_ISA=${ONEDNN_MAX_CPU_ISA:-SSE41} ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-default}; BF16=no ;;
  "") ;;
  *) say "MNIST_MPI_MAX_ISA=$MNIST_MPI_MAX_ISA: the frameworks run uncapped" ;;
esac

train_run() {  # name ranks extra-args...
  local name=$1 ranks=$2; shift 2
  run_mpi "$ranks" "$BIN" train --data "$DATA_DIR" --epochs "$EPOCHS" --eval-every 0 --log-every 1000 \
    --summary "$WORK/$name.json" "$@" > /dev/null
}
for repeat in $(seq 1 "$REPEATS"); do
  say "LeNet-5 and the seed MLP, repetition $repeat of $REPEATS (oneDNN: $ONEDNN)"
  if [ "$ONEDNN" = yes ]; then
    train_run "lenet5-primitives-$repeat" 2 --preset lenet5
    [ "$BF16" = no ] || train_run "lenet5-bf16-$repeat" 2 --preset lenet5 --precision bf16
    MNIST_MPI_CONVOLUTION=lowered train_run "lenet5-lowered-$repeat" 2 --preset lenet5
    # The floor of one rank's epoch above (300 batches of 100): oneDNN's primitives alone.
    "$BIN" bench floor --model lenet5 --batch-size 100 --steps 300 --repeat 2 > "$WORK/floor-lenet5-$repeat.json"
  fi
  train_run "lenet5-openblas-$repeat" 2 --preset lenet5 --kernels openblas
  train_run "lenet5-np1-half-$repeat" 1 --preset lenet5 --train-limit 30000
  train_run "mlp-seed-$repeat" 2
  run_mpi 2 "$BIN" train --data "$DATA_DIR" --preset lenet5 --target-accuracy 0.99 --target-eval-steps 150 \
    --log-every 1000 --summary "$WORK/target-$repeat.json" > /dev/null
  [ "$BF16" = no ] || run_mpi 2 "$BIN" train --data "$DATA_DIR" --preset lenet5 --precision bf16 --target-accuracy 0.99 \
    --target-eval-steps 150 --log-every 1000 --summary "$WORK/target-bf16-$repeat.json" > /dev/null
done

FASHION_DIR=${FASHION_DIR:-data/fashion-mnist}
if [ "${RECIPES:-1}" = 1 ]; then
  say "LeNet-5 with --augment-shift 2, 10 epochs, to 99.3%"
  run_mpi 2 "$BIN" train --data "$DATA_DIR" --preset lenet5 --augment-shift 2 --epochs 10 --target-accuracy 0.993 \
    --target-eval-steps 300 --log-every 1000 --summary "$WORK/recipe-993.json" > /dev/null
  if [ -f "$FASHION_DIR/train-images-idx3-ubyte" ] || [ -f "$FASHION_DIR/train-images-idx3-ubyte.gz" ]; then
    say "Fashion-MNIST: conv5x5x16p2,maxpool2,conv5x5x32p2,maxpool2,fc128,fc10, 10 epochs"
    run_mpi 2 "$BIN" train --dataset fashion-mnist --data "$FASHION_DIR" --preset lenet5 \
      --model conv5x5x16p2,maxpool2,conv5x5x32p2,maxpool2,fc128,fc10 --lr 0.003 --epochs 10 --log-every 1000 \
      --summary "$WORK/recipe-fashion.json" > /dev/null
  else
    say "SKIPPED: Fashion-MNIST (no $FASHION_DIR: scripts/fetch-mnist.sh --dataset fashion-mnist)"
  fi
fi

# The frameworks from the virtual environments other scripts made (nothing is downloaded here).
TORCH_PYTHON="" TENSORFLOW_PYTHON=""
for venv in "$(tool_cache_dir)/frameworks-venv" "$(tool_cache_dir)/export-venv"; do
  if [ -z "$TORCH_PYTHON" ] && [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import torch" 2>/dev/null; then
    TORCH_PYTHON=$venv/bin/python
  fi
  if [ -z "$TENSORFLOW_PYTHON" ] && [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import tensorflow" 2>/dev/null; then
    TENSORFLOW_PYTHON=$venv/bin/python
  fi
done
# mnist-mpi's schedule on 2 ranks: lr 0.004 x sqrt(2), warm-up 600 steps, cosine to step 900.
recipe=(--data "$DATA_DIR" --model lenet5 --activation relu --batch 200 --base-lr 0.004 --factor 1.4142135623730951
        --warmup-steps 600 --decay cosine --total-steps 900 --target 0.99 --eval-steps 150 --max-epochs 3)
if [ "${FRAMEWORKS:-1}" = 1 ] && [ -n "$TORCH_PYTHON" ]; then
  say "PyTorch ($TORCH_PYTHON): LeNet-5, the same recipe, eager on 2 threads"
  "$TORCH_PYTHON" scripts/bench/time_to_target.py torch eager 2 "${recipe[@]}" > "$WORK/torch-eager.json"
  if [ "$BF16" = yes ]; then
    say "PyTorch: eager on 2 threads, autocast to bfloat16"
    "$TORCH_PYTHON" scripts/bench/time_to_target.py torch eager 2 --bf16 "${recipe[@]}" > "$WORK/torch-eager-bf16.json"
  fi
  say "PyTorch: DistributedDataParallel, gloo, 2 processes x 1 thread"
  # torch's process teardown has aborted once here after the run: a failed DDP run is left out, said so.
  "$TORCH_PYTHON" scripts/bench/time_to_target.py torch ddp 1 "${recipe[@]}" > "$WORK/torch-ddp.json" \
    || { rm -f "$WORK/torch-ddp.json"; say "PyTorch DistributedDataParallel failed (above): left out of the comparison"; }
else
  say "SKIPPED: PyTorch beside it (FRAMEWORKS=0, or no virtual environment with torch: run scripts/export/export-test.sh or scripts/bench-frameworks.sh once)"
fi
if [ "${FRAMEWORKS:-1}" = 1 ] && [ -n "$TENSORFLOW_PYTHON" ]; then
  say "TensorFlow ($TENSORFLOW_PYTHON): LeNet-5, the same recipe, a tf.function step on 2 threads"
  OMP_NUM_THREADS=2 "$TENSORFLOW_PYTHON" scripts/bench/time_to_target.py tensorflow eager 2 "${recipe[@]}" \
    > "$WORK/tensorflow-eager.json"
else
  say "SKIPPED: TensorFlow beside it (FRAMEWORKS=0, or no virtual environment with tensorflow: run scripts/bench-frameworks.sh once)"
fi

python3 - "$WORK" "$REPEATS" "$OUT" "$ONEDNN" "$EPOCHS" <<'PY'
import json, os, statistics, sys
work, repeats, out, onednn, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
def runs(name):
    found = []
    for r in range(1, repeats + 1):
        path = os.path.join(work, f"{name}-{r}.json")
        if os.path.exists(path):
            with open(path) as handle:
                found.append(json.load(handle))
    return found
def median(name, key):
    values = [run[key] for run in runs(name) if run.get(key) is not None]
    return statistics.median(values) if values else None
result = {"epoch_seconds": {}, "compute_seconds": {}, "product_seconds": {}}
names = ["lenet5-openblas", "lenet5-np1-half", "mlp-seed"] + (["lenet5-primitives", "lenet5-lowered"] if onednn == "yes" else [])
names += ["lenet5-bf16"] if runs("lenet5-bf16") else []
for name in names:
    result["epoch_seconds"][name] = median(name, "seconds_per_epoch")
    # The summary's compute and product times are the run's: per epoch here.
    result["compute_seconds"][name] = median(name, "compute_seconds") / epochs
    result["product_seconds"][name] = median(name, "product_seconds") / epochs
two = result["epoch_seconds"]["lenet5-primitives" if onednn == "yes" else "lenet5-openblas"]
result["weak_scaling_efficiency_np2"] = result["epoch_seconds"]["lenet5-np1-half"] / two
if onednn == "yes":
    result["lowered_over_primitives"] = result["epoch_seconds"]["lenet5-lowered"] / two
    result["openblas_over_primitives"] = result["epoch_seconds"]["lenet5-openblas"] / two
    floors = runs("floor-lenet5")
    if floors:
        result["floor_seconds_lenet5"] = statistics.median(run["floor_seconds"] for run in floors)
        result["compute_over_floor_lenet5"] = result["compute_seconds"]["lenet5-primitives"] / result["floor_seconds_lenet5"]
        result["floor_implementations"] = floors[-1]["implementations"]
        result["floor_operations"] = {op["name"]: statistics.median(
            next(o["seconds"] for o in run["products"] if o["name"] == op["name"]) for run in floors)
            for op in floors[-1]["products"]}
result["lenet5_over_mlp_seed"] = two / result["epoch_seconds"]["mlp-seed"]
targets = runs("target")
result["time_to_99_seconds"] = statistics.median(run["time_to_target_seconds"] for run in targets)
result["time_to_99_seconds_all"] = sorted(run["time_to_target_seconds"] for run in targets)
result["target_reached_all"] = all(run["target_reached"] for run in targets)
result["lenet5_final_accuracy"] = statistics.median(run["test_accuracy"] for run in targets)
targets_bf16 = runs("target-bf16")
if targets_bf16:
    result["lenet5_bf16_over_fp32"] = result["epoch_seconds"]["lenet5-bf16"] / two
    result["time_to_99_seconds_bf16"] = statistics.median(run["time_to_target_seconds"] for run in targets_bf16)
    result["time_to_99_seconds_bf16_all"] = sorted(run["time_to_target_seconds"] for run in targets_bf16)
    result["target_reached_all_bf16"] = all(run["target_reached"] for run in targets_bf16)
    result["lenet5_final_accuracy_bf16"] = statistics.median(run["test_accuracy"] for run in targets_bf16)
for name, key in (("recipe-993", "augmented_lenet5"), ("recipe-fashion", "fashion_16_32")):
    path = os.path.join(work, name + ".json")
    if os.path.exists(path):
        with open(path) as handle:
            run = json.load(handle)
        result[key] = {"test_accuracy": run["test_accuracy"], "seconds_per_epoch": run["seconds_per_epoch"],
                       "epochs": run.get("epochs_run", run.get("epochs"))}
        if run.get("target_accuracy") is not None:
            result[key]["time_to_target_seconds"] = run.get("time_to_target_seconds")
            result[key]["target_reached"] = run.get("target_reached")
def framework_runs(framework, modes):
    found = {}
    for mode in modes:
        path = os.path.join(work, f"{framework}-{mode}.json")
        if os.path.exists(path):
            with open(path) as handle:
                run = json.loads(handle.read().strip().splitlines()[-1])
            epochs_done = run["target_epochs"] if run["reached"] else 3
            found[mode] = {"epoch_seconds": run["training_seconds"] / epochs_done, "run_seconds": run["run_seconds"],
                           "best_accuracy": run["best_accuracy"], "reached": run["reached"],
                           "time_to_target_seconds": run.get("time_to_target_seconds"), "version": run["version"]}
    return found
# mnist-mpi's fastest epoch (bfloat16 where it ran) against each framework's fastest.
fastest = min(two, result["epoch_seconds"].get("lenet5-bf16") or two)
fastest_to_99 = min(result["time_to_99_seconds"], result.get("time_to_99_seconds_bf16") or result["time_to_99_seconds"])
result["mnist_mpi_fastest_epoch_seconds"] = fastest
for framework, key, modes in (("torch", "pytorch", ("eager", "eager-bf16", "ddp")), ("tensorflow", "tensorflow", ("eager",))):
    frameworks = framework_runs(framework, modes)
    if not frameworks:
        continue
    result[key] = frameworks
    best = min(run["epoch_seconds"] for run in frameworks.values())
    result[f"{key}_best_epoch_over_mnist_mpi"] = best / two
    result[f"{key}_best_epoch_over_mnist_mpi_fastest"] = best / fastest
    targets_seconds = [run["time_to_target_seconds"] for run in frameworks.values() if run["reached"]]
    if targets_seconds:
        result[f"{key}_best_time_to_99_over_mnist_mpi"] = min(targets_seconds) / fastest_to_99
with open(out, "w") as handle:
    json.dump(result, handle, indent=1, sort_keys=True)
print(f"{'per epoch (2 ranks unless np1)':40s} seconds  compute  products")
for name in names:
    print(f"{name:40s} {result['epoch_seconds'][name]:7.3f}  {result['compute_seconds'][name]:7.3f}  {result['product_seconds'][name]:7.3f}")
print(f"2-rank weak-scaling efficiency (shared memory): {result['weak_scaling_efficiency_np2']:.2f}")
if onednn == "yes":
    print(f"lowered / primitives: {result['lowered_over_primitives']:.2f}x, OpenBLAS / primitives: {result['openblas_over_primitives']:.2f}x")
if "compute_over_floor_lenet5" in result:
    print(f"LeNet-5 compute per epoch / oneDNN primitives' floor (bench floor --model lenet5): "
          f"{result['compute_over_floor_lenet5']:.2f}x ({result['floor_seconds_lenet5']:.3f} s floor; target 1.3x)")
print(f"time to 99% from launch (--preset lenet5, 2 ranks): median {result['time_to_99_seconds']:.2f} s of {result['time_to_99_seconds_all']}, "
      f"every run reached it: {result['target_reached_all']}; final accuracy {100 * result['lenet5_final_accuracy']:.2f}%")
if "augmented_lenet5" in result:
    r = result["augmented_lenet5"]
    print(f"LeNet-5, --augment-shift 2, 10 epochs: {100 * r['test_accuracy']:.2f}%, 99.3% reached: {r.get('target_reached')} "
          f"({r.get('time_to_target_seconds')} s from launch)")
if "lenet5_bf16_over_fp32" in result:
    print(f"LeNet-5 --precision bf16 / fp32 epoch: {result['lenet5_bf16_over_fp32']:.2f}; time to 99% in bf16: median "
          f"{result['time_to_99_seconds_bf16']:.2f} s of {result['time_to_99_seconds_bf16_all']}, every run reached it: "
          f"{result['target_reached_all_bf16']}; final accuracy {100 * result['lenet5_final_accuracy_bf16']:.2f}%")
for key, name in (("pytorch", "PyTorch"), ("tensorflow", "TensorFlow")):
    for mode, run in result.get(key, {}).items():
        print(f"{name} {run['version']} {mode}: {run['epoch_seconds']:.2f} s/epoch (training, evaluations apart), "
              f"best accuracy {100 * run['best_accuracy']:.2f}%, 99% reached: {run['reached']}")
    if f"{key}_best_epoch_over_mnist_mpi" in result:
        print(f"best {name} epoch / mnist-mpi's: {result[f'{key}_best_epoch_over_mnist_mpi']:.2f}x float32, "
              f"{result[f'{key}_best_epoch_over_mnist_mpi_fastest']:.2f}x mnist-mpi's fastest (target 3x)")
if "fashion_16_32" in result:
    r = result["fashion_16_32"]
    print(f"Fashion-MNIST, 16/32 filters, 10 epochs: {100 * r['test_accuracy']:.2f}% ({r['seconds_per_epoch']:.2f} s/epoch)")
PY
say "wrote $OUT"
if [ "${RECORD:-0}" = 1 ]; then
  python3 scripts/figures/record.py "$OUT" cnn --command "RECORD=1 scripts/bench-cnn.sh"
fi
