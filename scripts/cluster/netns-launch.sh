#!/usr/bin/env bash
# Runs a command on RANKS ranks over network-namespace hosts (one rank per host, or
# RANKS_PER_HOST ranks on each: consecutive ranks share a host, shared memory between them) over
# TCP, then removes the hosts: a launcher for scripts/scaling.sh
# (LAUNCH=scripts/cluster/netns-launch.sh) and scripts/simulate-scaling.sh.
#   scripts/cluster/netns-launch.sh RANKS COMMAND...
#   RANKS_PER_HOST=2 scripts/cluster/netns-launch.sh 4 COMMAND...   # 2 hosts of 2 ranks
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/cluster/netns-lib.sh
source "$here/netns-lib.sh"
[ $# -ge 2 ] || { echo "usage: $0 RANKS COMMAND..." >&2; exit 2; }
ranks=$1; shift
per_host=${RANKS_PER_HOST:-1}
if ! [[ $per_host =~ ^[1-9][0-9]*$ ]] || (( ranks % per_host != 0 )); then
  echo "error: RANKS_PER_HOST=$per_host must be a positive divisor of RANKS=$ranks" >&2
  exit 2
fi
work=$(mktemp -d)
netns_cluster_up $(( ranks / per_host )) "$work" "$per_host"
netns_mpirun "$work" "$ranks" "$@"
