#!/usr/bin/env bash
# Efficiency against link rate for each gradient compression, in one run: 2 network-namespace
# hosts x 1 rank over TCP with each host's link capped in both directions (tc tbf), weak scaling
# against 1 rank on this machine. Per rate: an allreduce sweep on that link (the cost model's
# latency and bandwidth), a 1-rank run, then --compression none, bf16 and powersgd for EPOCHS
# epochs each (speeds from the last epoch: PowerSGD's uncompressed warm-up falls in the first).
# The cost model's compression compute comes from `mnist-mpi bench compression`.
# Writes results/NAME/: runs.csv, allreduce-RATE.json, report.md (table with the model's
# predicted step time beside the measured one), efficiency.png. Needs root (namespaces).
#   scripts/network-compare.sh                                  # 1gbit 10gbit 25gbit unlimited, about 4 min
#   scripts/network-compare.sh --rates "1gbit unlimited" --epochs 3 -- --preset improved
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

RATES="1gbit 10gbit 25gbit unlimited"
EPOCHS=2
COMPRESSIONS="none bf16 powersgd"
NAME=network-compare
DATA_DIR=${DATA_DIR:-data/mnist}
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --rates) RATES=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --compressions) COMPRESSIONS=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown option $1 (see the top of scripts/network-compare.sh)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "network namespaces need root: run as root"
[ "$MPI" = openmpi ] || die "MPI=$MPI: the namespace hosts are launched by Open MPI's mpirun (scripts/cluster/mpirun-hosts.sh); run without MPI=mpich"
OUT=${RESULTS_DIR:-results}/$NAME
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  ensure_swift
  ensure_packages "${SYSTEM_PACKAGES[@]}" python3 gnuplot-nox iproute2 util-linux
  build release
  scripts/fetch-mnist.sh "$DATA_DIR"
fi
BIN=$PWD/$RELEASE_BIN
DATA=$(cd "$DATA_DIR" && pwd)
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
train=(train --data "$DATA" --epochs "$EPOCHS" --eval-every 0 ${extra[@]+"${extra[@]}"})

say "the compute each compression adds to a step (mnist-mpi bench compression, one thread)"
"$BIN" bench compression > "$OUT/compression.json"

for rate in $RATES; do
  link=$rate
  [ "$rate" != unlimited ] || link=""
  say "link $rate: allreduce sweep on 2 hosts"
  LINK_RATE=$link scripts/cluster/netns-launch.sh 2 "$BIN" bench allreduce --sweep --rounds 3 > "$OUT/allreduce-$rate.json"
  say "link $rate: 1 rank (the baseline, run again at every rate against drift)"
  run_mpi 1 "$BIN" "${train[@]}" --summary "$OUT/1-$rate.json" --metrics "$OUT/1-$rate.jsonl" > /dev/null
  python3 scripts/scaling/network_compare.py add-run "$OUT/runs.csv" "$OUT/1-$rate.json" "$OUT/1-$rate.jsonl" \
    --rate "$rate" --compression none
  for compression in $COMPRESSIONS; do
    say "link $rate: 2 hosts x 1 rank, --compression $compression"
    LINK_RATE=$link scripts/cluster/netns-launch.sh 2 "$BIN" "${train[@]}" --compression "$compression" \
      --summary "$OUT/2-$rate-$compression.json" --metrics "$OUT/2-$rate-$compression.jsonl" > "$OUT/2-$rate-$compression.log"
    python3 scripts/scaling/network_compare.py add-run "$OUT/runs.csv" "$OUT/2-$rate-$compression.json" \
      "$OUT/2-$rate-$compression.jsonl" --rate "$rate" --compression "$compression"
  done
done
python3 scripts/scaling/network_compare.py report "$OUT"
say "network comparison: $OUT/report.md, $OUT/efficiency.png"
