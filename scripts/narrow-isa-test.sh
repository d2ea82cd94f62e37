#!/usr/bin/env bash
# The narrow paths on any machine: what an AVX2-only CPU (or an older one) runs, tested where
# the CPU is wider. MNIST_MPI_MAX_ISA caps the project's own C dispatch (the element-wise
# passes, pooling, float16 and bfloat16 conversions) and, unless ONEDNN_MAX_CPU_ISA is set,
# oneDNN too. Under avx2 and then sse2 (with ONEDNN_MAX_CPU_ISA=SSE41):
#   1. the kernel, element-wise, pooling, float16 and primitive-floor tests (swift test --filter);
#   2. LeNet-5 trained deterministically on 1 and 2 ranks: the banner names the capped
#      instruction set and oneDNN's kernels for it, and both rank counts end with the same bits;
#   3. the improved preset with PowerSGD on OpenBLAS (Adam's, ReLU's and PowerSGD's passes in
#      C), OpenBLAS held to one kernel: the same bits as without the cap (every clone computes
#      the same bits).
# On a CPU narrower than a cap, the cap changes nothing and the same checks run natively.
#   scripts/narrow-isa-test.sh          (after scripts/test.sh's set-up; about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

DATA_DIR=${DATA_DIR:-data/mnist}
BIN=${MNIST_MPI_BIN:-$RELEASE_BIN}
WORK=.build/narrow-isa
SUITES="NeuralNetTests|DiagnosticsTests|Float16CodecTests"
mkdir -p "$WORK"

# Runs "$@" (a command or one of this script's functions) with MNIST_MPI_MAX_ISA=$1 and, when $2
# is not empty, ONEDNN_MAX_CPU_ISA=$2.
capped() (
  export MNIST_MPI_MAX_ISA=$1
  if [ -n "$2" ]; then export ONEDNN_MAX_CPU_ISA=$2; fi
  shift 2
  "$@"
)

# $1: the cap; $2: oneDNN's own cap, or "" (MNIST_MPI_MAX_ISA caps oneDNN then).
check_cap() {
  local cap=$1 onednn=$2
  say "MNIST_MPI_MAX_ISA=$cap${onednn:+ ONEDNN_MAX_CPU_ISA=$onednn}: swift test --filter '$SUITES'"
  capped "$cap" "$onednn" swift test --skip-build --filter "$SUITES" > "$WORK/tests-$cap.log" 2>&1 \
    || { grep -E "✘|error" "$WORK/tests-$cap.log" >&2; die "the tests failed under MNIST_MPI_MAX_ISA=$cap (above; $WORK/tests-$cap.log)"; }
  grep -E "Test run with [0-9]+ tests" "$WORK/tests-$cap.log" | tail -n 1
  local ranks fingerprints=()
  for ranks in 1 2; do
    capped "$cap" "$onednn" run_mpi "$ranks" "$BIN" train --data "$DATA_DIR" --model lenet5 --epochs 1 \
      --train-limit 1200 --test-limit 500 --global-batch 200 --deterministic --same-bits-on 1,2 > "$WORK/train-$cap-$ranks.log"
    grep -q "element-wise $cap" "$WORK/train-$cap-$ranks.log" \
      || die "the banner under MNIST_MPI_MAX_ISA=$cap does not name $cap: $(head -n 1 "$WORK/train-$cap-$ranks.log")"
    if grep -oE "oneDNN [0-9.]+ fp32 \([^)]*\)" "$WORK/train-$cap-$ranks.log" | grep -q avx512; then
      die "oneDNN ran AVX-512 kernels under MNIST_MPI_MAX_ISA=$cap: $(grep -oE "oneDNN [0-9.]+ fp32 \([^)]*\)" "$WORK/train-$cap-$ranks.log")"
    fi
    fingerprints+=("$(grep -oE "parameter fingerprint [0-9a-f]+" "$WORK/train-$cap-$ranks.log")")
  done
  [ "${fingerprints[0]}" = "${fingerprints[1]}" ] \
    || die "MNIST_MPI_MAX_ISA=$cap: 1 and 2 ranks differ with --deterministic (${fingerprints[0]}, ${fingerprints[1]})"
  OPENBLAS_CORETYPE=$ELEMENTWISE_CORE capped "$cap" "$onednn" run_mpi 2 "$BIN" "${ELEMENTWISE_RUN[@]}" \
    > "$WORK/elementwise-$cap.log"
  local capped_bits
  capped_bits=$(grep -oE "parameter fingerprint [0-9a-f]+" "$WORK/elementwise-$cap.log")
  [ "$capped_bits" = "$NATIVE_BITS" ] \
    || die "MNIST_MPI_MAX_ISA=$cap changed the element-wise passes' bits ($capped_bits, natively $NATIVE_BITS)"
  say "MNIST_MPI_MAX_ISA=$cap: LeNet-5 on 1 and 2 ranks, $(grep -oE "oneDNN [0-9.]+ fp32 \([^)]*\)" "$WORK/train-$cap-1.log" || echo OpenBLAS), the same bits (${fingerprints[0]}); Adam, ReLU and PowerSGD on OpenBLAS the bits of the uncapped run"
}

swift build --build-tests > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "swift build --build-tests failed"; }
ELEMENTWISE_RUN=(train --data "$DATA_DIR" --preset improved --epochs 1 --train-limit 6000 --test-limit 500
  --kernels openblas --compression powersgd --allreduce mpi)
# One OpenBLAS kernel for both sides (the cap would narrow it too, and other kernels round their
# sums otherwise): SSE3's, which every x86-64 CPU here runs.
ELEMENTWISE_CORE=Prescott
OPENBLAS_CORETYPE=$ELEMENTWISE_CORE run_mpi 2 "$BIN" "${ELEMENTWISE_RUN[@]}" > "$WORK/elementwise-native.log"
NATIVE_BITS=$(grep -oE "parameter fingerprint [0-9a-f]+" "$WORK/elementwise-native.log")
check_cap avx2 ""
check_cap sse2 SSE41
