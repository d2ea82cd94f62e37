#!/usr/bin/env bash
# The cluster containers' entry point: one role per service of docker-compose.yml.
#   keygen  make the ssh key pair in /keys once (never in the image or the repository)
#   worker  run sshd for the user mpi only, by key only
#   head    wait for the workers, write a hostfile from DNS, run mpirun over ssh as mpi,
#           train (MODE=train) or run the scaling script (MODE=scaling) into /results
set -euo pipefail
role=${1:-worker}
KEYS=/keys
SERVICE=${WORKER_SERVICE:-worker}
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
  local home=/home/mpi
  mkdir -p "$home/.ssh"
  for _ in $(seq 1 120); do [ -s "$KEYS/id_ed25519.pub" ] && break; sleep 1; done
  [ -s "$KEYS/id_ed25519.pub" ] || { log "no key in $KEYS after 120 s: is the keygen service running?"; exit 1; }
  cp "$KEYS/id_ed25519.pub" "$home/.ssh/authorized_keys"
  if [ "$1" = private ]; then
    cp "$KEYS/id_ed25519" "$home/.ssh/id_ed25519"
    printf 'Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n' > "$home/.ssh/config"
  fi
  chown -R mpi:mpi "$home/.ssh"
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
    ssh-keygen -A >/dev/null
    mkdir -p /run/sshd
    cat > /etc/ssh/sshd_config.d/mnist-mpi.conf <<CONF
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowUsers mpi
CONF
    log "sshd for user mpi (keys only)"
    exec /usr/sbin/sshd -D -e
    ;;

  head)
    install_key private
    log "waiting for $WORKERS workers named $SERVICE"
    hosts=()
    for _ in $(seq 1 120); do
      mapfile -t hosts < <(getent ahostsv4 "$SERVICE" | awk '{print $1}' | sort -u)
      [ "${#hosts[@]}" -ge "$WORKERS" ] && break
      sleep 1
    done
    [ "${#hosts[@]}" -ge "$WORKERS" ] || { log "found ${#hosts[@]} of $WORKERS workers after 120 s"; exit 1; }
    for host in "${hosts[@]}"; do
      for _ in $(seq 1 60); do nc -z "$host" 22 && break; sleep 1; done
    done
    hostfile=/home/mpi/hostfile
    for host in "${hosts[@]}"; do echo "$host slots=$RANKS_PER_WORKER"; done > "$hostfile"
    chown mpi:mpi "$hostfile"
    ranks=$(( ${#hosts[@]} * RANKS_PER_WORKER ))
    log "hostfile: ${hosts[*]} ($RANKS_PER_WORKER slots each, $ranks ranks)"
    MNIST_DIR=$DATA_DIR /opt/mnist-mpi/scripts/fetch-mnist.sh "$DATA_DIR" \
      || { log "MNIST is not in $DATA_DIR: run scripts/fetch-mnist.sh on the host first (the cluster network is internal)"; exit 1; }
    mkdir -p "$RESULTS"
    chown mpi:mpi "$RESULTS"
    launch="/opt/mnist-mpi/scripts/cluster/mpirun-hosts.sh"
    environment=(NETWORK="$NETWORK" HOME=/home/mpi PATH="$PATH")
    if [ "$MODE" = scaling ]; then
      # scripts/scaling.sh calls LAUNCH RANKS COMMAND...; the image has everything installed
      # and built, so SKIP_SETUP; its results go to the bind-mounted RESULTS.
      printf '#!/usr/bin/env bash\nexec %s %s "$@"\n' "$launch" "$hostfile" > /home/mpi/launch.sh
      chmod +x /home/mpi/launch.sh
      exec runuser -u mpi -- env "${environment[@]}" LAUNCH=/home/mpi/launch.sh DATA_DIR="$DATA_DIR" \
        SKIP_SETUP=1 RESULTS_DIR="$RESULTS" /opt/mnist-mpi/scripts/scaling.sh \
        --ranks "${SCALING_RANKS:-1 $ranks}" --epochs "$EPOCHS" --name "cluster-$(date +%Y%m%d-%H%M%S)" \
        -- --preset "$PRESET"
    fi
    exec runuser -u mpi -- env "${environment[@]}" "$launch" "$hostfile" "$ranks" \
      mnist-mpi train --data "$DATA_DIR" --preset "$PRESET" --epochs "$EPOCHS" \
      --summary "$RESULTS/summary.json" --metrics "$RESULTS/metrics.jsonl"
    ;;

  *)
    exec "$@"
    ;;
esac
