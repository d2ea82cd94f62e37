#!/usr/bin/env bash
# The cluster containers' entry point: one role per service of docker-compose.yml.
#   keygen  make the ssh key pair in /keys once (never in the image or the repository)
#   worker  run sshd for the user mpi only, by key only
#   head    wait for the workers, write a hostfile from DNS, run mpirun over ssh as mpi,
#           train (MODE=train) or run the scaling script (MODE=scaling) into /results
# The defaults are the container's; scripts/cluster/netns-compose.sh runs the same roles in
# network namespaces by overriding the paths (KEYS, SSHD_DIR, REPO, ...) and WORKER_HOSTS.
set -euo pipefail
role=${1:-worker}
KEYS=${KEYS:-/keys}
MPI_USER=${MPI_USER:-mpi}
MPI_HOME=${MPI_HOME:-/home/$MPI_USER}
SSHD_DIR=${SSHD_DIR:-/etc/ssh}
REPO=${REPO:-/opt/mnist-mpi}
MNIST_MPI_BIN=${MNIST_MPI_BIN:-$REPO/.build/release/mnist-mpi}
SERVICE=${WORKER_SERVICE:-worker}
WORKER_HOSTS=${WORKER_HOSTS:-}   # addresses of the workers; empty: ask DNS for $SERVICE
WORKERS=${WORKERS:-2}
RANKS_PER_WORKER=${RANKS_PER_WORKER:-1}
EPOCHS=${EPOCHS:-3}
PRESET=${PRESET:-seed}
MODE=${MODE:-train}
NETWORK=${NETWORK:-eth0}
DATA_DIR=${DATA_DIR:-/data/mnist}
RESULTS=${RESULTS:-/results}

log() { printf '[%s] %s\n' "$role" "$*" >&2; }

install_key() {  # authorized (worker) or private (head) key for the user mpi
  local home=$MPI_HOME
  mkdir -p "$home/.ssh"
  for _ in $(seq 1 120); do [ -s "$KEYS/id_ed25519.pub" ] && break; sleep 1; done
  [ -s "$KEYS/id_ed25519.pub" ] || { log "no key in $KEYS after 120 s: is the keygen service running?"; exit 1; }
  cp "$KEYS/id_ed25519.pub" "$home/.ssh/authorized_keys"
  if [ "$1" = private ]; then
    cp "$KEYS/id_ed25519" "$home/.ssh/id_ed25519"
    printf 'Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n' > "$home/.ssh/config"
  fi
  chown -R "$MPI_USER:$MPI_USER" "$home/.ssh"
  chmod 700 "$home/.ssh"
  chmod 600 "$home/.ssh"/*
}

case $role in
  keygen)
    if [ ! -s "$KEYS/id_ed25519" ]; then
      ssh-keygen -q -t ed25519 -N '' -C mnist-mpi-cluster -f "$KEYS/id_ed25519"
      log "made a new key pair in $KEYS"
    fi
    chmod 644 "$KEYS/id_ed25519.pub"
    chmod 600 "$KEYS/id_ed25519"
    ;;

  worker)
    install_key authorized
    mkdir -p "$SSHD_DIR" /run/sshd
    # Host keys made here, at start: an image must not carry them (every container would share them).
    [ -s "$SSHD_DIR/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/ssh_host_ed25519_key"
    cat > "$SSHD_DIR/sshd_config_mnist_mpi" <<CONF
HostKey $SSHD_DIR/ssh_host_ed25519_key
PidFile $SSHD_DIR/sshd.pid
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
AllowUsers $MPI_USER
UsePAM no
CONF
    log "sshd for user $MPI_USER (keys only)"
    exec /usr/sbin/sshd -D -e -f "$SSHD_DIR/sshd_config_mnist_mpi"
    ;;

  head)
    install_key private
    log "waiting for $WORKERS workers named $SERVICE"
    hosts=()
    for _ in $(seq 1 120); do
      if [ -n "$WORKER_HOSTS" ]; then
        read -r -a hosts <<< "$WORKER_HOSTS"
      else
        mapfile -t hosts < <(getent ahostsv4 "$SERVICE" | awk '{print $1}' | sort -u)
      fi
      [ "${#hosts[@]}" -ge "$WORKERS" ] && break
      sleep 1
    done
    [ "${#hosts[@]}" -ge "$WORKERS" ] || { log "found ${#hosts[@]} of $WORKERS workers after 120 s"; exit 1; }
    for host in "${hosts[@]}"; do
      for _ in $(seq 1 60); do nc -z "$host" 22 && break; sleep 1; done
    done
    hostfile=$MPI_HOME/hostfile
    for host in "${hosts[@]}"; do echo "$host slots=$RANKS_PER_WORKER"; done > "$hostfile"
    chown "$MPI_USER:$MPI_USER" "$hostfile"
    ranks=$(( ${#hosts[@]} * RANKS_PER_WORKER ))
    log "hostfile: ${hosts[*]} ($RANKS_PER_WORKER slots each, $ranks ranks)"
    MNIST_DIR=$DATA_DIR "$REPO/scripts/fetch-mnist.sh" "$DATA_DIR" \
      || { log "MNIST is not in $DATA_DIR: run scripts/fetch-mnist.sh on the host first (the cluster network is internal)"; exit 1; }
    mkdir -p "$RESULTS"
    chown "$MPI_USER:$MPI_USER" "$RESULTS"
    launch="$REPO/scripts/cluster/mpirun-hosts.sh"
    environment=(NETWORK="$NETWORK" HOME="$MPI_HOME" PATH="$PATH")
    if [ "$MODE" = scaling ]; then
      # scripts/scaling.sh calls LAUNCH RANKS COMMAND...; the image has everything installed
      # and built, so SKIP_SETUP; its results go to the bind-mounted RESULTS.
      printf '#!/usr/bin/env bash\nexec %s %s "$@"\n' "$launch" "$hostfile" > "$MPI_HOME/launch.sh"
      chmod +x "$MPI_HOME/launch.sh"
      exec runuser -u "$MPI_USER" -- env "${environment[@]}" LAUNCH="$MPI_HOME/launch.sh" DATA_DIR="$DATA_DIR" \
        SKIP_SETUP=1 RESULTS_DIR="$RESULTS" BIN="$MNIST_MPI_BIN" "$REPO/scripts/scaling.sh" \
        --ranks "${SCALING_RANKS:-1 $ranks}" --epochs "$EPOCHS" --name "cluster-$(date +%Y%m%d-%H%M%S)" \
        -- --preset "$PRESET"
    fi
    read -r -a train_args <<< "${TRAIN_ARGS:-}"   # extra options for mnist-mpi train
    exec runuser -u "$MPI_USER" -- env "${environment[@]}" "$launch" "$hostfile" "$ranks" \
      "$MNIST_MPI_BIN" train --data "$DATA_DIR" --preset "$PRESET" --epochs "$EPOCHS" \
      --summary "$RESULTS/summary.json" --metrics "$RESULTS/metrics.jsonl" ${train_args[@]+"${train_args[@]}"}
    ;;

  *)
    exec "$@"
    ;;
esac
