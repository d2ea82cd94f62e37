#!/usr/bin/env bash
# Side by side in one run: the original TensorFlow 1 program's model (tf.compat.v1 graph mode,
# TensorFlow from PyPI's tensorflow-cpu, in a virtual environment under .build/) on 1 and 2
# threads, and mnist-mpi on 1 and 2 ranks, the seed configuration, median seconds per epoch.
# Where OPENBLAS_CORETYPE pins OpenBLAS to an older kernel (as on this project's machines),
# mnist-mpi also runs with it unset for that command alone, since TensorFlow's oneDNN uses the
# CPU's own vector width; the report names the OpenBLAS kernel of each run.
# Not part of scripts/test.sh (it downloads ~270 MB once).
#   scripts/bench-frameworks.sh            # EPOCHS=3 by default
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

EPOCHS=${EPOCHS:-3}
DATA_DIR=${DATA_DIR:-data/mnist}
VENV=.build/frameworks-venv
WORK=.build/bench-frameworks
OUT=${OUT:-results/bench-frameworks.json}

ensure_swift
ensure_packages "${SYSTEM_PACKAGES[@]}" python3
build release
scripts/fetch-mnist.sh "$DATA_DIR"
if [ ! -x "$VENV/bin/python" ]; then
  say "making $VENV with tensorflow-cpu (PyPI, once)"
  python3 -m venv "$VENV" || die "python3 -m venv failed: install python3-venv"
  "$VENV/bin/pip" install --quiet tensorflow-cpu numpy || die "pip install tensorflow-cpu failed"
fi
mkdir -p "$WORK" "$(dirname "$OUT")"
rm -f "$WORK"/*.json

for threads in 1 2; do
  say "TensorFlow, $threads thread(s), $EPOCHS epochs"
  OMP_NUM_THREADS=$threads "$VENV/bin/python" scripts/bench/tensorflow_seed.py "$DATA_DIR" "$threads" "$EPOCHS" \
    > "$WORK/tensorflow-$threads.json"
done
kernel() {  # the OpenBLAS kernel this environment selects
  OPENBLAS_VERBOSE=2 "$RELEASE_BIN" bench floor --steps 1 --repeat 1 2>&1 | sed -n 's/^Core: //p' | head -n1
}
variants=(configured)
[ -n "${OPENBLAS_CORETYPE:-}" ] && variants+=(native)
for variant in "${variants[@]}"; do
  if [ "$variant" = native ]; then
    unset_blas=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
  else
    unset_blas=(env)
  fi
  "${unset_blas[@]}" bash -c "$(declare -f kernel); kernel" > "$WORK/kernel-$variant.txt"
  for ranks in 1 2; do
    say "mnist-mpi, $ranks rank(s), $EPOCHS epochs, OpenBLAS kernel $(cat "$WORK/kernel-$variant.txt")"
    "${unset_blas[@]}" bash -c "source scripts/lib/setup.sh; run_mpi $ranks $RELEASE_BIN train \
      --data '$DATA_DIR' --epochs $EPOCHS --eval-every 0 --log-every 1000 \
      --metrics '$WORK/mnist-mpi-$variant-$ranks.jsonl' --summary '$WORK/mnist-mpi-$variant-$ranks.json'" > /dev/null
  done
done

python3 - "$WORK" "$OUT" <<'REPORT'
import glob, json, os, statistics, sys
work, out = sys.argv[1], sys.argv[2]
rows = {}
for threads in (1, 2):
    tf = json.load(open(f"{work}/tensorflow-{threads}.json"))
    rows[f"TensorFlow {tf['version']}, {threads} thread(s)"] = (tf["median_epoch_seconds"], tf["test_accuracy"])
for variant in ("configured", "native"):
    if not os.path.exists(f"{work}/kernel-{variant}.txt"):
        continue
    kernel = open(f"{work}/kernel-{variant}.txt").read().strip()
    for ranks in (1, 2):
        epochs = [json.loads(line) for line in open(f"{work}/mnist-mpi-{variant}-{ranks}.jsonl")]
        summary = json.load(open(f"{work}/mnist-mpi-{variant}-{ranks}.json"))
        rows[f"mnist-mpi, {ranks} rank(s), OpenBLAS {kernel}"] = (
            statistics.median(e["seconds"] for e in epochs), summary["test_accuracy"])
best_tf = min(v[0] for k, v in rows.items() if k.startswith("TensorFlow"))
print("\n| run | median s/epoch | test accuracy | TensorFlow's best / this |\n|---|---|---|---|")
for name, (seconds, accuracy) in rows.items():
    print(f"| {name} | {seconds:.3f} | {accuracy * 100:.2f}% | {best_tf / seconds:.2f} x |")
json.dump({name: {"median_epoch_seconds": s, "test_accuracy": a} for name, (s, a) in rows.items()},
          open(out, "w"), indent=2)
print(f"\nwritten: {out}")
REPORT
