#!/usr/bin/env bash
# Elastic training on network-namespace hosts, as on a cluster: `mnist-mpi elastic` discovers the
# hosts whose link is up, launches mpirun over them, and relaunches when one fails or one is added.
#   sudo scripts/cluster/netns-elastic.sh                  # 3 hosts; host 2 fails at a random step,
#                                                          # then host 3 is added; checks the run
#   scripts/cluster/netns-elastic.sh hosts [SLOTS]         # discovery: address:slots of the hosts up
#   scripts/cluster/netns-elastic.sh launch HOSTFILE RANKS COMMAND...   # the supervisor's --launch
#   sudo scripts/cluster/netns-elastic.sh slow             # 3 hosts, rank 1 slowed (a test hook):
#                                                          # --drop-slow-hosts leaves its host out
# The run's checks: a relaunch on the 2 survivors within 10 s of the failure, at most K steps
# redone, the added host taken in, and (--deterministic --global-batch) the parameters
# bit-identical to an uninterrupted local run. Environment: EPOCHS (8), K (20), BIN, DATA_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/cluster/netns-lib.sh
source "$here/netns-lib.sh"

case ${1:-run} in
  hosts)
    netns_hosts_up "${2:-1}"
    exit 0
    ;;
  launch)
    shift
    [ $# -ge 3 ] || { echo "usage: $0 launch HOSTFILE RANKS COMMAND..." >&2; exit 2; }
    # The agent beside the supervisor's hostfile (its folder is the job's); then this shell
    # becomes the launcher, so the supervisor's SIGTERM reaches mpirun.
    agent="$(dirname "$1")/netns-agent"
    netns_write_agent "$agent"
    NETNS_EXEC=1 netns_mpirun_hostfile "$agent" "$@"
    ;;
  run | slow) ;;
  *) echo "usage: $0 [slow | hosts [SLOTS] | launch HOSTFILE RANKS COMMAND...]" >&2; exit 2 ;;
esac

cd "$here/../.."
BIN=${BIN:-.build/release/mnist-mpi}
DATA_DIR=${DATA_DIR:-data/mnist}
EPOCHS=${EPOCHS:-8}
K=${K:-20}
[ -x "$BIN" ] || { echo "error: $BIN is missing: run scripts/train.sh or swift build -c release first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "error: network namespaces need root: run as root (sudo $0)" >&2; exit 1; }
BIN=$(readlink -f "$BIN")

mode=${1:-run}
work=$(mktemp -d)
netns_cluster_up 3 "$work"
if [ "$mode" = slow ]; then
  # Rank 1 sleeps SLOW_MS before each step (every launch's rank 1): the supervisor drops its host
  # once the trainer finds it slow, and keeps 2 hosts (--min-hosts 2) however slow rank 1 stays.
  train=(--data "$DATA_DIR" --epochs "$EPOCHS" --global-batch 600 --deterministic --eval-every 0)
  printf '#!/usr/bin/env bash\nexec %q launch "$@"\n' "$here/netns-elastic.sh" > "$work/launch"
  chmod +x "$work/launch"
  status=0
  MNIST_MPI_TEST_HOOKS="slow-rank=1:${SLOW_MS:-40}" "$BIN" elastic --discover "$here/netns-elastic.sh hosts" --launch "$work/launch" \
    --initial-hosts 3 --min-hosts 2 --drop-slow-hosts --poll-seconds 0.5 -- \
    "${train[@]}" --checkpoint "$work/ck" --checkpoint-every-steps "$K" --summary "$work/summary.json" > "$work/elastic.log" 2>&1 || status=$?
  grep -E '^elastic: |^resuming|^slow rank' "$work/elastic.log" | sed 's/^/netns-elastic: /'
  [ "$status" -eq 0 ] || { tail -n 30 "$work/elastic.log" >&2; echo "error: netns-elastic: the elastic job ended with $status" >&2; exit 1; }
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 "$BIN" train "${train[@]}" \
    --summary "$work/reference.json" > "$work/reference.log" 2>&1 || { cat "$work/reference.log" >&2; exit 1; }
  python3 - "$work/summary.json" "$work/reference.json" <<'CHECK'
import json, sys
s, r = (json.load(open(p)) for p in sys.argv[1:3])
restarts = s["restarts"]
print(f"netns-elastic: {[x['reason'] for x in restarts]}; {s['ranks']} ranks at the end, {s['seconds_per_epoch']:.2f} s/epoch; "
      f"fingerprint {s['parameter_fingerprint']} (uninterrupted {r['parameter_fingerprint']})")
problems = []
if [x["reason"] for x in restarts] != ["host slow"] or restarts[0]["ranks_after"] != 2: problems.append(f"restarts: {restarts}")
if s["parameter_fingerprint"] != r["parameter_fingerprint"]: problems.append("parameters differ from the uninterrupted run")
if problems: sys.exit("error: netns-elastic: " + "; ".join(problems))
print("netns-elastic: passed (the slow host left out, bit-identical to an uninterrupted run)")
CHECK
  exit 0
fi
train=(--data "$DATA_DIR" --epochs "$EPOCHS" --global-batch 600 --deterministic --eval-every 0)
echo "==> 3 hosts on $NETNS_SUBNET.0/24; mnist-mpi elastic over the hosts whose link is up"
status=0
# --launch takes one program: `netns-elastic.sh launch` through a two-line wrapper.
printf '#!/usr/bin/env bash\nexec %q launch "$@"\n' "$here/netns-elastic.sh" > "$work/launch"
chmod +x "$work/launch"
"$BIN" elastic --discover "$here/netns-elastic.sh hosts" --launch "$work/launch" --initial-hosts 3 --poll-seconds 0.5 -- \
  "${train[@]}" --checkpoint "$work/ck" --checkpoint-every-steps "$K" --summary "$work/summary.json" > "$work/elastic.log" 2>&1 &
job=$!
kill_step=$((60 + RANDOM % 100))
for _ in $(seq 1 600); do
  [ "$(tr -d ' ' 2>/dev/null < "$work/ck.step" || echo 0)" -ge "$kill_step" ] 2>/dev/null && break
  sleep 0.1
done
killed_at=$(date +%s.%N)
netns_kill_host 2
echo "==> host 2 ($(netns_host_ip 2)) failed at step ~$kill_step"
for _ in $(seq 1 300); do
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(not (r and r[0].get("first_step_at")))' \
    "$work/ck.restarts.json" 2>/dev/null && break
  sleep 0.1
done
netns_add_host 3
added_at=$(date +%s.%N)
echo "==> host 3 ($(netns_host_ip 3)) added"
wait "$job" || status=$?
grep -E '^elastic: |^resuming' "$work/elastic.log" | sed 's/^/netns-elastic: /'
[ "$status" -eq 0 ] || { tail -n 30 "$work/elastic.log" >&2; echo "error: netns-elastic: the elastic job ended with $status" >&2; exit 1; }
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 "$BIN" train "${train[@]}" \
  --summary "$work/reference.json" > "$work/reference.log" 2>&1 || { cat "$work/reference.log" >&2; exit 1; }
python3 - "$work/summary.json" "$work/reference.json" "$killed_at" "$added_at" "$K" <<'CHECK'
import json, sys
s, r = (json.load(open(p)) for p in sys.argv[1:3])
killed, added, k = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
restarts = s["restarts"]
if len(restarts) != 2: sys.exit(f"error: netns-elastic: {len(restarts)} restarts, expected 2: {restarts}")
lost, joined = restarts
print(f"netns-elastic: host lost: {lost['ranks_before']} -> {lost['ranks_after']} ranks, first step {lost['first_step_at'] - killed:.1f} s "
      f"after the failure, {lost['steps_redone']} steps redone (K {k}); host added: {joined['ranks_before']} -> {joined['ranks_after']} "
      f"ranks, first step {joined['first_step_at'] - added:.1f} s after it came up")
print(f"netns-elastic: {s['test_accuracy'] * 100:.2f}% fingerprint {s['parameter_fingerprint']}; uninterrupted local run "
      f"{r['test_accuracy'] * 100:.2f}% fingerprint {r['parameter_fingerprint']}")
problems = []
if lost["reason"] != "host lost" or lost["ranks_after"] != 2: problems.append(f"restart 1: {lost}")
if lost["first_step_at"] - killed > 10: problems.append("relaunch more than 10 s after the failure")
if lost["steps_redone"] is None or lost["steps_redone"] > k: problems.append(f"{lost['steps_redone']} steps redone (> {k})")
if joined["reason"] != "host added" or joined["ranks_after"] != 3: problems.append(f"restart 2: {joined}")
if s["parameter_fingerprint"] != r["parameter_fingerprint"]: problems.append("parameters differ from the uninterrupted run")
if problems: sys.exit("error: netns-elastic: " + "; ".join(problems))
print("netns-elastic: passed (a failed host and an added host, bit-identical to an uninterrupted run)")
CHECK
