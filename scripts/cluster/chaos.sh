#!/usr/bin/env bash
# A chaos run: one elastic job (mnist-mpi elastic, --deterministic with a fixed global batch), a
# seeded sequence of faults at random steps, each followed by its repair; the job must finish with
# the bits of an uninterrupted run, every relaunch must run its first step within TARGET seconds
# of its fault, and no process of the job may be left anywhere.
#   sudo scripts/cluster/chaos.sh                          # namespace hosts, 10 faults, seed printed
#   sudo scripts/cluster/chaos.sh --faults 4 --seed 7      # replay a sequence
#   scripts/cluster/chaos.sh --cluster compose --faults 6  # the compose cluster (README's command)
# Faults, on one host of the job at a time (never the last two):
#   kill   every process of the host killed (namespace: and its link down; compose: docker kill)
#          -> "host lost"; repair: the host back up -> "host added"
#   pause  every process stopped, the kernel still answering (SIGSTOP; docker pause) -> "host hung"
#          from the heartbeats; repair: continued -> "host added" once it answers again
#   cut    its network cut, its processes running (link down; docker network disconnect) ->
#          "host lost"; repair: reconnected -> "host added"
#   slow   its ranks at a third of their speed for SLOW_SECONDS (a SIGSTOP/SIGCONT duty cycle;
#          docker update --cpus 0.2) -> no relaunch (the trainer's log names the slow rank)
# Each round of faults has every kind of KINDS once (default: kill pause cut slow), in an order
# drawn from the seed.
# Ends with one line: passed, or what failed. Needs root (namespaces) or a Docker engine (compose).
# RECORD=1 keeps the measured times (the slowest of each kind) in docs/results/chaos-CLUSTER-CPU.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

cluster=netns faults=10 seed=$(( $(date +%s) % 100000 ))
while [ $# -gt 0 ]; do
  case $1 in
    --cluster) cluster=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see $0 --help)" ;;
  esac
done
if ! [[ $faults =~ ^[0-9]+$ ]] || [ "$faults" -lt 1 ]; then die "--faults must be a whole number of at least 1"; fi
[[ $seed =~ ^[0-9]+$ ]] || die "--seed must be a whole number"
case $cluster in netns | compose) ;; *) die "--cluster must be netns or compose" ;; esac

BIN=$(readlink -f "${BIN:-.build/release/mnist-mpi}")
DATA_DIR=${DATA_DIR:-data/mnist}
HOSTS=${HOSTS:-4}
K=${K:-20}
TARGET=${TARGET:-15}             # seconds from a fault to the relaunch's first step
SLOW_SECONDS=${SLOW_SECONDS:-4}
KINDS=${KINDS:-kill pause cut slow}
# Enough epochs of 100 steps for every fault and its repair (about 3 epochs each).
EPOCHS=${EPOCHS:-$((3 * faults + 3))}
[ -x "$BIN" ] || die "$BIN is missing: run scripts/train.sh or swift build -c release first"
[ -s "$DATA_DIR/train-images-idx3-ubyte.gz" ] || [ -s "$DATA_DIR/train-images-idx3-ubyte" ] \
  || die "no MNIST in $DATA_DIR: run scripts/fetch-mnist.sh first"
train=(--epochs "$EPOCHS" --global-batch 600 --deterministic --eval-every 0)
work=$(mktemp -d)
RANDOM=$seed
read -r -a kinds <<< "$KINDS"

# --- the cluster's primitives: hosts_up, start_job, fault KIND HOST, repair KIND HOST, job files
if [ "$cluster" = netns ]; then
  [ "$(id -u)" -eq 0 ] || die "network namespaces need root: run as root (sudo $0)"
  # shellcheck source=scripts/cluster/netns-lib.sh
  source scripts/cluster/netns-lib.sh
  netns_cluster_up "$HOSTS" "$work"
  checkpoint=$work/ck
  printf '#!/usr/bin/env bash\nexec %q launch "$@"\n' "$repo/scripts/cluster/netns-elastic.sh" > "$work/launch"
  chmod +x "$work/launch"
  host_name() { netns_host_ip "$1"; }
  start_job() {
    "$BIN" elastic --discover "$repo/scripts/cluster/netns-elastic.sh hosts" --launch "$work/launch" --initial-hosts "$HOSTS" \
      --poll-seconds 0.5 --set-aside-seconds 8 --max-restarts $((4 * faults + 4)) -- \
      --data "$DATA_DIR" "${train[@]}" --checkpoint "$checkpoint" --checkpoint-every-steps "$K" \
      --summary "$work/summary.json" > "$work/job.log" 2>&1
  }
  slow_pids() { ip netns pids "$NETNS_PREFIX-h$1" 2>/dev/null; }
  fault() {
    case $1 in
      kill) netns_kill_host "$2" ;;
      pause) netns_pause_host "$2" ;;
      cut) netns_cut_host "$2" ;;
      slow)
        local until=$((SECONDS + SLOW_SECONDS))
        while [ $SECONDS -lt $until ]; do
          slow_pids "$2" | xargs -r kill -STOP 2>/dev/null || true; sleep 0.02
          slow_pids "$2" | xargs -r kill -CONT 2>/dev/null || true; sleep 0.01
        done ;;
    esac
  }
  repair() {
    case $1 in
      kill | cut) netns_link_up "$2" ;;
      pause) netns_resume_host "$2" ;;
    esac
  }
  leftovers() {
    local i
    for ((i = 0; i < HOSTS; i++)); do
      ip netns pids "$NETNS_PREFIX-h$i" 2>/dev/null | xargs -r ps -o pid=,args= -p 2>/dev/null || true
    done
  }
else
  # shellcheck source=scripts/cluster/test-lib.sh
  TEST_NAME=chaos source scripts/cluster/test-lib.sh
  docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info): start dockerd first"
  find_compose
  export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-mnistmpichaos}
  export CLUSTER_SUBNET=${CLUSTER_SUBNET:-10.213.63.0/24}
  export HOST_DATA_DIR=${HOST_DATA_DIR:-$(readlink -f "$DATA_DIR/..")} IMAGE=${IMAGE:-mnist-mpi:latest}
  scripts/cluster/build-image.sh >/dev/null || die "the image did not build: run scripts/cluster/build-image.sh to see why"
  mkdir -p "$work/results"
  checkpoint=$work/results/checkpoint.ckpt
  trap '"${compose[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  "${compose[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  container() {  # worker N's container (0-based), also a stopped one
    docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
      --filter label=com.docker.compose.service=worker --filter "label=com.docker.compose.container-number=$(($1 + 1))"
  }
  host_name() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(container "$1")"; }
  start_job() {
    env WORKERS="$HOSTS" EPOCHS="$EPOCHS" CHECKPOINT_STEPS="$K" MAX_RESTARTS=$((4 * faults + 4)) \
      TRAIN_ARGS="--global-batch 600 --deterministic --eval-every 0" HOST_RESULTS_DIR="$work/results" \
      "${compose[@]}" up --exit-code-from head head > "$work/job.log" 2>&1
  }
  fault() {
    case $1 in
      kill) docker kill "$(container "$2")" >/dev/null ;;
      pause) docker pause "$(container "$2")" >/dev/null ;;
      cut) docker network disconnect -f "${COMPOSE_PROJECT_NAME}_cluster" "$(container "$2")" ;;
      slow) docker update --cpus 0.2 "$(container "$2")" >/dev/null; sleep "$SLOW_SECONDS"
            docker update --cpus 0 "$(container "$2")" >/dev/null ;;
    esac
  }
  repair() {
    case $1 in
      kill) docker start "$(container "$2")" >/dev/null ;;
      pause) docker unpause "$(container "$2")" >/dev/null ;;
      cut) docker network connect --alias worker "${COMPOSE_PROJECT_NAME}_cluster" "$(container "$2")" ;;
    esac
  }
  leftovers() {
    local worker
    for worker in $(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter label=com.docker.compose.service=worker); do
      docker exec "$worker" pgrep -a -f 'orted|mnist-mpi train' 2>/dev/null || true
    done
  }
fi

restarts_file=$checkpoint.restarts.json
step_now() { tr -d ' ' 2>/dev/null < "$checkpoint.step" || echo 0; }
restart_count() { python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$restarts_file" 2>/dev/null || echo 0; }
restart_ran() {  # N: restart N has run its first step
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); n = int(sys.argv[2]); sys.exit(not (len(r) >= n and r[n - 1].get("first_step_at")))' \
    "$restarts_file" "$1" 2>/dev/null
}
until_true() {  # SECONDS command...
  local limit=$1 started=$SECONDS; shift
  until "$@"; do [ $((SECONDS - started)) -lt "$limit" ] || return 1; sleep 0.2; done
}
job_running() { kill -0 "$job" 2>/dev/null; }
reached() { ! job_running || [ "$(step_now)" -ge "$1" ] 2>/dev/null; }
hosts_in_job() { awk '{print $1}' "$checkpoint.hosts" 2>/dev/null; }

say "chaos: $cluster cluster of $HOSTS hosts, $faults faults from seed $seed (replay: $0 --cluster $cluster --faults $faults --seed $seed), $EPOCHS epochs"
start_job &
job=$!
log=$work/faults.tsv   # kind host fault-time expected-restart-reason restart-number
: > "$log"
problems=()
total_steps=$((EPOCHS * 100))
order=()
for ((i = 0; i < faults; i++)); do
  # Every kind once per round, in a seeded order: a run of at least ${#kinds[@]} faults has each.
  if [ "${#order[@]}" -eq 0 ]; then
    order=("${kinds[@]}")
    for ((j = ${#order[@]} - 1; j > 0; j--)); do
      k=$((RANDOM % (j + 1))); swap=${order[$j]}; order[j]=${order[$k]}; order[k]=$swap
    done
  fi
  kind=${order[0]}
  order=("${order[@]:1}")
  target=$(( (i + 1) * total_steps / (faults + 2) + RANDOM % 40 ))
  until_true 600 reached "$target" || true
  job_running || { problems+=("the job ended before fault $((i + 1))"); break; }
  # A host of the current launch, never one of the last two.
  mapfile -t running < <(hosts_in_job)
  [ "${#running[@]}" -ge 3 ] || { problems+=("fewer than 3 hosts in the job before fault $((i + 1))"); break; }
  victim_name=${running[$((1 + RANDOM % (${#running[@]} - 1)))]}
  victim=""
  for ((h = 0; h < HOSTS; h++)); do [ "$(host_name "$h")" = "$victim_name" ] && victim=$h; done
  [ -n "$victim" ] || { problems+=("cannot find host $victim_name"); break; }
  before=$(restart_count)
  at=$(date +%s.%N)
  say "chaos: fault $((i + 1))/$faults: $kind host $victim ($victim_name) at step $(step_now)"
  fault "$kind" "$victim"
  case $kind in
    slow) continue ;;
    pause) reason="host hung" ;;
    *) reason="host lost" ;;
  esac
  printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$victim_name" "$at" "$reason" $((before + 1)) >> "$log"
  if ! until_true 60 restart_ran $((before + 1)); then
    problems+=("no relaunch ran within 60 s of fault $((i + 1)) ($kind)")
    repair "$kind" "$victim" || true
    break
  fi
  repair "$kind" "$victim"
  printf '%s\t%s\t%s\t%s\t%s\n' "repair" "$victim_name" "$(date +%s.%N)" "host added" $((before + 2)) >> "$log"
  until_true 90 restart_ran $((before + 2)) || { problems+=("host $victim_name not taken back within 90 s of its repair"); break; }
done
status=0
wait "$job" || status=$?
grep -E 'elastic: |slow rank' "$work/job.log" | sed 's/\x1b\[[0-9;]*m//g; s/^[^|]*| //; s/^/chaos: /' | grep -v 'elastic: launching' || true
[ "$status" -eq 0 ] || problems+=("the job ended with status $status")
left_started=$SECONDS
nothing_left() { [ -z "$(leftovers)" ]; }
until_true 90 nothing_left || problems+=("processes left $((SECONDS - left_started)) s after the end: $(leftovers | head -n 3 | tr '\n' ';')")
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 "$BIN" train --data "$DATA_DIR" "${train[@]}" \
  --summary "$work/reference.json" > "$work/reference.log" 2>&1 || { cat "$work/reference.log" >&2; problems+=("the reference run failed"); }
summary=$work/summary.json
[ "$cluster" = compose ] && summary=$work/results/summary.json
verdict=$(python3 - "$summary" "$work/reference.json" "$log" "$TARGET" "$work/result.json" "$cluster" "$seed" <<'CHECK' || true
import json, sys
try:
    s, r = (json.load(open(p)) for p in sys.argv[1:3])
except (OSError, ValueError) as error:
    print(f"FAIL no summary to compare ({error})"); sys.exit()
target = float(sys.argv[4])
restarts = s["restarts"]
problems = []
# The slowest of each kind, for the result file (RECORD=1).
result = {"cluster": sys.argv[6], "seed": int(sys.argv[7]), "restarts": len(restarts), "first_step_after": {},
          "job_ended_after": {}, "steps_redone": {}}
for line in open(sys.argv[3]):
    kind, host, at, reason, number = line.rstrip("\n").split("\t")
    number = int(number)
    if number > len(restarts):
        problems.append(f"{kind} of {host}: no restart {number}"); continue
    x = restarts[number - 1]
    took = x["first_step_at"] - float(at) if x.get("first_step_at") else float("inf")
    print(f"chaos: {kind:6} {host}: restart {number} ({x['reason']}, {x['ranks_before']} -> {x['ranks_after']} ranks, "
          f"{x['steps_redone'] if x['steps_redone'] is not None else '?'} steps redone), first step {took:.1f} s after it")
    if x["reason"] != reason: problems.append(f"restart {number} was '{x['reason']}', expected '{reason}'")
    result["first_step_after"][kind] = round(max(result["first_step_after"].get(kind, 0), took), 1)
    result["job_ended_after"][kind] = round(max(result["job_ended_after"].get(kind, 0), x["ended_at"] - float(at)), 1)
    if x["steps_redone"] is not None:
        result["steps_redone"][kind] = max(result["steps_redone"].get(kind, 0), x["steps_redone"])
    if kind != "repair" and took > target: problems.append(f"{kind} of {host}: first step {took:.1f} s after it (> {target:.0f})")
if s["parameter_fingerprint"] != r["parameter_fingerprint"]:
    problems.append(f"fingerprint {s['parameter_fingerprint']}, uninterrupted {r['parameter_fingerprint']}")
result["bit_identical"] = int(s["parameter_fingerprint"] == r["parameter_fingerprint"])
result["test_accuracy_percent"] = round(s["test_accuracy"] * 100, 2)
json.dump(result, open(sys.argv[5], "w"), indent=1)
print(f"chaos: {len(restarts)} restarts; fingerprint {s['parameter_fingerprint']} (uninterrupted {r['parameter_fingerprint']}), "
      f"accuracy {s['test_accuracy'] * 100:.2f}%")
print("FAIL " + "; ".join(problems) if problems else "PASS")
CHECK
)
printf '%s\n' "$verdict" | grep -v '^PASS$\|^FAIL ' || true
case $(printf '%s\n' "$verdict" | tail -n 1) in
  PASS) ;;
  FAIL*) problems+=("$(printf '%s\n' "$verdict" | tail -n 1 | cut -c6-)") ;;
  *) problems+=("no verdict") ;;
esac
if [ "${#problems[@]}" -gt 0 ]; then
  tail -n 20 "$work/job.log" >&2
  echo "error: chaos ($cluster, seed $seed): $(IFS=';'; echo "${problems[*]}")" >&2
  exit 1
fi
if [ "${RECORD:-0}" = 1 ]; then
  python3 scripts/figures/record.py "$work/result.json" "chaos-$cluster" \
    --command "RECORD=1 scripts/cluster/chaos.sh --cluster $cluster --faults $faults --seed $seed"
fi
say "chaos: passed ($cluster, $faults faults, seed $seed): every relaunch within $TARGET s, bit-identical to an uninterrupted run, nothing left running"
