#!/usr/bin/env bash
# The compose cluster, run for real with a Docker engine, as a user runs it:
#   1. the image (scripts/cluster/build-image.sh: local Debian base, host-built binary), timed;
#   2. `docker compose up --exit-code-from head head` (the README's command), 2 workers x 1 rank:
#      exit code, accuracy, and
#      summary.json, metrics.jsonl, checkpoint.ckpt in the host's results folder;
#   3. 2 workers x 2 ranks: hierarchical allreduce, identical parameters on all 4 ranks;
#   4. MODE=scaling: report.md and the plots in the results folder;
#   5. elastic: 3 workers, --global-batch 600 --deterministic, one killed at a random step
#      (training goes on with 2: first step after the kill <= 10 s, steps redone <= K), then
#      `up --scale worker=4` (taken in within 15 s); the parameters bit-identical to an
#      uninterrupted local run; a plain rerun over the checkpoint is refused with one line;
#      --checkpoint-copies node with the checkpoint on each worker's own disk: rank 0's worker
#      killed, the survivor continues from its own copy, bit-identical;
#   5c. a worker paused (hung) at a random step, unpaused, another one's network cut, all with the
#      README's command: relaunches within HUNG_TARGET (15) and 10 s, bit-identical;
#   6. `docker compose down -v`: no container, network or volume of the project left.
# Each compose run is bounded by RUN_TIMEOUT seconds. Ends with a tally line.
#   scripts/cluster/compose-test.sh
#   FRESH=1 scripts/cluster/compose-test.sh     # remove the images first: build from nothing
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh
TEST_NAME="compose-test"
# shellcheck source=scripts/cluster/test-lib.sh
source scripts/cluster/test-lib.sh

export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-mnistmpitest}
export CLUSTER_SUBNET=${CLUSTER_SUBNET:-10.213.61.0/24}   # beside, not on, the default 10.213.60.0/24
export HOST_DATA_DIR=${HOST_DATA_DIR:-$repo/data}
export IMAGE=${IMAGE:-mnist-mpi:latest}
EPOCHS=${EPOCHS:-4}
MIN_ACCURACY=${MIN_ACCURACY:-0.8}
RUN_TIMEOUT=${RUN_TIMEOUT:-240}
ELASTIC_EPOCHS=${ELASTIC_EPOCHS:-10}
ELASTIC_K=${ELASTIC_K:-20}   # --checkpoint-every-steps of the elastic case
BIN=${BIN:-.build/release/mnist-mpi}

docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info): start dockerd first"
[ -s "$HOST_DATA_DIR/mnist/train-images-idx3-ubyte.gz" ] || [ -s "$HOST_DATA_DIR/mnist/train-images-idx3-ubyte" ] \
  || die "no MNIST in $HOST_DATA_DIR/mnist: run scripts/fetch-mnist.sh first"
find_compose

work=$(mktemp -d)
cleanup() {
  "${compose[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# Runs `compose ARGS...` with the environment given before it, into a log; returns its status.
compose_run() {  # log env-assignments... -- compose-args...
  local log=$1; shift
  local assignments=()
  while [ "$1" != -- ]; do assignments+=("$1"); shift; done
  shift
  env "${assignments[@]}" timeout --kill-after 10 "$RUN_TIMEOUT" "${compose[@]}" "$@" > "$log" 2>&1
}
summary_field() {  # file field
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
down() { "${compose[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1; }
# The head's lines from `compose up` output on stdin, without compose's colours and "head_1 | "
# prefix, as compose-test lines (after an optional label $1).
head_lines() { sed "s/\x1b\[[0-9;]*m//g; s/^[^|]*| //; s/^/compose-test: ${1:-}/"; }

say "compose-test with ${compose[*]} ($("${compose[@]}" version --short 2>/dev/null || echo '?')), project $COMPOSE_PROJECT_NAME on $CLUSTER_SUBNET"
down || true
if [ "${FRESH:-0}" = 1 ]; then
  docker image rm -f "$IMAGE" "mnist-mpi-base:$(. /etc/os-release && echo "$VERSION_CODENAME")" >/dev/null 2>&1 || true
fi

# 1. The image.
started=$SECONDS
if scripts/cluster/build-image.sh; then
  size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
  pass "image $IMAGE built in $((SECONDS - started)) s, $((size / 1000000)) MB"
else
  fail "image build (scripts/cluster/build-image.sh)"
  tally
  exit 1
fi

# 2. Training, 2 workers x 1 rank, with the README's command.
results=$work/train
mkdir -p "$results"
started=$SECONDS
status=0
compose_run "$work/train.log" WORKERS=2 EPOCHS="$EPOCHS" HOST_RESULTS_DIR="$results" -- up --exit-code-from head head || status=$?
say "2 workers x 1 rank, $EPOCHS epochs: exit $status after $((SECONDS - started)) s (containers up to down)"
if [ "$status" -eq 0 ] && [ -s "$results/summary.json" ]; then
  check "train: 2 ranks over the bridge, accuracy and files in the host's results folder" \
    python3 - "$results" 2 "$MIN_ACCURACY" <<'CHECK'
import json, os, sys
folder, ranks, minimum = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = json.load(open(os.path.join(folder, "summary.json")))
steps = s["steps"]
print(f"compose-test: {s['ranks']} ranks ({s['allreduce_method']}), test accuracy {s['test_accuracy'] * 100:.2f}%, "
      f"{s['seconds_per_epoch']:.2f} s/epoch, allreduce {s['allreduce_seconds'] / max(steps, 1) * 1e3:.2f} ms/step, "
      f"compute {s['compute_seconds'] / max(steps, 1) * 1e3:.2f} ms/step, final cost {s['final_cost']:.6f}")
missing = [f for f in ("summary.json", "metrics.jsonl", "checkpoint.ckpt") if not os.path.getsize(os.path.join(folder, f))]
problems = []
if s["ranks"] != ranks: problems.append(f"{s['ranks']} ranks, expected {ranks}")
if s["test_accuracy"] < minimum: problems.append(f"accuracy {s['test_accuracy']:.4f} below {minimum}")
if missing: problems.append(f"empty: {missing}")
if problems: sys.exit("compose-test: " + "; ".join(problems))
CHECK
else
  tail -n 20 "$work/train.log" >&2
  fail "train: exit $status (log above)"
fi
cp "$results/summary.json" "$work/uninterrupted.json" 2>/dev/null || true
down

# 3. 2 workers x 2 ranks: hierarchical allreduce (shared memory within a worker, TCP across).
results=$work/hierarchical
mkdir -p "$results"
status=0
# --compression none: the hierarchical sum is what runs uncompressed (auto might time a compression faster).
compose_run "$work/hierarchical.log" WORKERS=2 RANKS_PER_WORKER=2 EPOCHS=1 PRESET=improved HOST_RESULTS_DIR="$results" \
  MNIST_MPI_TEST_HOOKS=rank-parameters-dir=/results TRAIN_ARGS="--train-limit 20000 --compression none" -- up --exit-code-from head head || status=$?
if [ "$status" -eq 0 ] && [ -s "$results/summary.json" ]; then
  check "2 workers x 2 ranks: hierarchical allreduce, identical parameters on 4 ranks" python3 - "$results" <<'CHECK'
import json, os, sys
folder = sys.argv[1]
s = json.load(open(os.path.join(folder, "summary.json")))
parameters = [open(os.path.join(folder, f"rank-{r}.f32"), "rb").read() for r in range(s["ranks"])]
print(f"compose-test: {s['ranks']} ranks ({s['allreduce_method']}), test accuracy {s['test_accuracy'] * 100:.2f}%, "
      f"{s['seconds_per_epoch']:.2f} s/epoch (4 ranks on the machine's cores)")
problems = []
if s["ranks"] != 4: problems.append(f"{s['ranks']} ranks, expected 4")
if "hierarchical" not in s["allreduce_method"]: problems.append(f"summed by {s['allreduce_method']}")
if any(p != parameters[0] for p in parameters): problems.append("the ranks ended with different parameters")
if problems: sys.exit("compose-test: " + "; ".join(problems))
CHECK
else
  tail -n 20 "$work/hierarchical.log" >&2
  fail "hierarchical: exit $status (log above)"
fi
down

# 4. MODE=scaling: the report and plots reach the host.
results=$work/scaling
mkdir -p "$results"
status=0
compose_run "$work/scaling.log" WORKERS=2 MODE=scaling EPOCHS=1 SCALING_RANKS="1 2" SCALING_NAME=compose \
  SCALING_ARGS="--repeats 1 --modes weak" HOST_RESULTS_DIR="$results" -- up --exit-code-from head head || status=$?
check_scaling() {
  [ "$status" -eq 0 ] || { tail -n 20 "$work/scaling.log" >&2; return 1; }
  local file
  for file in report.md runs.csv speedup.png breakdown.png; do
    [ -s "$results/compose/$file" ] || { echo "compose-test: no $file in the results folder" >&2; return 1; }
  done
  { grep -E '^\| 2 \| weak' "$results/compose/report.md" || true; } | sed 's/^/compose-test: scaling report: /'
}
check "MODE=scaling: report.md, runs.csv and plots in the host's results folder" check_scaling
down

# 5. Elastic: 3 workers with a fixed global batch in deterministic mode; one worker killed at a
#    random step (training goes on with 2), then `up --scale worker=4` (the new workers are taken
#    in at a step boundary). The parameters must end bit-identical to an uninterrupted run (a
#    local 2-rank run: deterministic mode makes the bits independent of the rank count).
results=$work/elastic
mkdir -p "$results"
elastic_train=(--global-batch 600 --deterministic)
marker=$results/checkpoint.ckpt.step
restarts=$results/checkpoint.ckpt.restarts.json
env WORKERS=3 EPOCHS="$ELASTIC_EPOCHS" CHECKPOINT_STEPS="$ELASTIC_K" TRAIN_ARGS="${elastic_train[*]}" HOST_RESULTS_DIR="$results" \
  timeout --kill-after 10 "$RUN_TIMEOUT" "${compose[@]}" up --exit-code-from head head > "$work/elastic.log" 2>&1 &
job=$!
kill_step=$((60 + RANDOM % 120))
step_reached() { [ "$(tr -d ' ' 2>/dev/null < "$marker" || echo 0)" -ge "$1" ] 2>/dev/null; }
restart_done() {  # N: restart N has run its first step
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); n = int(sys.argv[2]); sys.exit(not (len(r) >= n and r[n - 1].get("first_step_at")))' \
    "$restarts" "$1" 2>/dev/null
}
victim=""
if waits_for 120 step_reached "$kill_step"; then
  victim=$(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
    --filter label=com.docker.compose.service=worker --filter label=com.docker.compose.container-number=2)
fi
killed_at=$(date +%s.%N)
scaled_at=""
if [ -n "$victim" ] && docker kill "$victim" >/dev/null && POLL_SECONDS=0.2 waits_for 60 restart_done 1; then
  WORKERS=4 HOST_RESULTS_DIR="$results" "${compose[@]}" up -d --no-recreate --scale worker=4 worker > "$work/scale.log" 2>&1 \
    || cat "$work/scale.log" >&2
  scaled_at=$(date +%s.%N)
  POLL_SECONDS=0.2 waits_for 90 restart_done 2 || true
fi
status=0
wait "$job" || status=$?
grep -E 'elastic: |resuming from' "$work/elastic.log" | head_lines
reference=$work/reference.json
reference_run 2 "$BIN" train --data "$HOST_DATA_DIR/mnist" --epochs "$ELASTIC_EPOCHS" "${elastic_train[@]}" --summary "$reference" \
  > "$work/reference.log" 2>&1 || cat "$work/reference.log" >&2
check_elastic() {
  if [ "$status" -ne 0 ] || [ ! -s "$results/summary.json" ] || [ -z "$scaled_at" ]; then
    tail -n 30 "$work/elastic.log" >&2
    echo "compose-test: exit $status, kill at step $kill_step, scaled: ${scaled_at:-no}" >&2
    return 1
  fi
  python3 - "$results/summary.json" "$reference" "$killed_at" "$scaled_at" "$ELASTIC_K" "$kill_step" <<'CHECK'
import json, sys
s, r = (json.load(open(p)) for p in sys.argv[1:3])
killed, scaled, k, kill_step = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
restarts = s["restarts"]
problems = []
if len(restarts) != 2: sys.exit(f"compose-test: {len(restarts)} restarts, expected 2: {restarts}")
lost, added = restarts
recovery, joined = lost["first_step_at"] - killed, added["first_step_at"] - scaled
print(f"compose-test: killed at step ~{kill_step}: {lost['ranks_before']} -> {lost['ranks_after']} ranks, first step after the restart "
      f"{recovery:.1f} s after the kill (job noticed {lost['ended_at'] - killed:.1f} s), {lost['steps_redone']} steps redone (K {k})")
print(f"compose-test: scaled to 4 workers: {added['ranks_before']} -> {added['ranks_after']} ranks ({', '.join(added['added_hosts'])}), "
      f"first step {joined:.1f} s after `up --scale` returned, {added['steps_redone']} steps redone")
print(f"compose-test: elastic run {s['test_accuracy'] * 100:.2f}% fingerprint {s['parameter_fingerprint']}; uninterrupted 2-rank run "
      f"{r['test_accuracy'] * 100:.2f}% fingerprint {r['parameter_fingerprint']}; {s['checkpoints_written']} checkpoints in the last launch, "
      f"{s['checkpoint_seconds'] / max(1, s['checkpoints_written']) * 1e3:.1f} ms each")
if lost["reason"] != "host lost" or lost["ranks_after"] != 2: problems.append(f"restart 1: {lost}")
if recovery > 10: problems.append(f"first step {recovery:.1f} s after the kill (> 10)")
if lost["steps_redone"] is None or lost["steps_redone"] > k: problems.append(f"{lost['steps_redone']} steps redone (> K {k})")
if added["reason"] != "host added" or added["ranks_after"] <= 2: problems.append(f"restart 2: {added}")
if joined > 15: problems.append(f"new workers in the job {joined:.1f} s after they started (> 15)")
if s["ranks"] != added["ranks_after"]: problems.append(f"the last launch ran {s['ranks']} ranks")
if s["parameter_fingerprint"] != r["parameter_fingerprint"]: problems.append("parameters differ from the uninterrupted run")
if abs(s["test_accuracy"] - r["test_accuracy"]) > 0.003: problems.append("accuracy more than 0.3 points off")
if problems: sys.exit("compose-test: " + "; ".join(problems))
CHECK
}
check "elastic: a killed worker (training goes on with 2, <= 10 s), 2 more taken in (<= 15 s), bit-identical to an uninterrupted run" check_elastic
down
# The finished run's checkpoint is never replaced by accident: a plain rerun is refused with one line.
status=0
compose_run "$work/again.log" WORKERS=2 EPOCHS="$ELASTIC_EPOCHS" HOST_RESULTS_DIR="$results" -- up --exit-code-from head head || status=$?
check_refused() {
  grep 'error:' "$work/again.log" | head_lines 'the head said: '
  [ "$status" -ne 0 ] && [ "$(grep -c 'error:' "$work/again.log")" -eq 1 ] && grep -q 'RESUME=1' "$work/again.log"
}
check "a rerun over an existing checkpoint is refused with one line (RESUME=1 continues it)" check_refused
down

# 5b. No shared file system: every worker keeps its own copy (--checkpoint-copies node, the
#     checkpoint in the container's own /tmp); the worker that runs rank 0 is killed, and the
#     survivor continues from its own copy, bit-identical to an uninterrupted run.
results=$work/copies
mkdir -p "$results"
local_checkpoint=/tmp/mnist-mpi.ckpt
env WORKERS=2 EPOCHS="$ELASTIC_EPOCHS" CHECKPOINT="$local_checkpoint" CHECKPOINT_STEPS="$ELASTIC_K" \
  TRAIN_ARGS="--checkpoint-copies node ${elastic_train[*]}" HOST_RESULTS_DIR="$results" \
  timeout --kill-after 10 "$RUN_TIMEOUT" "${compose[@]}" up --exit-code-from head head > "$work/copies.log" 2>&1 &
job=$!
rank0_container() {  # the worker whose address heads the launch's hostfile (in the head's /tmp)
  local head address worker
  head=$(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter label=com.docker.compose.service=head | head -n 1)
  [ -n "$head" ] || return 1
  address=$(docker exec "$head" head -n 1 "$local_checkpoint.hosts" 2>/dev/null | awk '{print $1}')
  [ -n "$address" ] || return 1
  for worker in $(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter label=com.docker.compose.service=worker); do
    docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$worker" | grep -qx "$address" && { echo "$worker"; return 0; }
  done
  return 1
}
rank0_at_step() {
  local worker
  worker=$(rank0_container) || return 1
  [ "$(docker exec "$worker" cat "$local_checkpoint.step" 2>/dev/null | tr -d ' ' || echo 0)" -ge "$1" ] 2>/dev/null
}
status=0
victim=""
if POLL_SECONDS=0.3 waits_for 120 rank0_at_step 150; then
  victim=$(rank0_container)
  docker kill "$victim" >/dev/null
fi
wait "$job" || status=$?
grep -E 'elastic: |resuming from' "$work/copies.log" | head_lines
check_copies() {
  if [ -z "$victim" ] || [ "$status" -ne 0 ] || [ ! -s "$results/summary.json" ]; then
    tail -n 30 "$work/copies.log" >&2
    return 1
  fi
  grep -q 'elastic: restart 1 (host lost' "$work/copies.log" || { echo "compose-test: no relaunch after the loss" >&2; return 1; }
  grep -qE "resuming from $local_checkpoint at epoch [0-9]+ step [0-9]+" "$work/copies.log" || { echo "compose-test: no resume from a copy" >&2; return 1; }
  python3 - "$results/summary.json" "$reference" <<'CHECK'
import json, sys
s, r = (json.load(open(p)) for p in sys.argv[1:3])
print(f"compose-test: rank 0's worker killed, copies on the workers' own disks: {s['ranks']} rank left, "
      f"{s['test_accuracy'] * 100:.2f}% fingerprint {s['parameter_fingerprint']} (uninterrupted {r['parameter_fingerprint']})")
problems = []
if s["ranks"] != 1: problems.append(f"{s['ranks']} ranks after the loss")
if s["parameter_fingerprint"] != r["parameter_fingerprint"]: problems.append("parameters differ from the uninterrupted run")
if problems: sys.exit("compose-test: " + "; ".join(problems))
CHECK
}
check "no shared file system (--checkpoint-copies node): rank 0's worker killed, the survivor's own copy continues, bit-identical" check_copies
down

# 5c. A hung worker and a partition, with the README's command: 3 workers; worker 2 paused
#     (`docker pause`: alive, its kernel still accepts connections, no process runs) at a random
#     step: found hung from the heartbeats, relaunched on 2 (first step <= HUNG_TARGET s after the
#     pause); unpaused: taken back (3 ranks); worker 3's network cut (`docker network disconnect`):
#     relaunched on 2 (<= 10 s). Bit-identical to the uninterrupted run; afterwards no orted or
#     trainer left in any container.
results=$work/hung
mkdir -p "$results"
HUNG_TARGET=${HUNG_TARGET:-15}
marker=$results/checkpoint.ckpt.step
restarts=$results/checkpoint.ckpt.restarts.json
env WORKERS=3 EPOCHS="$ELASTIC_EPOCHS" CHECKPOINT_STEPS="$ELASTIC_K" TRAIN_ARGS="${elastic_train[*]}" HOST_RESULTS_DIR="$results" \
  timeout --kill-after 10 "$RUN_TIMEOUT" "${compose[@]}" up --exit-code-from head head > "$work/hung.log" 2>&1 &
job=$!
worker_container() {  # N: the container of worker N
  docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
    --filter label=com.docker.compose.service=worker --filter "label=com.docker.compose.container-number=$1"
}
pause_step=$((40 + RANDOM % 80))
paused_at="" unpaused_at="" cut_at=""
frozen=""
if waits_for 120 step_reached "$pause_step"; then
  frozen=$(worker_container 2)
  docker pause "$frozen" >/dev/null && paused_at=$(date +%s.%N)
fi
if [ -n "$paused_at" ] && POLL_SECONDS=0.2 waits_for 60 restart_done 1; then
  docker unpause "$frozen" >/dev/null && unpaused_at=$(date +%s.%N)
  if POLL_SECONDS=0.2 waits_for 60 restart_done 2; then
    # 30 steps into the launch, past the stall watchdog's timed steps (6-25): the cut worker's rank
    # then ends on its measured limit (30 s) instead of the 60 s before it.
    resumed=$(tr -d ' ' < "$marker" 2>/dev/null || echo 0)
    waits_for 30 step_reached $((resumed + 30)) || true
    docker network disconnect -f "${COMPOSE_PROJECT_NAME}_cluster" "$(worker_container 3)" && cut_at=$(date +%s.%N)
  fi
fi
[ -z "$frozen" ] || docker unpause "$frozen" >/dev/null 2>&1 || true
status=0
wait "$job" || status=$?
grep -E 'elastic: |resuming from' "$work/hung.log" | head_lines
# The cut worker's rank cannot hear that its job ended: its stall watchdog ends it (auto limit,
# at least 30 s), and its reaper its daemon 10 s later.
leftovers=""
nothing_left() {
  local worker
  leftovers=""
  for worker in $(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter label=com.docker.compose.service=worker); do
    leftovers+=$(docker exec "$worker" pgrep -a -f 'orted|mnist-mpi train' 2>/dev/null || true)
  done
  [ -z "$leftovers" ]
}
left_started=$SECONDS
POLL_SECONDS=2 waits_for 90 nothing_left || true
say "processes of the job left in the workers: ${leftovers:-none} ($((SECONDS - left_started)) s after the end)"
check_hung() {
  if [ "$status" -ne 0 ] || [ ! -s "$results/summary.json" ] || [ -z "$cut_at" ]; then
    tail -n 30 "$work/hung.log" >&2
    echo "compose-test: exit $status, paused at step $pause_step: ${paused_at:-no}, unpaused: ${unpaused_at:-no}, cut: ${cut_at:-no}" >&2
    return 1
  fi
  [ -z "$leftovers" ] || { echo "compose-test: processes left in the workers: $leftovers" >&2; return 1; }
  python3 - "$results/summary.json" "$reference" "$paused_at" "$unpaused_at" "$cut_at" "$HUNG_TARGET" <<'CHECK'
import json, sys
s, r = (json.load(open(p)) for p in sys.argv[1:3])
paused, unpaused, cut, target = (float(a) for a in sys.argv[3:7])
restarts = s["restarts"]
if len(restarts) != 3: sys.exit(f"compose-test: {len(restarts)} restarts, expected 3: {restarts}")
hung, back, lost = restarts
print(f"compose-test: worker paused at step {hung['last_step']}: found hung {hung['ended_at'] - paused:.1f} s after the pause, "
      f"{hung['ranks_before']} -> {hung['ranks_after']} ranks, first step {hung['first_step_at'] - paused:.1f} s after the pause, "
      f"{hung['steps_redone']} steps redone")
print(f"compose-test: unpaused: taken back {back['first_step_at'] - unpaused:.1f} s later ({back['ranks_before']} -> {back['ranks_after']} ranks); "
      f"network cut: first step {lost['first_step_at'] - cut:.1f} s after it ({lost['ranks_before']} -> {lost['ranks_after']} ranks)")
print(f"compose-test: fingerprint {s['parameter_fingerprint']} (uninterrupted {r['parameter_fingerprint']})")
problems = []
if hung["reason"] != "host hung" or hung["ranks_after"] != 2: problems.append(f"restart 1: {hung}")
if hung["first_step_at"] - paused > target: problems.append(f"first step {hung['first_step_at'] - paused:.1f} s after the pause (> {target:.0f})")
if back["reason"] != "host added" or back["ranks_after"] != 3: problems.append(f"restart 2: {back}")
if lost["reason"] != "host lost" or lost["ranks_after"] != 2: problems.append(f"restart 3: {lost}")
if lost["first_step_at"] - cut > 10: problems.append(f"first step {lost['first_step_at'] - cut:.1f} s after the cut (> 10)")
if s["parameter_fingerprint"] != r["parameter_fingerprint"]: problems.append("parameters differ from the uninterrupted run")
if problems: sys.exit("compose-test: " + "; ".join(problems))
CHECK
}
check "hung and cut workers: a paused worker found hung and left out (<= ${HUNG_TARGET} s), taken back when unpaused, a cut one left out (<= 10 s), bit-identical, nothing left running" check_hung
down

# 6. Nothing left behind.
left=$(project_leftovers "$COMPOSE_PROJECT_NAME")
check "down -v: no container, network or volume of project $COMPOSE_PROJECT_NAME left" test -z "$left"
tally
