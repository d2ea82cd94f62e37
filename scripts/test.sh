#!/usr/bin/env bash
# Set-up as scripts/train.sh, then every test: the unit tests and the multi-rank tests
# (which launch mpirun -np 2 and -np 3 on the release binary) through `swift test`, and the
# MPICH checks (scripts/mpich-test.sh). MPI=mpich scripts/test.sh runs the MPICH checks alone.
#
# scripts/test.sh --unit: the contributors' fast loop - the same set-up, then only `swift test`
# (unit and multi-rank tests, a few minutes): no clusters, Docker, MPICH, fuzzing or browsers.
set -euo pipefail
cd "$(dirname "$0")/.."
UNIT_ONLY=0
case "${1:-}" in
  --unit) UNIT_ONLY=1 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--unit]" >&2; exit 2 ;;
esac
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh
# Every phase line of this script with the minutes since it started (the whole must stay near
# 20 minutes: the log shows where they go).
say() { printf '==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

# MPI=mpich: the MPICH checks alone (the Swift suite's launch-behaviour tests are Open MPI's).
if [ "$MPI" = mpich ]; then
  exec scripts/mpich-test.sh
fi

DATA_DIR=${DATA_DIR:-data/mnist}
FASHION_DATA_DIR=${FASHION_DATA_DIR:-data/fashion-mnist}

ensure_swift
if [ "$UNIT_ONLY" = 1 ]; then
  ensure_packages "${SYSTEM_PACKAGES[@]}"
else
  ensure_packages "${SYSTEM_PACKAGES[@]}" python3 gnuplot-nox docker-compose shellcheck iproute2 util-linux \
    openssh-server openssh-client netcat-openbsd libsimgrid-dev
fi
build release
scripts/fetch-mnist.sh "$DATA_DIR"
scripts/fetch-mnist.sh --dataset fashion-mnist "$FASHION_DATA_DIR"
allow_mpi_as_root
export MNIST_MPI_BIN=$PWD/.build/release/mnist-mpi
export MNIST_TEST_DATA=$PWD/$DATA_DIR FASHION_MNIST_TEST_DATA=$PWD/$FASHION_DATA_DIR

# The swift test run and its closing lines: the bad-input tally, then swift test's verdict.
run_swift_tests() {
  export BAD_INPUT_TALLY=$PWD/.build/bad-input-tally.txt
  rm -f "$BAD_INPUT_TALLY"
  say "swift test"
  local status=0
  # One test at a time: the multi-rank tests each use every core, and several at once would
  # blur their 10-second limits on a busy machine.
  swift test --no-parallel 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; } | tee .build/swift-test.log || status=$?
  if [ -f "$BAD_INPUT_TALLY" ]; then
    local held total
    held=$(grep -c '^held ' "$BAD_INPUT_TALLY" || true)
    total=$(wc -l < "$BAD_INPUT_TALLY")
    say "bad-input suite: $held of $total cases held (one stderr line, non-zero exit, every rank ended within 10 s)"
    grep '^broke ' "$BAD_INPUT_TALLY" >&2 || true
  fi
  # End with swift test's own verdict line, so that it closes the output.
  grep -E 'Test run with [0-9]+ tests' .build/swift-test.log | tail -n 1 || true
  return "$status"
}

if [ "$UNIT_ONLY" = 1 ]; then
  say "SKIPPED (--unit): oneDNN load check, static checks, DocC, the narrow-ISA pass, namespace and container clusters, fuzzing, TensorBoard/Perfetto readers, the ONNX/safetensors readers, MPICH, scaling-report tests"
  status=0
  run_swift_tests || status=$?
  exit "$status"
fi
if dpkg-query -W -f='${Status}' libdnnl-dev 2>/dev/null | grep -q 'install ok installed'; then
  say "oneDNN kernels load and run (bench floor --kernels onednn; bfloat16 where the CPU has it)"
  "$MNIST_MPI_BIN" bench floor --steps 2 --repeat 1 --kernels onednn > .build/onednn-check.json \
    || die "libdnnl-dev is installed but mnist-mpi cannot use oneDNN (above)"
  cat .build/onednn-check.json
  "$MNIST_MPI_BIN" bench floor --steps 2 --repeat 1 --kernels onednn --precision bf16 2>&1 \
    || say "SKIPPED: bfloat16 products (the line above says why); their tests skip with the same reason"
else
  say "SKIPPED: the oneDNN checks and tests (libdnnl-dev could not be installed: OpenBLAS kernels only)"
fi
say "static checks: docs/cli.md against the binary's --help, quoted figures against docs/results, functions under Sources/Training and Sources/Elastic within 60 lines, docker-compose config -q, shellcheck"
scripts/cli-docs.sh --check "$MNIST_MPI_BIN"
python3 -m unittest discover -s scripts/lint 2>&1 | tail -n 1
python3 scripts/lint/function_lengths.py --limit 60 Sources/Training Sources/Elastic
python3 scripts/figures/check_figures.py
python3 -m unittest discover -s scripts/figures -p 'test_*.py' 2>&1 | tail -n 1
docker-compose -f docker-compose.yml config -q
shellcheck -x scripts/*.sh scripts/lib/*.sh scripts/cluster/*.sh scripts/observability/*.sh scripts/export/*.sh scripts/cluster/slurm.sbatch .ci/run
say "SwiftMPI's DocC documentation builds without warnings (swift package generate-documentation --target SwiftMPI)"
swift package generate-documentation --target SwiftMPI > .build/docc.log 2>&1 || { cat .build/docc.log >&2; die "DocC failed"; }
if grep -E "(^|: )(warning|error):" .build/docc.log >&2; then die "DocC warned about SwiftMPI's documentation (above)"; fi

say "the narrow paths of AVX2-only and older CPUs on this one: kernel, element-wise and pooling tests and a deterministic LeNet-5 on 1 and 2 ranks under MNIST_MPI_MAX_ISA=avx2, then sse2 with ONEDNN_MAX_CPU_ISA=SSE41 (scripts/narrow-isa-test.sh)"
DATA_DIR=$DATA_DIR scripts/narrow-isa-test.sh

say "cluster on one machine: 2 network-namespace hosts over TCP (scripts/cluster/netns.sh)"
if [ "$(id -u)" -eq 0 ]; then
  scripts/cluster/netns.sh --hosts 2
  say "the same with 2 ranks per host: hierarchical allreduce (shared memory within, TCP across)"
  scripts/cluster/netns.sh --hosts 2 --ranks-per-host 2 --min-accuracy 0.85 --expect-method hierarchical -- --compression none
  say "2 hosts over 1 Gbit/s links (tc tbf), the default --compression auto: it must time the links and choose PowerSGD"
  scripts/cluster/netns.sh --hosts 2 --link-rate 1gbit --expect-method PowerSGD -- --powersgd-warmup-steps 20
  # The short chaos run: each fault once, in an order drawn from a seed it prints (the longer
  # run: scripts/cluster/chaos.sh, 10 faults; the same faults from netns-elastic.sh and more).
  say "chaos on 4 namespace hosts: a host killed, paused (hung), cut off and slowed at random steps, each repaired; relaunches within 15 s, bit-identical, nothing left (scripts/cluster/chaos.sh --faults 4)"
  DATA_DIR="$DATA_DIR" scripts/cluster/chaos.sh --faults 4 --seed "${CHAOS_SEED:-$((RANDOM * 32768 + RANDOM))}"
else
  say "SKIPPED: network namespaces need root (run scripts/test.sh as root to include this check)"
fi

if docker info >/dev/null 2>&1; then
  say "the compose cluster with a real Docker engine: image, train, hierarchical, scaling, a killed worker, resume (scripts/cluster/compose-test.sh)"
  scripts/cluster/compose-test.sh
  say "the Slurm recipe on a Slurm cluster in containers: srun --mpi=pmix, LAUNCHER=mpirun, scancel and resume (scripts/cluster/slurm-test.sh)"
  scripts/cluster/slurm-test.sh
else
  say "SKIPPED: the Slurm cluster test (no Docker engine answers)"
  say "SKIPPED: the compose cluster test (no Docker engine answers: start one with scripts/cluster/docker-engine.sh start PIDFILE, as .ci/run does)"
fi

say "fuzzing the IDX reader, the checkpoint decoder, the options and the image decoders, ${FUZZ_SECONDS:-12} s each (scripts/fuzz.sh; longer: scripts/fuzz.sh 600)"
scripts/fuzz.sh "${FUZZ_SECONDS:-12}"

say "--tensorboard and --timeline read by TensorBoard, its HTTP API and Perfetto UI (scripts/observability/observability-test.sh)"
DATA_DIR=$DATA_DIR scripts/observability/observability-test.sh

say "export and predict with the real readers: onnx.checker, ONNX Runtime, safetensors, torch (scripts/export/export-test.sh)"
DATA_DIR=$DATA_DIR scripts/export/export-test.sh

say "every layer type's gradients against PyTorch autograd, one SGD step each (scripts/export/autograd-test.sh)"
DATA_DIR=$DATA_DIR scripts/export/autograd-test.sh

say "the time-to-accuracy study script, two short rounds to 97% (scripts/time-to-accuracy.sh --quick; the full study takes ~5 min)"
SKIP_SETUP=1 DATA_DIR=$DATA_DIR RESULTS_DIR=.build scripts/time-to-accuracy.sh --quick --target 0.97 --name tta-check > .build/tta-check.log \
  || { cat .build/tta-check.log >&2; die "scripts/time-to-accuracy.sh --quick failed (above)"; }
grep -E '^Winner|^Confirmed' .build/tta-check.log

if [ "${SKIP_MPICH:-0}" = 1 ]; then
  say "SKIPPED: the MPICH checks (SKIP_MPICH=1)"
else
  say "the same package against MPICH: build, MPI tests, selftest on 2 and 3 ranks, trainings on 2 and 3 ranks (scripts/mpich-test.sh)"
  (unset MPI; MPI=mpich DATA_DIR=$DATA_DIR scripts/mpich-test.sh)
fi

say "scaling report and cost model tests (python3 -m unittest)"
python3 -m unittest discover -s scripts/scaling
say "simulated scaling: schedule, platform and report tests, then the smallest case under SimGrid's SMPI: the seed MLP's recorded step (MPI_Allreduce, hierarchical, deterministic) on 2 and 4 simulated ranks at 10 Gbit/s, and against a node of 2 ranks (shared memory), 2 namespace hosts and 2 hosts of 2 ranks at 10 Gbit/s (QUICK=1 scripts/simulate-scaling.sh; everything: ~40 min)"
python3 -m unittest discover -s scripts/simulate 2>&1 | tail -n 1
# 10 Gbit/s: the emulated 1 Gbit/s link has a slow mode in which a 1 MB sum takes twice as long (docs/simulation.md).
validate="shm 10gbit"
[ "$(id -u)" -eq 0 ] || { validate=shm; say "SKIPPED: the simulation's check against namespace hosts (needs root)"; }
SKIP_SETUP=1 QUICK=1 VALIDATE="$validate" DATA_DIR=$DATA_DIR RESULTS_DIR=.build NAME=simulate-check scripts/simulate-scaling.sh \
  > .build/simulate-check.log 2>&1 || { cat .build/simulate-check.log >&2; die "scripts/simulate-scaling.sh failed (above)"; }
grep -E '^\| (mlp|1Gbps|10Gbps) ' .build/simulate-check/report.md
# A loose bound (the docs hold the measured errors): it catches a broken recorder, schedule or platform.
python3 - .build/simulate-check/simulated.json <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
efficiencies = result["efficiency"]
# Above 1 only by noise: the 1-rank reference and the recorded step are timed in different runs on
# a shared 2-core machine, and a node of 2 ranks (flat:2) has no network to lose time on (its
# hierarchical point came out 1.19 in one CI run on an AMD EPYC Zen 4 and 1.01 in the next).
assert efficiencies and all(0 < value <= 1.3 for value in efficiencies.values()), efficiencies
for point in result["validation"]:
    assert abs(point["relative_error"]) < 0.5, f"simulated {point['simulated_step_seconds']:.4f} s/step against measured {point['measured_step_seconds']:.4f}"
print(f"simulation check: {len(efficiencies)} simulated points, validation errors "
      + ", ".join(f"{100 * p['relative_error']:+.1f}%" for p in result["validation"]))
PY
status=0
run_swift_tests || status=$?
exit "$status"
