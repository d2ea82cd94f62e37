#!/usr/bin/env bash
# The MPICH checks (what `MPI=mpich scripts/test.sh` runs, and what scripts/test.sh runs after
# the Open MPI suite): build against MPICH into .build-mpich, the MPI layer's tests in a
# singleton world, the example, the exact-collectives self-test on 2 and 3 ranks (sum, average,
# max, min, broadcast, nonblocking, bfloat16 MPI_Op, the raw C loop, the shared-memory window),
# and trainings on 2 and 3 ranks launched by mpiexec.mpich: every gradient path (shared memory,
# MPI_Allreduce, overlapped, bf16, PowerSGD) ends with identical parameters on every rank, and
# a bad data folder ends every rank with one line. The launch-behaviour tests of the Swift suite
# (exact stderr lines on aborts, pids under mpirun) stay Open MPI's: MPICH's hydra prints its
# own line when a rank aborts.
#   scripts/mpich-test.sh        (DATA_DIR as scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export MPI=mpich
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

DATA_DIR=${DATA_DIR:-data/mnist}
ensure_swift
ensure_packages "${SYSTEM_PACKAGES[@]}" python3
build release
scripts/fetch-mnist.sh "$DATA_DIR"
BIN=$RELEASE_BIN
WORK=$BUILD_DIR/mpich-test
rm -rf "$WORK"
mkdir -p "$WORK"
launcher=$(mpi_launcher)

say "MPICH $(pkg-config --modversion mpich): built into $BUILD_DIR, launched by $launcher"
say "MPICH: the MPI layer's tests in a singleton world (swift test --filter MPITests)"
use_mpi_pkgconfig
swift test --scratch-path "$BUILD_DIR" --filter MPITests 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; } | tail -n 3

say "MPICH: the SwiftMPI example on 2 ranks"
run_mpi 2 "$BUILD_DIR/release/mpi-ping" 2000
for ranks in 2 3; do
  say "MPICH: selftest on $ranks ranks"
  run_mpi "$ranks" "$BIN" selftest | tee "$WORK/selftest-$ranks.txt"
  grep -q "selftest: 12 passed, 0 failed on $ranks ranks" "$WORK/selftest-$ranks.txt" \
    || die "MPICH selftest on $ranks ranks did not pass every check"
done

# Trains with $2... on $1 ranks; checks identical parameters on every rank and the accuracy.
train_and_check() {
  local ranks=$1 name=$2 minimum=$3; shift 3
  local folder=$WORK/$name
  mkdir -p "$folder"
  MNIST_MPI_TEST_HOOKS="rank-parameters-dir=$folder" run_mpi "$ranks" "$BIN" train --data "$DATA_DIR" --eval-every 0 \
    --summary "$folder/summary.json" "$@" > "$folder/log.txt"
  python3 - "$folder" "$ranks" "$minimum" "$name" <<'CHECK'
import json, sys
folder, ranks, minimum, name = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
summary = json.load(open(f"{folder}/summary.json"))
parameters = [open(f"{folder}/rank-{r}.f32", "rb").read() for r in range(ranks)]
problems = []
if summary["ranks"] != ranks:
    problems.append(f"{summary['ranks']} ranks ran, not {ranks}")
if any(p != parameters[0] for p in parameters):
    problems.append("the ranks ended with different parameters")
if summary["test_accuracy"] < minimum:
    problems.append(f"accuracy {summary['test_accuracy']:.4f} below {minimum}")
if not summary["mpi_library"].startswith("MPICH"):
    problems.append(f"the summary names {summary['mpi_library']!r} as the MPI library")
print(f"mpich: {name}: {ranks} ranks, {summary['mpi_library']}, {summary['allreduce_method']}, "
      f"{summary['kernels']} {summary['precision']}, test accuracy "
      f"{summary['test_accuracy'] * 100:.2f}%, {summary['seconds_per_epoch']:.2f} s/epoch, "
      f"identical parameters: {not any(p != parameters[0] for p in parameters)}")
if problems:
    sys.exit(f"error: MPICH {name}: " + "; ".join(problems))
CHECK
}

say "MPICH: trainings (seed preset unless named)"
train_and_check 2 seed-2-ranks 0.80 --epochs 3
train_and_check 3 seed-3-ranks 0.70 --epochs 2 --train-limit 30000
train_and_check 2 mpi-allreduce 0.75 --epochs 2 --allreduce mpi
train_and_check 2 overlap 0.75 --epochs 2 --overlap
train_and_check 2 bf16-wire 0.75 --epochs 2 --compression bf16
train_and_check 2 openblas 0.75 --epochs 2 --kernels openblas
if onednn_runs "$BIN" bf16; then
  train_and_check 2 bf16-products 0.75 --epochs 2 --precision bf16
else
  say "SKIPPED: MPICH with --precision bf16 (oneDNN missing, or no native bfloat16 on this CPU)"
fi
train_and_check 2 powersgd 0.90 --epochs 2 --preset improved --compression powersgd --powersgd-warmup-steps 20
# Deterministic mode: 1, 2 and 3 ranks (24 micro-batches) end with the same bytes under MPICH.
for ranks in 1 2 3; do
  train_and_check "$ranks" "deterministic-$ranks" 0.25 --epochs 1 --train-limit 12000 --global-batch 600 --deterministic
done
for ranks in 2 3; do
  cmp -s "$WORK/deterministic-1/rank-0.f32" "$WORK/deterministic-$ranks/rank-0.f32" \
    || die "MPICH: --deterministic on $ranks ranks ended with other bits than on 1 rank"
done
say "MPICH: --deterministic gave the same bits on 1, 2 and 3 ranks ($(grep 'parameter fingerprint' "$WORK/deterministic-1/log.txt"))"

say "MPICH: a missing data folder ends every rank with one line"
status=0
run_mpi 2 "$BIN" train --data /no/such/mnist-folder > "$WORK/bad.out" 2> "$WORK/bad.err" || status=$?
lines=$(grep -c . "$WORK/bad.err" || true)
if [ "$status" -eq 0 ] || [ "$lines" -ne 1 ] || ! grep -q "^error: .*/no/such/mnist-folder" "$WORK/bad.err"; then
  die "MPICH: a missing data folder gave status $status and $lines stderr lines: $(cat "$WORK/bad.err")"
fi
say "MPICH: all checks passed"
