#!/usr/bin/env bash
# The Slurm test cluster's entry point (scripts/cluster/slurm-compose.yml), one role a container:
#   controller  slurmctld, and the place users submit from (sbatch, squeue, scontrol as mpi)
#   compute     slurmd on a node named after the container's hostname
# Every role first makes sure one munge key exists in the shared volume /keys (made once, under
# a lock, by whichever container comes first), starts munged with it, and writes the same
# slurm.conf from the environment (COMPUTE_NODES, CPUS). The user mpi takes the owner of the
# shared folder (/shared, the "shared file system" the sbatch recipe expects) as its uid.
set -euo pipefail
role=${1:-compute}
KEYS=${KEYS:-/keys}
SHARED=${SHARED:-/shared}
MPI_USER=${MPI_USER:-mpi}
CLUSTER_NAME=${CLUSTER_NAME:-mnistmpi}
CONTROLLER=${CONTROLLER:-controller}
COMPUTE_NODES=${COMPUTE_NODES:-c1 c2}
CPUS=${CPUS:-$(nproc)}
WAIT_SECONDS=${WAIT_SECONDS:-60}

# shellcheck source=scripts/cluster/node-lib.sh
source "$(dirname "$0")/node-lib.sh"

log() { printf '[%s] %s\n' "$role" "$*" >&2; }
fail() { printf '[%s] error: %s\n' "$role" "$*" >&2; exit 1; }

make_munge_key() {
  dd if=/dev/urandom of="$KEYS/munge.key.new" bs=1024 count=1 status=none
  mv "$KEYS/munge.key.new" "$KEYS/munge.key"
  log "made the cluster's munge key in $KEYS"
}

start_munged() {
  install -o munge -g munge -m 400 "$KEYS/munge.key" /etc/munge/munge.key
  install -d -o munge -g munge -m 755 /run/munge
  runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
}

# The same file on every node. No cgroups in these containers: processes are tracked through
# /proc and tasks are not confined; no accounting database (scontrol show job, not sacct).
write_slurm_conf() {
  local nodes
  nodes=$(tr ' ' ',' <<< "$COMPUTE_NODES")
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=$CLUSTER_NAME
SlurmctldHost=$CONTROLLER
AuthType=auth/munge
CryptoType=crypto/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=3600
KillWait=30
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$nodes CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=$nodes Default=YES MaxTime=INFINITE State=UP
CONF
}

adopt_folder_owner "$MPI_USER" "$SHARED"
once_under_lock "$KEYS" munge.key "$WAIT_SECONDS" make_munge_key
start_munged
write_slurm_conf
case $role in
  controller)
    log "slurmctld for nodes $COMPUTE_NODES ($CPUS CPUs each)"
    exec /usr/sbin/slurmctld -D -i
    ;;
  compute)
    log "slurmd on $(hostname)"
    exec /usr/sbin/slurmd -D
    ;;
  *)
    exec "$@"
    ;;
esac
