#!/usr/bin/env bash
# The Slurm launch logic for `mnist-mpi elastic --launch` inside an allocation: one job step with
# srun on the hosts of HOSTFILE (a subset of the allocation after a lost node), PMIx, SLOTS tasks
# a node. Steps of earlier launches that are still on the nodes (a step whose node died cannot
# end on its own: its ranks wait for the dead one) are killed first.
#   scripts/cluster/srun-hosts.sh HOSTFILE RANKS COMMAND...
# Environment: NETWORK (the interface the nodes share, for Open MPI), BIND (core or none).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 HOSTFILE RANKS COMMAND..." >&2; exit 2; }
hostfile=$1 ranks=$2; shift 2
[ -n "${SLURM_JOB_ID:-}" ] || { echo "error: $0 runs inside a Slurm job (sbatch or salloc)" >&2; exit 1; }
[ -s "$hostfile" ] || { echo "error: hostfile $hostfile is missing or empty" >&2; exit 1; }
mapfile -t hosts < <(awk '{print $1}' "$hostfile")
nodes=${#hosts[@]}
per_node=$((ranks / nodes))

# Leftover steps of this job (not the batch or extern step): SIGKILL through Slurm, then wait
# (bounded) until they are gone from the nodes that answer.
leftover_steps() { squeue -h -s -j "$SLURM_JOB_ID" -o %i 2>/dev/null | grep -vE '\.(batch|extern)$' || true; }
mapfile -t steps < <(leftover_steps)
if [ ${#steps[@]} -gt 0 ]; then
  scancel --signal=KILL "${steps[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do
    pgrep -f "slurmstepd: \[$SLURM_JOB_ID\.[0-9]" >/dev/null 2>&1 || break
    sleep 0.1
  done
fi

case ${BIND:-core} in
  core) bind=(--cpu-bind=cores) ;;
  none) bind=(--cpu-bind=none) ;;
  *) echo "error: BIND=$BIND: use core or none" >&2; exit 2 ;;
esac
[ -z "${NETWORK:-}" ] || export OMPI_MCA_btl_tcp_if_include=$NETWORK OMPI_MCA_oob_tcp_if_include=$NETWORK
# --overlap: a step of an earlier launch that still holds cores on a dead node does not block
# this one; --kill-on-bad-exit: one rank's failure ends the step.
exec srun --mpi=pmix --overlap --kill-on-bad-exit=1 --nodelist="$(IFS=,; echo "${hosts[*]}")" \
  --nodes="$nodes" --ntasks="$ranks" --ntasks-per-node="$per_node" "${bind[@]}" "$@"
