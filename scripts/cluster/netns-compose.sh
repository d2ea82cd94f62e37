#!/usr/bin/env bash
# The compose cluster's own roles, without Docker: scripts/cluster/entrypoint.sh runs as keygen,
# as a worker (sshd for the user mpi, keys only) in each of WORKERS network-namespace hosts,
# and as the head in one more, which launches mpirun over ssh as mpi and trains. This runs the
# compose path's key handling, sshd settings, hostfile and ssh launch for real; what only
# Docker does (image build, DNS, health checks, volumes) is left to `docker compose`.
#   scripts/cluster/netns-compose.sh                   # 2 workers x 1 rank, 1 epoch, improved
#   WORKERS=2 RANKS_PER_WORKER=2 scripts/cluster/netns-compose.sh
# Needs root, openssh-server and netcat; makes the user mpi if missing and removes it after.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
# shellcheck source=scripts/cluster/netns-lib.sh
source scripts/cluster/netns-lib.sh

WORKERS=${WORKERS:-2}
RANKS_PER_WORKER=${RANKS_PER_WORKER:-1}
EPOCHS=${EPOCHS:-1}
PRESET=${PRESET:-improved}
MIN_ACCURACY=${MIN_ACCURACY:-0.9}
DATA_DIR=${DATA_DIR:-$repo/data/mnist}
BIN=${BIN:-$repo/.build/release/mnist-mpi}

[ "$(id -u)" -eq 0 ] || { echo "error: this needs root (namespaces, sshd, a user): sudo $0" >&2; exit 1; }
[ -x /usr/sbin/sshd ] || { echo "error: sshd is missing: apt-get install openssh-server" >&2; exit 1; }
command -v nc >/dev/null || { echo "error: nc is missing: apt-get install netcat-openbsd" >&2; exit 1; }
[ -x "$BIN" ] || { echo "error: $BIN is missing: swift build -c release first" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
made_user=0
pids=()
cleanup() {
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  netns_destroy
  if [ "$made_user" = 1 ]; then userdel -r mpi 2>/dev/null || true; fi
  rm -rf "$work"
}
netns_cluster_up $((WORKERS + 1)) "$work"   # host 0: the head; hosts 1..: workers
trap cleanup EXIT
if ! id mpi >/dev/null 2>&1; then
  # No password, but not locked ('*', not useradd's '!'): sshd without PAM refuses locked accounts.
  useradd --create-home --shell /bin/bash --password '*' mpi
  made_user=1
fi

# mpi must reach the scripts, the binary and the data; a checkout under a private folder
# (e.g. /root) is staged into the world-readable work folder.
if ! runuser -u mpi -- test -r "$repo/scripts/cluster/mpirun-hosts.sh" -a -x "$BIN" -a -r "$DATA_DIR"; then
  stage=$work/stage
  mkdir -p "$stage/.build/release" "$stage/data"
  cp -r "$repo/scripts" "$stage/"
  cp "$BIN" "$stage/.build/release/mnist-mpi"
  cp -r "$DATA_DIR" "$stage/data/mnist"
  chmod -R a+rX "$stage"
  repo=$stage BIN=$stage/.build/release/mnist-mpi DATA_DIR=$stage/data/mnist
fi
roles=(env KEYS="$work/keys" REPO="$repo" MNIST_MPI_BIN="$BIN" "$repo/scripts/cluster/entrypoint.sh")
mkdir -p "$work/keys"
"${roles[@]}" keygen
workers=()
for ((i = 1; i <= WORKERS; i++)); do
  workers+=("$(netns_host_ip "$i")")
  ip netns exec "$NETNS_PREFIX-h$i" unshare --uts sh -c "hostname worker$i; exec \"\$@\"" sh \
    env SSHD_DIR="$work/sshd$i" "${roles[@]}" worker > "$work/worker$i.log" 2>&1 &
  pids+=($!)
done
# shellcheck disable=SC2030,SC2031
(
  export WORKERS RANKS_PER_WORKER EPOCHS PRESET DATA_DIR
  export WORKER_HOSTS="${workers[*]}" NETWORK="$NETNS_SUBNET.0/24" RESULTS="$work/results"
  ip netns exec "$NETNS_PREFIX-h0" unshare --uts sh -c 'hostname head; exec "$@"' sh "${roles[@]}" head
)
for ((i = 1; i <= WORKERS; i++)); do
  logins=$(grep -c "Accepted publickey for mpi" "$work/worker$i.log" || true)
  echo "netns-compose: worker$i accepted $logins ssh login(s) by key for mpi"
  [ "$logins" -ge 1 ] || { echo "error: worker$i was never reached over ssh; its log:" >&2; cat "$work/worker$i.log" >&2; exit 1; }
done
python3 - "$work/results/summary.json" "$((WORKERS * RANKS_PER_WORKER))" "$MIN_ACCURACY" <<'CHECK'
import json, sys
summary = json.load(open(sys.argv[1]))
print(f"netns-compose: {summary['ranks']} ranks over ssh as mpi ({summary['allreduce_method']}), "
      f"test accuracy {summary['test_accuracy'] * 100:.2f}%, {summary['seconds_per_epoch']:.2f} s/epoch")
if summary["ranks"] != int(sys.argv[2]) or summary["test_accuracy"] < float(sys.argv[3]):
    sys.exit(f"error: netns-compose: expected {sys.argv[2]} ranks and accuracy >= {sys.argv[3]}")
print("netns-compose: passed (keygen, sshd for mpi by key, head's hostfile and ssh launch, results)")
CHECK
