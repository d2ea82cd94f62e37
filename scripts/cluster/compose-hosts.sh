#!/usr/bin/env bash
# The compose cluster's host discovery for `mnist-mpi elastic --discover`: every worker that
# Docker's DNS knows, as address:slots (Horovod's convention), in address order.
#   SERVICE=worker RANKS_PER_WORKER=1 scripts/cluster/compose-hosts.sh
# A killed or stopped worker leaves Docker's DNS at once; `docker compose up --scale worker=N`
# adds new ones, which the supervisor takes in once sshd answers on port 22.
set -euo pipefail
SERVICE=${SERVICE:-worker}
RANKS_PER_WORKER=${RANKS_PER_WORKER:-1}
getent ahostsv4 "$SERVICE" | awk '{print $1}' | sort -u -t . -k 1,1n -k 2,2n -k 3,3n -k 4,4n \
  | sed "s/\$/:$RANKS_PER_WORKER/" || true
