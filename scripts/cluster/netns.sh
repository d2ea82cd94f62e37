#!/usr/bin/env bash
# The cluster on one machine: H network-namespace hosts joined by veth pairs and a bridge on
# a private subnet used only there (no default route), one rank per host, launched with the
# same logic as the compose head (scripts/cluster/mpirun-hosts.sh) through a launch agent that
# enters each namespace. Ranks talk TCP between hosts as in a cluster. Trains, then checks the
# accuracy and that the gradients crossed the hosts' network (bytes on the veth), and always
# removes the namespaces.
#   scripts/cluster/netns.sh               # 2 hosts, improved preset, 1 epoch on 20,000 images
#   scripts/cluster/netns.sh --hosts 3 --epochs 2 --min-accuracy 0.7 -- --lr 0.002
#   scripts/cluster/netns.sh --ranks-per-host 2      # 2 x 2 ranks: hierarchical allreduce
#   scripts/cluster/netns.sh --link-rate 1gbit -- --compression powersgd   # 1 Gbit/s links
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/cluster/netns-lib.sh
source scripts/cluster/netns-lib.sh

HOSTS=2
RANKS_PER_HOST=1
EPOCHS=1
TRAIN_LIMIT=20000
MIN_ACCURACY=0.90
EXPECT_METHOD=""
PRESET=improved
DATA_DIR=${DATA_DIR:-data/mnist}
BIN=${BIN:-.build/release/mnist-mpi}
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --hosts) HOSTS=$2; shift 2 ;;
    --ranks-per-host) RANKS_PER_HOST=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --train-limit) TRAIN_LIMIT=$2; shift 2 ;;
    --min-accuracy) MIN_ACCURACY=$2; shift 2 ;;
    --preset) PRESET=$2; shift 2 ;;
    --expect-method) EXPECT_METHOD=$2; shift 2 ;;
    --link-rate) LINK_RATE=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "error: unknown option $1 (see the top of scripts/cluster/netns.sh)" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || { echo "error: $BIN is missing: run scripts/train.sh or swift build -c release first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "error: network namespaces need root: run as root (sudo $0)" >&2; exit 1; }

work=$(mktemp -d)
netns_cluster_up "$HOSTS" "$work" "$RANKS_PER_HOST"
ranks=$((HOSTS * RANKS_PER_HOST))
echo "==> $HOSTS hosts on $NETNS_SUBNET.0/24 (namespaces ${NETNS_HOSTS[*]}), TCP between them, $RANKS_PER_HOST rank(s) each, links ${LINK_RATE:-unlimited}"
before=$(netns_rx_bytes 1)
MNIST_MPI_TEST_HOOKS="rank-parameters-dir=$work" netns_mpirun "$work" "$ranks" "$BIN" train --data "$DATA_DIR" --preset "$PRESET" --epochs "$EPOCHS" --train-limit "$TRAIN_LIMIT" --eval-every 0 \
  --summary "$work/summary.json" ${extra[@]+"${extra[@]}"}
received=$(( $(netns_rx_bytes 1) - before ))

python3 - "$work/summary.json" "$received" "$MIN_ACCURACY" "$EXPECT_METHOD" <<'CHECK'
import json, os, sys
summary = json.load(open(sys.argv[1]))
folder = os.path.dirname(sys.argv[1])
parameters = [open(os.path.join(folder, f"rank-{r}.f32"), "rb").read() for r in range(summary["ranks"])]
received, minimum = int(sys.argv[2]), float(sys.argv[3])
steps = summary["steps_per_epoch"] * summary["epochs_run"]
# What a step sends (less with --compression); between 2 hosts an allreduce brings each host
# at least half of it per step.
expected = steps * summary["exchanged_bytes_per_step"] / 2
print(f"netns: compression {summary.get('compression')}: {summary.get('compression_reason')}")
print(f"netns: {summary['ranks']} ranks ({summary['allreduce_method']}), test accuracy {summary['test_accuracy'] * 100:.2f}%, "
      f"{summary['seconds_per_epoch']:.2f} s/epoch, allreduce {summary['allreduce_seconds'] / max(steps, 1) * 1e3:.2f} ms/step, "
      f"host 1 received {received / 1e6:.1f} MB over TCP ({steps} steps, links {summary['network_link_rate']})")
failures = []
if summary["test_accuracy"] < minimum:
    failures.append(f"accuracy {summary['test_accuracy']:.4f} below {minimum}")
if received < 0.9 * expected:
    failures.append(f"host 1 received {received} bytes, expected at least {0.9 * expected:.0f}: the ranks did not talk over the hosts' network")
if sys.argv[4] and sys.argv[4] not in summary["allreduce_method"]:
    failures.append(f"the gradients were summed by {summary['allreduce_method']}, expected {sys.argv[4]}")
if any(p != parameters[0] for p in parameters):
    failures.append("the ranks ended with different parameters")
if failures:
    sys.exit("error: netns run: " + "; ".join(failures))
print("netns: passed (accuracy, TCP traffic between hosts, identical parameters on all ranks)")
CHECK
