#!/usr/bin/env bash
# The sbatch recipe, run for real on a Slurm cluster in containers (scripts/cluster/slurm-compose.yml:
# slurmctld and two slurmd nodes, munge, an internal network):
#   1. the image (scripts/cluster/build-image.sh, target slurm-prebuilt), the shared folder staged
#      (scripts, the host-built binary, the data), the cluster up, `sinfo` showing both nodes idle;
#   2. `sbatch scripts/cluster/slurm.sbatch --epochs 2` with `srun --mpi=pmix`, then again with
#      LAUNCHER=mpirun: COMPLETED, accuracy in results/slurm-<job id>/summary.json, ranks on both
#      nodes (the hierarchical sum found 2 nodes; the job's node list is c[1-2]);
#   3. a job cancelled mid-run (scancel) leaves its checkpoint intact (mnist-mpi evaluate), and a
#      resubmitted job with --resume continues it to COMPLETED;
#   4. elastic: node c2 killed mid-job -> the step ends within 10 s and the job goes on on c1
#      inside its allocation (mnist-mpi elastic, scripts/cluster/srun-hosts.sh), at most K steps
#      redone, COMPLETED, bit-identical to an uninterrupted run (--deterministic);
#   5. a node back, through Slurm's requeue: a --nodes=1-2 --requeue job on c1 alone, c2 restarted,
#      `scontrol requeue`: the job continues its checkpoint on c[1-2], COMPLETED, bit-identical;
#   6. `down -v`: nothing of the project left. Each wait is bounded; ends with a tally line.
#   scripts/cluster/slurm-test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh
TEST_NAME="slurm-test"
# shellcheck source=scripts/cluster/test-lib.sh
source scripts/cluster/test-lib.sh

export COMPOSE_PROJECT_NAME=${SLURM_PROJECT:-mnistmpislurm}
export SLURM_NET=${SLURM_NET:-10.213.62}   # the first three octets of its /24
export SLURM_IMAGE=${SLURM_IMAGE:-mnist-mpi-slurm:latest}
DATA_DIR=${DATA_DIR:-$repo/data/mnist}
BIN=${BIN:-.build/release/mnist-mpi}
JOB_SECONDS=${JOB_SECONDS:-180}
MIN_ACCURACY=${MIN_ACCURACY:-0.6}
ELASTIC_EPOCHS=${ELASTIC_EPOCHS:-4}
ELASTIC_K=${ELASTIC_K:-20}   # --checkpoint-every-steps of the elastic case

docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info): start dockerd first"
[ -s "$DATA_DIR/train-images-idx3-ubyte.gz" ] || [ -s "$DATA_DIR/train-images-idx3-ubyte" ] \
  || die "no MNIST in $DATA_DIR: run scripts/fetch-mnist.sh first"
find_compose

work=$(mktemp -d)
chmod 755 "$work"
export SHARED_DIR=$work/shared
slurm=("${compose[@]}" -f scripts/cluster/slurm-compose.yml)
cleanup() {
  "${slurm[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# docker exec, not compose exec: the waits poll with it, and a compose process per poll would
# take CPU from the jobs on this machine's cores.
controller_id() {
  docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
    --filter label=com.docker.compose.service=controller | head -n 1
}
on_controller() { docker exec -i "$(controller_id)" "$@"; }
# sbatch as the user mpi from the shared checkout, with what a container cluster needs: no rank
# binding (the nodes share this machine's cores), eth0, no CMA (not permitted in containers).
submit() {  # "ENV=VALUE ..." "sbatch options" train-options...
  local env_words=() sbatch_words=() exec_env=() word
  read -r -a env_words <<< "$1"
  read -r -a sbatch_words <<< "$2"
  shift 2
  for word in BIND=none NETWORK=eth0 OMPI_MCA_btl_vader_single_copy_mechanism=none ${env_words[@]+"${env_words[@]}"}; do
    exec_env+=(-e "$word")
  done
  docker exec -i -u mpi -w /shared/mnist-mpi "${exec_env[@]}" "$(controller_id)" \
    sbatch --parsable ${sbatch_words[@]+"${sbatch_words[@]}"} scripts/cluster/slurm.sbatch "$@" 
}
job_state() { on_controller scontrol show job "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
job_ended() { case $(job_state "$1") in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) return 0 ;; esac; return 1; }
job_output() { cat "$SHARED_DIR/mnist-mpi/mnist-mpi-$1.out" 2>/dev/null || true; }

say "slurm-test with ${compose[*]}, project $COMPOSE_PROJECT_NAME on $SLURM_NET.0/24"
"${slurm[@]}" down -v --remove-orphans >/dev/null 2>&1 || true

# 1. Image, shared folder, cluster.
started=$SECONDS
if TARGET=slurm-prebuilt IMAGE=$SLURM_IMAGE scripts/cluster/build-image.sh; then
  pass "image $SLURM_IMAGE built in $((SECONDS - started)) s, $(( $(docker image inspect -f '{{.Size}}' "$SLURM_IMAGE") / 1000000 )) MB"
else
  fail "image build (TARGET=slurm-prebuilt scripts/cluster/build-image.sh)"
  tally
  exit 1
fi
checkout=$SHARED_DIR/mnist-mpi
mkdir -p "$checkout/.build/release" "$checkout/data"
cp -r scripts "$checkout/"
cp "$BIN" "$checkout/.build/release/mnist-mpi"
cp -r "$DATA_DIR" "$checkout/data/mnist"
# The nodes' user mpi takes the shared folder's owner as its uid: give it one that is not root.
chown -R 1000:1000 "$SHARED_DIR"
started=$SECONDS
"${slurm[@]}" up -d > "$work/up.log" 2>&1 || { cat "$work/up.log" >&2; die "the Slurm cluster did not start"; }
nodes_idle() { [ "$(on_controller sinfo -h -N -o '%T' 2>/dev/null | grep -c '^idle')" -eq 2 ]; }
if waits_for 90 nodes_idle; then
  pass "sinfo: c1 and c2 idle $((SECONDS - started)) s after up"
else
  on_controller sinfo >&2 || true
  "${slurm[@]}" logs --tail 20 >&2 || true
  fail "the nodes did not become idle within 90 s"
  tally
  exit 1
fi

# 2. The recipe with both launchers, 2 nodes x 2 tasks.
run_job() {  # launcher
  local launcher=$1 id first_epoch submitted
  submitted=$(date +%s.%N)
  id=$(submit "LAUNCHER=$launcher" "" --epochs 2) || { fail "sbatch ($launcher)"; return; }
  first_epoch=""
  job_has_epoch() { job_output "$id" | grep -q '^epoch   0'; }
  if waits_for "$JOB_SECONDS" job_has_epoch; then
    first_epoch=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$submitted")
  fi
  POLL_SECONDS=0.5 waits_for "$JOB_SECONDS" job_ended "$id" || true
  local state nodes
  state=$(job_state "$id")
  nodes=$(on_controller scontrol show job "$id" | grep -o ' NodeList=[^ ]*' | cut -d= -f2)
  local summary=$checkout/results/slurm-$id/summary.json
  if [ "$state" = COMPLETED ] && [ -s "$summary" ] && python3 - "$summary" "$MIN_ACCURACY" "$nodes" "$launcher" "$first_epoch" <<'CHECK'
import json, sys
s = json.load(open(sys.argv[1]))
minimum, nodes, launcher, first = float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
print(f"slurm-test: {launcher}: {s['ranks']} ranks on {nodes} ({s['allreduce_method']}; compression {s.get('compression')}: {s.get('compression_reason')}), test accuracy "
      f"{s['test_accuracy'] * 100:.2f}%, {s['seconds_per_epoch']:.2f} s/epoch, first epoch logged {first} s after sbatch")
problems = []
if s["ranks"] != 4: problems.append(f"{s['ranks']} ranks, expected 4")
if s["test_accuracy"] < minimum: problems.append(f"accuracy {s['test_accuracy']:.4f} below {minimum}")
# The hierarchical sum names its nodes; a compression chosen by --compression auto was timed
# across nodes (on one node auto says so and keeps shared memory).
spans = "2 nodes" in s["allreduce_method"] or s.get("compression_reason", "").startswith(("fastest", "no compression"))
if not spans: problems.append(f"the ranks did not span 2 nodes ({s['allreduce_method']}, {s.get('compression_reason')})")
if nodes != "c[1-2]": problems.append(f"node list {nodes}")
if problems: sys.exit("slurm-test: " + "; ".join(problems))
CHECK
  then
    pass "sbatch with LAUNCHER=$launcher: job $id COMPLETED on both nodes, summary in results/slurm-$id"
  else
    job_output "$id" | tail -n 20 >&2
    fail "sbatch with LAUNCHER=$launcher: job $id ended $state"
  fi
}
run_job srun
run_job mpirun

# 3. scancel mid-run, then resubmit with --resume (2 nodes x 1 task).
checkpoint=results/cancel-resume.ckpt
epochs=12
id=$(submit "" "--ntasks-per-node=1" --epochs "$epochs" --checkpoint "$checkpoint")
if waits_for "$JOB_SECONDS" test -s "$checkout/$checkpoint"; then
  sleep 0.5   # into the next epoch
  on_controller scancel "$id"
  cancelled=$SECONDS
  stopped() { job_output "$id" | grep -q 'stopped by SIGTERM'; }
  waits_for 45 stopped || true
  POLL_SECONDS=0.5 waits_for 45 job_ended "$id" || true
  state=$(job_state "$id")
  job_output "$id" | grep '^error:' | sed 's/^/slurm-test: the cancelled job said: /'
  if [ "$state" = CANCELLED ] && stopped && [ "$(job_output "$id" | grep -c '^error:')" -eq 1 ]; then
    pass "scancel: job $id CANCELLED, every rank stopped at one step within $((SECONDS - cancelled)) s with one line and a checkpoint"
  else
    job_output "$id" | tail -n 20 >&2
    fail "scancel: job $id ended $state without the trainer's one stop line"
  fi
  evaluate_checkpoint() {
    "$BIN" evaluate --checkpoint "$checkout/$checkpoint" --data "$DATA_DIR" > "$work/evaluate.log" 2>&1 \
      || { cat "$work/evaluate.log" >&2; return 1; }
    grep -m 1 'accuracy' "$work/evaluate.log" | sed 's/^/slurm-test: checkpoint: /'
  }
  check "the cancelled job's checkpoint is intact (mnist-mpi evaluate)" evaluate_checkpoint
  id=$(submit "" "--ntasks-per-node=1" --epochs "$epochs" --checkpoint "$checkpoint" --resume)
  POLL_SECONDS=0.5 waits_for "$JOB_SECONDS" job_ended "$id" || true
  state=$(job_state "$id")
  summary=$checkout/results/slurm-$id/summary.json
  resumed=$(job_output "$id" | grep -m 1 '^resuming' || true)
  [ -z "$resumed" ] || echo "slurm-test: $resumed"
  # The cancel may land inside epoch 0 (then every epoch is touched again): the resume line's
  # position says where the job continued.
  if [ "$state" = COMPLETED ] && [ -s "$summary" ] && python3 - "$summary" "$epochs" "$resumed" <<'CHECK'
import json, re, sys
s = json.load(open(sys.argv[1]))
print(f"slurm-test: resumed job: {s['epochs_run']} of {s['epochs']} epochs run, {s['ranks']} ranks, "
      f"{s['seconds_per_epoch']:.2f} s/epoch, test accuracy {s['test_accuracy'] * 100:.2f}%")
at = re.search(r"at epoch (\d+) step (\d+)", sys.argv[3])
if not at or s["epochs"] != int(sys.argv[2]) or (int(at[1]), int(at[2])) == (0, 0) \
        or s["epochs_run"] != s["epochs"] - int(at[1]):
    sys.exit("slurm-test: the resubmitted job did not continue the cancelled one")
CHECK
  then
    pass "resubmitted with --resume: job $id COMPLETED from the cancelled job's checkpoint"
  else
    job_output "$id" | tail -n 20 >&2
    fail "resubmitted with --resume: job $id ended $state"
  fi
else
  job_output "$id" | tail -n 20 >&2
  fail "scancel: job $id wrote no checkpoint within $JOB_SECONDS s"
fi

# 4. Elastic inside the allocation: node c2 killed mid-job (docker kill) -> the supervisor sees its
#    slurmd stop answering, ends the step and relaunches on c1 alone, from the newest checkpoint
#    (at most K steps redone); then c2 paused mid-job instead (docker pause: a hung node, whose
#    slurmd port still accepts connections) -> found hung from the ranks' heartbeats, relaunched on
#    c1 (each fault found and the step ended <= DETECT_TARGET s after it), c2 unpaused once it runs. Each job COMPLETES
#    and its parameters are bit-identical to an uninterrupted local run (--deterministic with a
#    fixed global batch).
DETECT_TARGET=${DETECT_TARGET:-10}
reference=$work/elastic-reference.json
reference_done=0
c2_container() {
  docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter label=com.docker.compose.service=c2
}
for fault in kill pause; do
  checkpoint=results/elastic-$fault.ckpt
  elastic_args=(--epochs "$ELASTIC_EPOCHS" --global-batch 400 --deterministic --checkpoint "$checkpoint"
                --checkpoint-every-steps "$ELASTIC_K")
  id=$(submit "" "" "${elastic_args[@]}")
  marker=$checkout/$checkpoint.step
  restarts_file=$checkout/$checkpoint.restarts.json
  kill_step=$((50 + RANDOM % 100))
  step_reached() { [ "$(tr -d ' ' 2>/dev/null < "$marker" || echo 0)" -ge "$1" ] 2>/dev/null; }
  relaunched() {  # restart 1 has run its first step
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(not (r and r[0].get("first_step_at")))' "$restarts_file" 2>/dev/null
  }
  if ! waits_for "$JOB_SECONDS" step_reached "$kill_step"; then
    job_output "$id" | tail -n 20 >&2
    fail "elastic ($fault): job $id did not reach step $kill_step within $JOB_SECONDS s"
    continue
  fi
  victim=$(c2_container)
  fault_at=$(date +%s.%N)
  docker "$fault" "$victim" >/dev/null
  if [ "$fault" = pause ]; then
    POLL_SECONDS=0.3 waits_for 60 relaunched || true
    docker unpause "$victim" >/dev/null || true
  fi
  POLL_SECONDS=0.5 waits_for "$JOB_SECONDS" job_ended "$id" || true
  state=$(job_state "$id")
  job_output "$id" | grep -E '^elastic: |^resuming' | sed "s/^/slurm-test: ($fault) /"
  summary=$checkout/results/slurm-$id/summary.json
  if [ "$reference_done" = 0 ]; then
    reference_run 2 "$BIN" train --data "$DATA_DIR" "${elastic_args[@]:0:5}" --summary "$reference" > "$work/reference.log" 2>&1 \
      || cat "$work/reference.log" >&2
    reference_done=1
  fi
  if [ "$state" = COMPLETED ] && [ -s "$summary" ] && python3 - "$summary" "$reference" "$fault_at" "$ELASTIC_K" "$fault" "$DETECT_TARGET" <<'CHECK'
import json, sys
s, r = (json.load(open(p)) for p in sys.argv[1:3])
at, k, fault, target = float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], float(sys.argv[6])
restarts = s["restarts"]
# A hung node is set aside for --set-aside-seconds (slurmd's port does not speak first), then
# tried again: a later "host added" restart is allowed.
if not restarts or any(x["reason"] != "host added" for x in restarts[1:]) or (fault == "kill" and len(restarts) != 1):
    sys.exit(f"slurm-test: restarts {restarts}")
lost = restarts[0]
stopped, first = lost["ended_at"] - at, lost["first_step_at"] - at
print(f"slurm-test: c2 {fault}{'ed' if fault == 'kill' else 'd'}: the step ended {stopped:.1f} s after it, {lost['ranks_before']} -> "
      f"{lost['ranks_after']} ranks on {','.join(lost['hosts'])}, first step {first:.1f} s after it, {lost['steps_redone']} steps "
      f"redone (K {k}); {len(restarts) - 1} later restart(s) taking c2 back")
print(f"slurm-test: elastic job {s['test_accuracy'] * 100:.2f}% fingerprint {s['parameter_fingerprint']}; uninterrupted local run "
      f"{r['test_accuracy'] * 100:.2f}% fingerprint {r['parameter_fingerprint']}")
problems = []
reason = "host lost" if fault == "kill" else "host hung"
if lost["reason"] != reason or lost["lost_hosts"] != ["c2"] or lost["hosts"] != ["c1"]: problems.append(f"restart: {lost}")
# The new step's start waits on the controller (about 11 s after the old one ended, as after a
# kill): the bound is on finding the fault.
if stopped > target: problems.append(f"the survivors were stopped {stopped:.1f} s after the {fault} (> {target:.0f})")
if lost["steps_redone"] is None or lost["steps_redone"] > k: problems.append(f"{lost['steps_redone']} steps redone (> K {k})")
if s["parameter_fingerprint"] != r["parameter_fingerprint"]: problems.append("parameters differ from the uninterrupted run")
if problems: sys.exit("slurm-test: " + "; ".join(problems))
CHECK
  then
    pass "c2 ${fault%e}ed mid-job: job $id went on on c1 inside its allocation and COMPLETED, bit-identical to an uninterrupted run"
  else
    job_output "$id" | tail -n 30 >&2
    fail "c2 ${fault%e}ed mid-job: job $id ended $state"
  fi
  if [ "$fault" = kill ]; then
    # c2 back for the next case (Slurm may have marked it down meanwhile).
    docker start "$victim" >/dev/null || true
    waits_for 30 nodes_idle || { on_controller scontrol update nodename=c2 state=resume >/dev/null 2>&1 || true; waits_for 60 nodes_idle || true; }
  fi
done
# Section 5 starts with c2 dead.
c2_container=$(c2_container)
[ -z "$c2_container" ] || docker kill "$c2_container" >/dev/null || true

# 5. A new node through Slurm's own requeue (a running allocation cannot grow): c2 down, a job with
#    --nodes=1-2 --requeue runs on c1; c2 comes back; `scontrol requeue` stops the job at a step
#    boundary with its checkpoint; Slurm runs it again on c[1-2] (SLURM_RESTART_COUNT=1: the recipe
#    continues the checkpoint), COMPLETED on 4 ranks, bit-identical to an uninterrupted run.
on_controller scontrol update nodename=c2 state=down reason=killed-by-slurm-test >/dev/null 2>&1 || true
grow_args=(--epochs 6 --global-batch 400 --deterministic --checkpoint results/grow.ckpt --checkpoint-every-steps "$ELASTIC_K")
id=$(submit "" "--nodes=1-2 --requeue" "${grow_args[@]}")
marker=$checkout/results/grow.ckpt.step
c2_idle() { [ "$(on_controller sinfo -h -n c2 -o '%T' 2>/dev/null)" = idle ]; }
grown=""
if waits_for "$JOB_SECONDS" step_reached 100 && [ -n "${c2_container:-}" ] && docker start "$c2_container" >/dev/null; then
  waits_for 30 c2_idle || { on_controller scontrol update nodename=c2 state=resume >/dev/null 2>&1 || true; waits_for 60 c2_idle || true; }
  requeued_at=$SECONDS
  on_controller scontrol requeue "$id"
  # Slurm holds a requeued job until its BeginTime (about 2 minutes); release it now.
  pending() { [ "$(job_state "$id")" = PENDING ]; }
  POLL_SECONDS=0.5 waits_for 60 pending && on_controller scontrol update jobid="$id" StartTime=now
  POLL_SECONDS=0.5 waits_for "$JOB_SECONDS" job_ended "$id" || true
  grown=$((SECONDS - requeued_at))
fi
state=$(job_state "$id")
job_output "$id" | grep -E '^requeued|^resuming|^elastic: launching' | sed 's/^/slurm-test: /'
summary=$checkout/results/slurm-$id/summary.json
reference=$work/grow-reference.json
reference_run 2 "$BIN" train --data "$DATA_DIR" "${grow_args[@]:0:5}" --summary "$reference" > "$work/reference.log" 2>&1 \
  || cat "$work/reference.log" >&2
# The second run must continue the first one's checkpoint (from a step past 0), wherever it stopped.
if [ "$state" = COMPLETED ] && [ -s "$summary" ] && job_output "$id" | grep -q '^requeued (restart 1)' \
  && job_output "$id" | grep -qE '^resuming from results/grow.ckpt at epoch [0-9]+ step [0-9]+' \
  && ! job_output "$id" | grep -qE '^resuming from results/grow.ckpt at epoch 0 step 0( |$)' \
  && python3 - "$summary" "$reference" "$grown" <<'CHECK'
import json, sys
s, r = (json.load(open(p)) for p in sys.argv[1:3])
print(f"slurm-test: requeued with c2 back: {s['ranks']} ranks, {s['epochs_run']} of {s['epochs']} epochs touched by the second run, "
      f"{sys.argv[3]} s from scontrol requeue to COMPLETED; fingerprint {s['parameter_fingerprint']}, uninterrupted {r['parameter_fingerprint']}")
problems = []
if s["ranks"] != 4: problems.append(f"{s['ranks']} ranks after the requeue, expected 4")
if s["parameter_fingerprint"] != r["parameter_fingerprint"]: problems.append("parameters differ from the uninterrupted run")
if problems: sys.exit("slurm-test: " + "; ".join(problems))
CHECK
then
  pass "a node back: job $id requeued, continued its checkpoint on c[1-2] (2 -> 4 ranks), COMPLETED, bit-identical"
else
  job_output "$id" | tail -n 30 >&2
  fail "a node back through requeue: job $id ended $state"
fi

# 6. Nothing left behind.
"${slurm[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
left=$(project_leftovers "$COMPOSE_PROJECT_NAME")
check "down -v: no container, network or volume of project $COMPOSE_PROJECT_NAME left" test -z "$left"
tally
