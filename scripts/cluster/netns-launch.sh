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
trap 'netns_destroy; rm -rf "$work"' EXIT
netns_destroy
netns_create "$ranks"
for ((i = 0; i < ranks; i++)); do echo "$(netns_host_ip "$i") slots=1"; done > "$work/hostfile"
netns_write_agent "$work/agent"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
NETWORK="$NETNS_SUBNET.0/24" BTL=tcp,self RSH_AGENT="$work/agent" \
  netns_on_head "$here/mpirun-hosts.sh" "$work/hostfile" "$ranks" --bind-to none -- "$@"
