#!/usr/bin/env bash
# A Docker engine for the cluster tests, on machines that have none running (CI, a fresh VM):
#   scripts/cluster/docker-engine.sh start PIDFILE   # installs docker.io if needed, starts dockerd
#                                                    # in the background unless an engine answers;
#                                                    # writes its pid to PIDFILE only if it started one
#   scripts/cluster/docker-engine.sh stop PIDFILE    # stops the engine that `start` started, by pid
# The engine's own bridge and its pools for compose networks come from the project's test range
# (10.213.0.0/16, beside the namespace cluster's 10.213.7.0/24), not Docker's default pools.
# Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

BRIDGE_ADDRESS=${BRIDGE_ADDRESS:-10.213.100.1/24}
ADDRESS_POOL=${ADDRESS_POOL:-base=10.213.128.0/18,size=24}
ENGINE_LOG=${ENGINE_LOG:-/var/log/mnist-mpi-dockerd.log}
START_SECONDS=${START_SECONDS:-60}

[ $# -eq 2 ] || die "usage: $0 start|stop PIDFILE"
action=$1 pidfile=$2

case $action in
  start)
    if docker info >/dev/null 2>&1; then
      say "a Docker engine answers already: using it"
      exit 0
    fi
    [ "$(id -u)" -eq 0 ] || die "no Docker engine answers, and starting one needs root"
    command -v dockerd >/dev/null || ensure_packages docker.io
    command -v docker >/dev/null || ensure_packages docker.io
    say "starting dockerd (bridge $BRIDGE_ADDRESS, pools $ADDRESS_POOL; log $ENGINE_LOG)"
    dockerd --bip "$BRIDGE_ADDRESS" --default-address-pool "$ADDRESS_POOL" > "$ENGINE_LOG" 2>&1 &
    echo $! > "$pidfile"
    for ((waited = 0; waited < START_SECONDS; waited++)); do
      docker info >/dev/null 2>&1 && { say "dockerd is up (pid $(cat "$pidfile"))"; exit 0; }
      kill -0 "$(cat "$pidfile")" 2>/dev/null || break
      sleep 1
    done
    tail -n 20 "$ENGINE_LOG" >&2
    die "dockerd did not answer within $START_SECONDS s (its log is above and in $ENGINE_LOG)"
    ;;
  stop)
    [ -s "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
      for ((waited = 0; waited < 30; waited++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    fi
    rm -f "$pidfile"
    ;;
  *)
    die "usage: $0 start|stop PIDFILE"
    ;;
esac
