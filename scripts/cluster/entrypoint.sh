#!/usr/bin/env bash
# The cluster containers' entry point: one role per service of docker-compose.yml.
#   worker  run sshd for the user mpi only, by key only
#   head    wait for the workers, write a hostfile from DNS, run mpirun over ssh as mpi:
#           MODE=train trains under `mnist-mpi elastic` (a lost worker: relaunched on the others
#           from the newest checkpoint; a new worker: taken in at a step boundary), MODE=scaling
#           runs the scaling script; results in /results
# Every role first makes sure one ssh key pair exists in the shared volume /keys (made once,
# under a lock, by whichever container comes first: never in the image or the repository; no
# one-shot service, which `docker compose up --exit-code-from head` would take for the end of
# the job). The user mpi takes the owner of /results as its uid when that is not root, so the
# files that rank 0 writes there (in whichever container it runs) belong to the host's user.
set -euo pipefail
role=${1:-worker}
KEYS=${KEYS:-/keys}
MPI_USER=${MPI_USER:-mpi}
MPI_HOME=${MPI_HOME:-/home/$MPI_USER}
SSHD_DIR=${SSHD_DIR:-/etc/ssh}
REPO=${REPO:-/opt/mnist-mpi}
MNIST_MPI_BIN=${MNIST_MPI_BIN:-/usr/local/bin/mnist-mpi}
SERVICE=${WORKER_SERVICE:-worker}
WORKERS=${WORKERS:-2}
RANKS_PER_WORKER=${RANKS_PER_WORKER:-1}
EPOCHS=${EPOCHS:-3}
PRESET=${PRESET:-seed}
MODE=${MODE:-train}
NETWORK=${NETWORK:-eth0}
DATA_DIR=${DATA_DIR:-/data/mnist}
RESULTS=${RESULTS:-/results}
CHECKPOINT=${CHECKPOINT-$RESULTS/checkpoint.ckpt}   # empty: no checkpoint
RESUME=${RESUME:-0}
CHECKPOINT_STEPS=${CHECKPOINT_STEPS:-50}   # a checkpoint every K steps: a relaunch redoes at most K
MIN_WORKERS=${MIN_WORKERS:-1}              # elastic: train on as few as this many workers
MAX_WORKERS=${MAX_WORKERS:-}               # elastic: at most this many (empty: every worker that answers)
MAX_RESTARTS=${MAX_RESTARTS:-10}
WAIT_SECONDS=${WAIT_SECONDS:-120}

# shellcheck source=scripts/cluster/node-lib.sh
source "$(dirname "$0")/node-lib.sh"

log() { printf '[%s] %s\n' "$role" "$*" >&2; }
fail() { printf '[%s] error: %s\n' "$role" "$*" >&2; exit 1; }

make_key_pair() {
  rm -f "$KEYS/id_ed25519" "$KEYS/id_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C mnist-mpi-cluster -f "$KEYS/id_ed25519"
  log "made the cluster's ssh key pair in $KEYS"
}

install_key() {  # authorized (worker) or private (head) key for the user mpi
  mkdir -p "$MPI_HOME/.ssh"
  cp "$KEYS/id_ed25519.pub" "$MPI_HOME/.ssh/authorized_keys"
  if [ "$1" = private ]; then
    cp "$KEYS/id_ed25519" "$MPI_HOME/.ssh/id_ed25519"
    printf 'Host *\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n' > "$MPI_HOME/.ssh/config"
  fi
  chown -R "$MPI_USER:" "$MPI_HOME"
  chmod 700 "$MPI_HOME/.ssh"
  chmod 600 "$MPI_HOME/.ssh"/*
}

# Runs "$@" as mpi in the background and waits; SIGTERM or SIGINT (docker stop, Ctrl-C in
# docker compose up) goes on to mpirun, which passes it to every rank: they stop after the same
# step and write a final checkpoint. Without this, PID 1 would ignore the signal until Docker
# kills it 10 s later.
run_as_mpi() {
  # setpriv execs in place (runuser would sit between as a session with signals of its own).
  setpriv --reuid "$MPI_USER" --regid "$(id -g "$MPI_USER")" --init-groups -- "$@" &
  local child=$!
  trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT
  local status=0
  wait "$child" || status=$?
  while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done
  return "$status"
}

worker_hosts() {  # the workers' addresses from Docker's DNS, one per line
  getent ahostsv4 "$SERVICE" | awk '{print $1}' | sort -u -t . -k 1,1n -k 2,2n -k 3,3n -k 4,4n
}

case $role in
  worker)
    adopt_folder_owner "$MPI_USER" "$RESULTS"
    once_under_lock "$KEYS" id_ed25519.pub "$WAIT_SECONDS" make_key_pair
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
    adopt_folder_owner "$MPI_USER" "$RESULTS"
    once_under_lock "$KEYS" id_ed25519.pub "$WAIT_SECONDS" make_key_pair
    install_key private
    log "waiting for $WORKERS workers named $SERVICE"
    hosts=()
    for ((waited = 0; waited < WAIT_SECONDS; waited++)); do
      mapfile -t hosts < <(worker_hosts)
      [ "${#hosts[@]}" -ge "$WORKERS" ] && break
      sleep 1
    done
    [ "${#hosts[@]}" -ge "$WORKERS" ] \
      || fail "found ${#hosts[@]} of $WORKERS workers after $WAIT_SECONDS s: start them with WORKERS=$WORKERS (docker compose up scales the worker service to WORKERS)"
    hosts=("${hosts[@]:0:$WORKERS}")
    for host in "${hosts[@]}"; do
      for ((waited = 0; waited < WAIT_SECONDS; waited++)); do nc -z "$host" 22 && break; sleep 1; done
      nc -z "$host" 22 || fail "worker $host does not answer on port 22 after $WAIT_SECONDS s (docker compose logs worker)"
    done
    hostfile=$MPI_HOME/hostfile
    for host in "${hosts[@]}"; do echo "$host slots=$RANKS_PER_WORKER"; done > "$hostfile"
    chown "$MPI_USER:" "$hostfile"
    ranks=$(( ${#hosts[@]} * RANKS_PER_WORKER ))
    log "hostfile: ${hosts[*]} ($RANKS_PER_WORKER slots each, $ranks ranks)"
    [ -s "$DATA_DIR/train-images-idx3-ubyte.gz" ] || [ -s "$DATA_DIR/train-images-idx3-ubyte" ] \
      || fail "MNIST is not in $DATA_DIR: run scripts/fetch-mnist.sh on the host first (the cluster network is internal)"
    mkdir -p "$RESULTS"
    [ "$(stat -c %u "$RESULTS")" = 0 ] && chown "$MPI_USER:" "$RESULTS"
    launch="$REPO/scripts/cluster/mpirun-hosts.sh"
    environment=(NETWORK="$NETWORK" HOME="$MPI_HOME" PATH="$PATH" MNIST_MPI_TEST_HOOKS="${MNIST_MPI_TEST_HOOKS:-}")
    if [ "$MODE" = scaling ]; then
      # scripts/scaling.sh calls LAUNCH RANKS COMMAND...; the image has everything installed
      # and built, so SKIP_SETUP; its results go to the bind-mounted RESULTS.
      printf '#!/usr/bin/env bash\nexec %s %s "$@"\n' "$launch" "$hostfile" > "$MPI_HOME/launch.sh"
      chmod +x "$MPI_HOME/launch.sh"
      scaling_args=()
      read -r -a scaling_args <<< "${SCALING_ARGS:-}"   # e.g. --repeats 1 --modes weak
      run_as_mpi env "${environment[@]}" LAUNCH="$MPI_HOME/launch.sh" DATA_DIR="$DATA_DIR" \
        SKIP_SETUP=1 RESULTS_DIR="$RESULTS" BIN="$MNIST_MPI_BIN" "$REPO/scripts/scaling.sh" \
        --ranks "${SCALING_RANKS:-1 $ranks}" --epochs "$EPOCHS" --name "${SCALING_NAME:-cluster-$(date +%Y%m%d-%H%M%S)}" \
        "${scaling_args[@]}" -- --preset "$PRESET"
      exit
    fi
    train_args=()
    read -r -a train_args <<< "${TRAIN_ARGS:-}"   # extra options for mnist-mpi train
    if [ -n "$CHECKPOINT" ]; then
      train_args+=(--checkpoint "$CHECKPOINT" --checkpoint-every-steps "$CHECKPOINT_STEPS")
      if [ "$RESUME" = 1 ]; then
        [ -s "$CHECKPOINT" ] || fail "RESUME=1 but there is no checkpoint $CHECKPOINT (./results on the host): run without RESUME first"
        train_args+=(--resume)
      elif [ -e "$CHECKPOINT" ]; then
        fail "./results/${CHECKPOINT##*/} holds an earlier run's progress: continue it with RESUME=1, or move it away to start afresh"
      fi
    fi
    # The supervisor (mnist-mpi elastic) launches mpirun on the workers that answer and
    # relaunches from the newest checkpoint when one dies or a new one appears
    # (docker compose up --scale worker=N). MIN_WORKERS: the fewest it trains on.
    started=$SECONDS
    status=0
    max_hosts=()
    [ -z "$MAX_WORKERS" ] || max_hosts=(--max-hosts "$MAX_WORKERS")
    run_as_mpi env "${environment[@]}" SERVICE="$SERVICE" RANKS_PER_WORKER="$RANKS_PER_WORKER" \
      "$MNIST_MPI_BIN" elastic --discover "$REPO/scripts/cluster/compose-hosts.sh" --probe-port 22 --probe-expects-greeting --probe-new-hosts-only \
      --initial-hosts "$WORKERS" --min-hosts "$MIN_WORKERS" ${max_hosts[@]+"${max_hosts[@]}"} \
      --max-restarts "$MAX_RESTARTS" --wait-seconds "$WAIT_SECONDS" --launch "$launch" -- \
      --data "$DATA_DIR" --preset "$PRESET" --epochs "$EPOCHS" \
      --summary "$RESULTS/summary.json" --metrics "$RESULTS/metrics.jsonl" ${train_args[@]+"${train_args[@]}"} || status=$?
    if [ "$status" -ne 0 ]; then
      log "the job ended after $((SECONDS - started)) s with status $status (the error line above says why)"
      exit "$status"
    fi
    log "done in $((SECONDS - started)) s; results in ./results"
    ;;

  *)
    exec "$@"
    ;;
esac
