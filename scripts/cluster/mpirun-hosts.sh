#!/usr/bin/env bash
# The launch logic of a multi-host run, shared by the compose cluster's head and by the
# network-namespace cluster: mpirun over a hostfile with the MCA settings a cluster of
# containers or hosts needs, then the command.
#   scripts/cluster/mpirun-hosts.sh HOSTFILE RANKS [mpirun options --] COMMAND...
# Environment:
#   NETWORK      the subnet or interface the ranks talk over (btl_tcp_if_include and
#                oob_tcp_if_include), e.g. 10.213.7.0/24 or eth0
#   BTL          the transports (default tcp,self,vader; vader serves ranks on one host)
#   RSH_AGENT    the program that starts a process on another host (default: ssh)
#   BIND_TO      rank binding (default none: compose containers and namespace hosts share one
#                machine's cores, and each "host" would bind its rank to its core 0, the same
#                core, so the ranks would take turns at the scheduler's 4 ms tick; on real
#                nodes use BIND_TO=core)
#   END_GRACE    seconds mpirun may take to end after one of its daemons' sessions ended
#                (default 10), then it and its sessions are killed
# A hung host (frozen, paused, soft-locked) keeps mpirun waiting for its daemon forever after the
# job's end was decided (the stall watchdog's MPI_Abort, a dead rank): the ranks that can still
# act end their own daemons, whose ssh sessions then end; a guard here gives mpirun END_GRACE
# seconds from the first session's end, then kills it and the sessions left (ssh's own keepalive,
# 5 s x 3, ends a session to a frozen host too). SIGTERM and SIGINT are passed on to mpirun.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 HOSTFILE RANKS [mpirun options --] COMMAND..." >&2; exit 2; }
hostfile=$1 ranks=$2; shift 2
[ -s "$hostfile" ] || { echo "error: hostfile $hostfile is missing or empty" >&2; exit 1; }
NETWORK=${NETWORK:?NETWORK must name the subnet or interface the hosts share}
BTL=${BTL:-tcp,self,vader}
BIND_TO=${BIND_TO:-none}

options=()
if [[ " $* " == *" -- "* ]]; then
  while [ "$1" != "--" ]; do options+=("$1"); shift; done
  shift
fi

mca=(
  --mca btl "$BTL"
  --mca btl_tcp_if_include "$NETWORK"
  --mca oob_tcp_if_include "$NETWORK"
  # Docker's /dev/shm is small and CMA is not permitted in containers (ompi#4948).
  --mca btl_vader_single_copy_mechanism none
)
if [ -n "${RSH_AGENT:-}" ]; then
  mca+=(--mca plm_rsh_agent "$RSH_AGENT")
else
  mca+=(--mca plm_rsh_args "-o StrictHostKeyChecking=accept-new -o BatchMode=yes -o ServerAliveInterval=5 -o ServerAliveCountMax=3")
fi
# A declared link rate reaches every rank (the summary's network_link_rate).
[ -z "${MNIST_MPI_LINK_RATE:-}" ] || options+=(-x MNIST_MPI_LINK_RATE)
[ -z "${MNIST_MPI_TEST_HOOKS:-}" ] || options+=(-x MNIST_MPI_TEST_HOOKS)
[ -z "${MNIST_MPI_LEAF_PASSES:-}" ] || options+=(-x MNIST_MPI_LEAF_PASSES)
mpirun --quiet --hostfile "$hostfile" -np "$ranks" --bind-to "$BIND_TO" "${mca[@]}" -x OPENBLAS_NUM_THREADS=1 \
  ${options[@]+"${options[@]}"} "$@" &
launcher=$!
trap 'kill -TERM "$launcher" 2>/dev/null || true' TERM
trap 'kill -INT "$launcher" 2>/dev/null || true' INT
agent=$(basename "${RSH_AGENT:-ssh}" | cut -c1-15)
sessions() {  # mpirun's children that start or hold a daemon (not the local ranks)
  local child
  for child in $(pgrep -P "$launcher" 2>/dev/null || true); do
    case $(cat "/proc/$child/comm" 2>/dev/null) in ssh|"$agent") echo "$child" ;; esac
  done
}
most=0 ended_at=""
while kill -0 "$launcher" 2>/dev/null; do
  live=$(sessions | wc -l)
  [ "$live" -gt "$most" ] && most=$live
  if [ -z "$ended_at" ] && [ "$live" -lt "$most" ]; then ended_at=$SECONDS; fi
  if [ -n "$ended_at" ] && [ $((SECONDS - ended_at)) -ge "${END_GRACE:-10}" ]; then
    # Silently: the stall watchdog's line (or the dead rank's) above is the job's one error line.
    mapfile -t left < <(sessions)
    kill -KILL "$launcher" ${left[@]+"${left[@]}"} 2>/dev/null || true
    break
  fi
  sleep 1 & wait $! || true
done
status=0
# (Its stderr away: bash would report the killed mpirun in a line of its own.)
wait "$launcher" 2>/dev/null || status=$?
# A signal passed on interrupts the wait: wait again until mpirun has really ended.
while kill -0 "$launcher" 2>/dev/null; do wait "$launcher" 2>/dev/null || status=$?; done
exit "$status"
