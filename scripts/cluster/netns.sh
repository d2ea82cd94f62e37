#!/usr/bin/env bash
# The cluster on one machine: H network-namespace hosts joined by veth pairs and a bridge on
# a private subnet used only there (no default route), one rank per host, launched with the
# same logic as the compose head (scripts/cluster/mpirun-hosts.sh) through a launch agent that
# enters each namespace. Ranks talk TCP between hosts as in a cluster. Trains, then checks the
# accuracy and that the gradients crossed the hosts' network (bytes on the veth), and always
# removes the namespaces.
#   scripts/cluster/netns.sh               # 2 hosts, improved preset, 1 epoch on 20,000 images
#   scripts/cluster/netns.sh --hosts 3 --epochs 2 --min-accuracy 0.7 -- --preset improved
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/cluster/netns-lib.sh
source scripts/cluster/netns-lib.sh

HOSTS=2
EPOCHS=1
TRAIN_LIMIT=20000
MIN_ACCURACY=0.90
PRESET=improved
DATA_DIR=${DATA_DIR:-data/mnist}
BIN=${BIN:-.build/release/mnist-mpi}
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --hosts) HOSTS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --train-limit) TRAIN_LIMIT=$2; shift 2 ;;
    --min-accuracy) MIN_ACCURACY=$2; shift 2 ;;
    --preset) PRESET=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "error: unknown option $1 (see the top of scripts/cluster/netns.sh)" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || { echo "error: $BIN is missing: run scripts/train.sh or swift build -c release first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "error: network namespaces need root: run as root (sudo $0)" >&2; exit 1; }

work=$(mktemp -d)
netns_cluster_up "$HOSTS" "$work"
echo "==> $HOSTS hosts on $NETNS_SUBNET.0/24 (namespaces ${NETNS_HOSTS[*]}), TCP only, 1 rank each"
before=$(netns_rx_bytes 1)
netns_mpirun "$work" "$HOSTS" "$BIN" train --data "$DATA_DIR" --preset "$PRESET" --epochs "$EPOCHS" --train-limit "$TRAIN_LIMIT" --eval-every 0 \
  --summary "$work/summary.json" ${extra[@]+"${extra[@]}"}
received=$(( $(netns_rx_bytes 1) - before ))

python3 - "$work/summary.json" "$received" "$MIN_ACCURACY" <<'CHECK'
import json, sys
summary = json.load(open(sys.argv[1]))
received, minimum = int(sys.argv[2]), float(sys.argv[3])
steps = summary["steps_per_epoch"] * summary["epochs_run"]
gradient_bytes = summary["parameter_count"] * 4
# A ring allreduce of 2 hosts sends each host about the whole buffer once per step.
expected = steps * gradient_bytes * (summary["ranks"] - 1) / summary["ranks"]
print(f"netns: {summary['ranks']} hosts, test accuracy {summary['test_accuracy'] * 100:.2f}%, "
      f"{summary['seconds_per_epoch']:.2f} s/epoch, allreduce {summary['allreduce_seconds'] / max(steps, 1) * 1e3:.2f} ms/step, "
      f"host 1 received {received / 1e6:.1f} MB over TCP ({steps} steps)")
failures = []
if summary["test_accuracy"] < minimum:
    failures.append(f"accuracy {summary['test_accuracy']:.4f} below {minimum}")
if received < 0.9 * expected:
    failures.append(f"host 1 received {received} bytes, expected at least {0.9 * expected:.0f}: the ranks did not talk over the hosts' network")
if failures:
    sys.exit("error: netns run: " + "; ".join(failures))
print("netns: passed (accuracy, TCP traffic between hosts)")
CHECK
