#!/usr/bin/env bash
# What --deterministic costs against the default, measured side by side: each repetition runs,
# one after the other, the default, --deterministic, and --deterministic with its micro-batches
# passed one at a time (MNIST_MPI_LEAF_PASSES=off: the form before leaf passes, the same bits),
# at the same global batch, on 1 rank (G=200), 2 ranks (G=200, G=600) and 2 network-namespace
# hosts joined by LINK_RATE links (G=200, G=600; there the default is also run with
# --compression none, the float32 sum the deterministic tree is compared with). Prints the
# median of each repetition's ratio and writes results/deterministic.json.
#   scripts/bench-deterministic.sh                 # about 6 minutes on 2 cores
#   REPEATS=5 LINK_RATE=1gbit scripts/bench-deterministic.sh
#   NETNS=0 scripts/bench-deterministic.sh         # one node only (no root, no namespaces)
#   RECORD=1 scripts/bench-deterministic.sh        # also docs/results/deterministic-CPU.json
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

REPEATS=${REPEATS:-3}
EPOCHS=${EPOCHS:-3}
LINK_RATE=${LINK_RATE:-10gbit}
NETNS=${NETNS:-auto}
DATA_DIR=${DATA_DIR:-data/mnist}
OUT=${OUT:-results/deterministic.json}
WORK=.build/bench-deterministic
BIN=$PWD/$RELEASE_BIN

ensure_swift
ensure_packages "${SYSTEM_PACKAGES[@]}" python3
build release
scripts/fetch-mnist.sh "$DATA_DIR"
mkdir -p "$WORK" "$(dirname "$OUT")"
rm -f "$WORK"/*.json
# The kernels each library picks for this CPU, as scripts/bench.sh measures them.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

if [ "$NETNS" = auto ]; then
  NETNS=0
  if [ "$(id -u)" = 0 ] && ensure_packages iproute2 util-linux && ip netns list > /dev/null 2>&1; then NETNS=1; fi
  [ "$NETNS" = 1 ] || say "network-namespace hosts skipped: they need root and ip netns (NETNS=0)"
fi

run() {  # name launcher(local|netns) ranks global extra-args...
  local name=$1 where=$2 ranks=$3 global=$4; shift 4
  local command=("$BIN" train --data "$PWD/$DATA_DIR" --epochs "$EPOCHS" --eval-every 0 --log-every 1000
    --global-batch "$global" --summary "$PWD/$WORK/$name.json" "$@")
  if [ "$where" = netns ]; then
    LINK_RATE=$LINK_RATE scripts/cluster/netns-launch.sh "$ranks" "${command[@]}" > /dev/null
  else
    run_mpi "$ranks" "${command[@]}" > /dev/null
  fi
}

# Interleaved so that drift on a shared machine hits every configuration alike.
for repeat in $(seq 1 "$REPEATS"); do
  say "repetition $repeat of $REPEATS"
  for pair in "local 1 200" "local 2 200" "local 2 600" "netns 2 200" "netns 2 600"; do
    read -r where ranks global <<< "$pair"
    [ "$where" = netns ] && [ "$NETNS" = 0 ] && continue
    name="$where-np$ranks-g$global"
    run "default-$name-$repeat" "$where" "$ranks" "$global"
    [ "$where" = netns ] && run "float32-$name-$repeat" "$where" "$ranks" "$global" --compression none
    run "deterministic-$name-$repeat" "$where" "$ranks" "$global" --deterministic
    MNIST_MPI_LEAF_PASSES=off run "micro-batch-passes-$name-$repeat" "$where" "$ranks" "$global" --deterministic
  done
done

python3 scripts/bench/deterministic_report.py "$WORK" "$OUT" --link-rate "$LINK_RATE"
if [ "${RECORD:-0}" = 1 ]; then
  python3 scripts/figures/record.py "$OUT" deterministic \
    --command "REPEATS=$REPEATS EPOCHS=$EPOCHS LINK_RATE=$LINK_RATE scripts/bench-deterministic.sh"
fi
