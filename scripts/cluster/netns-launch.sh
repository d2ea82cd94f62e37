#!/usr/bin/env bash
# Runs a command on RANKS network-namespace hosts (one rank per host) over TCP, then removes
# the hosts: a launcher for scripts/scaling.sh (LAUNCH=scripts/cluster/netns-launch.sh).
#   scripts/cluster/netns-launch.sh RANKS COMMAND...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/cluster/netns-lib.sh
source "$here/netns-lib.sh"
[ $# -ge 2 ] || { echo "usage: $0 RANKS COMMAND..." >&2; exit 2; }
ranks=$1; shift
work=$(mktemp -d)
netns_cluster_up "$ranks" "$work"
netns_mpirun "$work" "$ranks" "$@"
