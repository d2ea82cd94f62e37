#!/usr/bin/env bash
# Scaling past this machine, simulated: the trainer's own step on modelled clusters of 2 to 1,024
# ranks under SimGrid's SMPI (Debian's libsimgrid-dev), checked against measured runs where they
# can be made (this machine's shared memory, and 2 to 4 network-namespace hosts).
#
# 1. Record: a real 2-rank run per model and reducer, its MPI calls recorded through MPI's
#    profiling interface (scripts/simulate/mpi_call_trace.c, LD_PRELOAD): the steady step's calls,
#    their sizes, order and communicators, and the local compute before each (the thread's CPU
#    time), measured on this CPU. The reducers that sum across nodes apart from within them (the
#    hierarchical one, --allreduce shared-memory, what the default picks on nodes of several ranks;
#    --deterministic's tree) are recorded on 2 network-namespace hosts of 2 ranks (root), so that
#    their step has the calls across nodes.
# 2. Simulate: scripts/simulate/step_replay.c (built with smpicc) replays that step on platform
#    files (scripts/simulate/simulate.py platform): a flat switch of one rank per host, and a
#    two-level fat tree of nodes of 8 ranks (fattree:8: the ranks share the node's link and talk
#    through a loopback fitted to this machine's shared-memory allreduce sweep); links of 1, 10,
#    25 and 100 Gbit/s; collectives as Open MPI picks them (SMPI's ompi selector), SMPI's default
#    network model (its TCP factors, calibrated on real clusters). --overlap's nonblocking sums
#    start at their first wait, as Open MPI's move only inside MPI calls
#    (STEP_REPLAY_ASYNC_PROGRESS=1: where they are called, a network that progresses alone).
# 3. Validate (VALIDATE="shm 1gbit 10gbit"): shm sets the 2-rank runs of step 1 against one
#    simulated node of 2 ranks; each rate (root) runs every model and reducer on 2, 3 and 4
#    (VALIDATE_HOSTS) network-namespace hosts with tc-shaped links (hierarchical and deterministic
#    also on 2 hosts of 2 ranks), its calls recorded, and sets the measured step against the simulated one on a
#    platform of tc's rate and the latency of small allreduces over the link, whose ranks share
#    this machine's cores as the hosts did (STEP_REPLAY_MACHINE_CORES in step_replay.c).
# Writes results/NAME/: points.csv, report.md (validation table, efficiency per rank count,
# compression and link, the winner bold), simulated.json, efficiency-MODEL.png.
#   scripts/simulate-scaling.sh                           # everything: about 30 minutes on 2 cores
#   QUICK=1 scripts/simulate-scaling.sh                   # the seed MLP, 3 reducers, 2 and 4 ranks, 10 Gbit/s; shm, 2 hosts and 2x2 at 10 Gbit/s: ~1 minute
#   MODELS=mlp COMPRESSIONS=none LINKS=10Gbps:5us RANKS="2 64 1024" scripts/simulate-scaling.sh
# RECORD=1 keeps the figures as docs/results/simulated-scaling-CPU.json.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

if [ "${QUICK:-0}" = 1 ]; then
  : "${MODELS:=mlp}" "${COMPRESSIONS:=none hierarchical deterministic}" "${LINKS:=10Gbps:5us}" "${RANKS:=2 4}" "${TOPOLOGIES:=flat flat:2}" \
    "${VALIDATE=shm 10gbit}" "${VALIDATE_HOSTS:=2}"
fi
MODELS=${MODELS:-mlp lenet5}
# Reducers: --compression values (MPI_Allreduce of the whole job), overlap (--overlap: a nonblocking
# sum per layer, waited for at the step's end), and hierarchical (--allreduce shared-memory: within
# a node in shared memory, across nodes by MPI_Allreduce of a 1/C chunk a rank; on topologies with
# nodes of C > 1 ranks only: with one rank a node the trainer sums by MPI_Allreduce, as none does),
# deterministic (--deterministic, 100 rows a rank: the tree sum in shared memory, rows exchanged
# point to point between nodes, MPI_Allgatherv of the root's parts).
COMPRESSIONS=${COMPRESSIONS:-none bf16 powersgd overlap hierarchical deterministic}
# Link bandwidth:latency, SimGrid units; the latencies are a switch hop's (Ethernet to InfiniBand).
LINKS=${LINKS:-1Gbps:50us 10Gbps:5us 25Gbps:2us 100Gbps:1us}
RANKS=${RANKS:-2 4 8 16 32 64 128 256 512 1024}
# flat or fattree, :C for nodes of C ranks (fattree:8); rank counts that do not fill whole nodes are skipped.
TOPOLOGIES=${TOPOLOGIES:-flat fattree:8}
# --deterministic's exchange sends to every other node at once: SimGrid solves its ranks x (nodes - 1)
# flows together, 24 s of an AMD EPYC Zen 5 for 128 nodes of one rank, 30 minutes for 256. Points with
# more flows are skipped, and the log says so (flat: up to 128 ranks; fattree:8: up to 256).
DETERMINISTIC_MAX_FLOWS=${DETERMINISTIC_MAX_FLOWS:-16384}
VALIDATE=${VALIDATE-shm 1gbit 10gbit}
VALIDATE_HOSTS=${VALIDATE_HOSTS:-2 3 4}
# The namespace links shaped as a port serializes (tc htb, a bucket of 100 us of traffic), not with
# the 4 ms bucket of tbf that the other benchmarks use: after the compute between two sums the
# full bucket lets 4 ms of traffic pass at memory speed, which no link of the platform does
# (1 Gbit/s, seed MLP: tbf measured 9.3 ms a step, simulated 11.5).
export LINK_SHAPER=${LINK_SHAPER:-htb}
STEPS=${STEPS:-2}
NAME=${NAME:-simulated-scaling}
DATA_DIR=${DATA_DIR:-data/mnist}
OUT=${RESULTS_DIR:-results}/$NAME
WORK=.build/simulate

[ "$MPI" = openmpi ] || die "MPI=$MPI: the calls are recorded under Open MPI's mpirun; run without MPI=mpich"
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  ensure_swift
  ensure_packages "${SYSTEM_PACKAGES[@]}" libsimgrid-dev python3 gnuplot-nox iproute2 util-linux
  build release
  scripts/fetch-mnist.sh "$DATA_DIR"
fi
command -v smpicc >/dev/null || die "smpicc not found: apt-get install libsimgrid-dev (SimGrid's SMPI)"
allow_mpi_as_root
BIN=${MNIST_MPI_BIN:-$RELEASE_BIN}
mkdir -p "$WORK" "$OUT"
rm -f "$OUT/points.csv" "$WORK"/*.sched "$WORK"/*.sched.*
mpicc -shared -fPIC -O2 -o "$WORK/libmpi_call_trace.so" scripts/simulate/mpi_call_trace.c
smpicc -O2 -o "$WORK/step_replay" scripts/simulate/step_replay.c 2>/dev/null
TRACER=$PWD/$WORK/libmpi_call_trace.so

model_args() {  # MODEL
  case $1 in
    mlp) echo "" ;;
    lenet5) echo "--preset lenet5" ;;
    *) echo "--model $1" ;;
  esac
}

reducer_args() {  # REDUCER RANKS: a --compression value, overlap (float32, one nonblocking sum per layer), hierarchical, deterministic
  case $1 in
    deterministic) echo "--compression none --deterministic --global-batch $(( 100 * $2 ))" ;;
    overlap) echo "--compression none --overlap --allreduce mpi" ;;
    hierarchical) echo "--compression none --allreduce shared-memory" ;;
    *) echo "--compression $1 --allreduce mpi" ;;
  esac
}

# Records one run's calls and writes its schedule: NAME LAUNCHER... :: TRAIN ARGUMENTS
record() {
  local name=$1; shift
  local launch=()
  while [ "$1" != :: ]; do launch+=("$1"); shift; done
  shift
  rm -f "$PWD/$WORK/$name.trace".*
  "${launch[@]}" "$BIN" train --data "$DATA_DIR" --epochs 1 --eval-every 0 --log-every 1000 "$@" > /dev/null
  python3 scripts/simulate/simulate.py schedule "$PWD/$WORK/$name.trace" "$WORK/$name.sched" cpu > "$WORK/$name.step.json"
}

# Simulated seconds a step: SCHEDULE PLATFORM HOSTFILE RANKS (MACHINE_CORES: the ranks share that
# many cores, as a validation run's namespace hosts did)
simulate() {
  STEP_REPLAY_MACHINE_CORES=${MACHINE_CORES:-} smpirun -np "$4" -platform "$2" -hostfile "$3" --cfg=smpi/host-speed:1Gf --cfg=smpi/coll-selector:ompi \
    --log=root.thresh:error "$WORK/step_replay" "$1" "$STEPS" 2>&1 \
    | awk '/^seconds_per_step/ {print $2}'
}

echo "model,compression,topology,link,ranks,simulated_step_seconds,local_seconds,efficiency,measured_step_seconds,source" > "$OUT/points.csv"
point() {  # model compression topology link ranks step local reference measured source
  python3 - "$@" >> "$OUT/points.csv" <<'PY'
import sys
model, compression, topology, link, ranks, step, local, reference, measured, source = sys.argv[1:]
if not step:
    sys.exit(f"error: SMPI gave no step time for {model} {compression} on {ranks} ranks ({topology}, {link})")
print(f"{model},{compression},{topology},{link},{ranks},{step},{local},{float(reference) / float(step)},{measured},{source}")
PY
}
local_seconds() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['local_seconds'])" "$1"; }
measured_seconds() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['measured_step_seconds'])" "$1"; }

say "this node's shared memory as a loopback: allreduce sweep of 2 ranks"
mpirun -np 2 --bind-to core "$BIN" bench allreduce --sweep --rounds 3 > "$WORK/sweep-shm.json"
python3 scripts/simulate/simulate.py fit "$WORK/sweep-shm.json" shm > "$WORK/loopback.json"
say "loopback: $(cat "$WORK/loopback.json")"

say "recording the calls of real 2-rank runs (one node): models $MODELS, reducers $COMPRESSIONS"
for model in $MODELS; do
  for compression in $COMPRESSIONS; do
    # shellcheck disable=SC2046
    record "$model-$compression" mpirun -np 2 --bind-to core -x OPENBLAS_NUM_THREADS=1 -x LD_PRELOAD="$TRACER" \
      -x MPI_CALL_TRACE="$PWD/$WORK/$model-$compression.trace" :: $(model_args "$model") $(reducer_args "$compression" 2)
    say "$model, $compression: $(cat "$WORK/$model-$compression.step.json")"
  done
done

# The step across nodes of the reducers that sum within a node apart: 2 namespace hosts of 2 ranks
# (the 4 ranks share this machine's cores; the schedule's local work is each thread's CPU time).
# Records NAME MODEL RATE REDUCER: 2 hosts of 2 ranks at tc's RATE.
record_nodes() {
  local yield=()
  [ 4 -le "$(nproc)" ] || yield=(--mca mpi_yield_when_idle 1)
  # shellcheck disable=SC2046
  RANKS_PER_HOST=2 LINK_RATE=$3 record "$1" scripts/cluster/netns-launch.sh 4 -x OPENBLAS_NUM_THREADS=1 \
    ${yield[@]+"${yield[@]}"} -x LD_PRELOAD="$TRACER" -x MPI_CALL_TRACE="$PWD/$WORK/$1.trace" -- :: $(model_args "$2") \
    $(reducer_args "$4" 4)
}
ACROSS_NODES=()  # of COMPRESSIONS, the reducers recorded on nodes
for reducer in hierarchical deterministic; do
  [[ " $COMPRESSIONS " == *" $reducer "* ]] && ACROSS_NODES+=("$reducer")
done
if [ ${#ACROSS_NODES[@]} -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
  say "SKIPPED: ${ACROSS_NODES[*]} across nodes (their step is recorded on namespace hosts: needs root); on one node only"
elif [ ${#ACROSS_NODES[@]} -gt 0 ]; then
  say "recording ${ACROSS_NODES[*]} across nodes: 2 namespace hosts of 2 ranks, 10gbit: models $MODELS"
  for model in $MODELS; do
    for reducer in "${ACROSS_NODES[@]}"; do
      record_nodes "$model-$reducer-nodes" "$model" 10gbit "$reducer"
      say "$model, $reducer on 2 hosts of 2: $(cat "$WORK/$model-$reducer-nodes.step.json")"
      # Rank 0's step for every simulated rank, its local work as the 2-rank run's on one node.
      say "$model, $reducer for the simulated ranks: $(python3 scripts/simulate/simulate.py scaled \
        "$WORK/$model-$reducer-nodes.sched.json" "$WORK/$model-$reducer.sched.json" "$WORK/$model-$reducer-grid.sched")"
    done
  done
fi

for topology in $TOPOLOGIES; do
  for link in $LINKS; do
    bandwidth=${link%%:*} latency=${link##*:}
    for ranks in $RANKS; do
      status=0
      python3 scripts/simulate/simulate.py platform "$ranks" "$bandwidth" "$latency" "$topology" "$WORK/platform.xml" \
        "$WORK/hosts" "$WORK/loopback.json" || status=$?
      [ "$status" = 3 ] && continue  # fewer ranks than a node holds
      [ "$status" = 0 ] || exit "$status"
      started=$(date +%s)
      for model in $MODELS; do
        reference=$(local_seconds "$WORK/$model-none.sched.json" 2>/dev/null || local_seconds "$WORK/$model-${COMPRESSIONS%% *}.sched.json")
        for compression in $COMPRESSIONS; do
          schedule=$WORK/$model-$compression.sched
          if [ "$compression" = hierarchical ]; then
            # Nodes of one rank sum by MPI_Allreduce (none's points).
            [[ $topology == *:* && ${topology##*:} -gt 1 ]] || continue
          fi
          if [ "$compression" = hierarchical ] || [ "$compression" = deterministic ]; then
            schedule=$WORK/$model-$compression-grid.sched
            [ -f "$schedule" ] || continue  # not recorded across nodes (not root)
          fi
          if [ "$compression" = deterministic ]; then
            per_node=1
            [[ $topology == *:* ]] && per_node=${topology##*:}
            flows=$(( ranks * (ranks / per_node - 1) ))
            if [ "$flows" -gt "$DETERMINISTIC_MAX_FLOWS" ]; then
              say "SKIPPED: $model deterministic on $ranks ranks ($topology, $bandwidth): $flows exchange flows, more than DETERMINISTIC_MAX_FLOWS=$DETERMINISTIC_MAX_FLOWS (too slow to simulate)"
              continue
            fi
          fi
          step=$(simulate "$schedule" "$WORK/platform.xml" "$WORK/hosts" "$ranks")
          point "$model" "$compression" "$topology" "$bandwidth" "$ranks" "$step" \
            "$(local_seconds "$schedule.json")" "$reference" "" simulated
        done
      done
      say "simulated $ranks ranks, $topology, $bandwidth: $(( $(date +%s) - started )) s"
    done
  done
done

# Sets a recorded run's measured step against its simulated one:
# NAME MODEL COMPRESSION TOPOLOGY PLATFORM HOSTFILE RANKS LINK_LABEL
validate() {
  local step local_time measured
  step=$(MACHINE_CORES=$(nproc) simulate "$WORK/$1.sched" "$5" "$6" "$7")
  local_time=$(local_seconds "$WORK/$1.sched.json")
  measured=$(measured_seconds "$WORK/$1.sched.json")
  point "$2" "$3" "$4" "$8" "$7" "$step" "$local_time" "$local_time" "$measured" validation
  say "$2, $3 on $7 ranks ($8): measured $measured s/step, simulated $step"
}

if [ -z "$VALIDATE" ]; then
  say "SKIPPED: validation (VALIDATE is empty)"
fi
for rate in $VALIDATE; do
  if [ "$rate" = shm ]; then
    python3 scripts/simulate/simulate.py platform 2 1Gbps 50us flat:2 "$WORK/node.xml" "$WORK/hosts-node" "$WORK/loopback.json"
    loopback=$(python3 -c "import json,sys; l=json.load(open(sys.argv[1])); print(l['bandwidth'], l['latency'])" "$WORK/loopback.json")
    for model in $MODELS; do
      for compression in $COMPRESSIONS; do
        validate "$model-$compression" "$model" "$compression" "node of 2" "$WORK/node.xml" "$WORK/hosts-node" 2 "shm: $loopback"
      done
    done
    continue
  fi
  if [ "$(id -u)" -ne 0 ]; then
    say "SKIPPED: validation at $rate on namespace hosts (needs root)"
    continue
  fi
  say "validation at $rate ($LINK_SHAPER): allreduce sweep between 2 namespace hosts for the link's latency and bandwidth"
  LINK_RATE=$rate scripts/cluster/netns-launch.sh 2 "$BIN" bench allreduce --sweep --rounds 3 > "$WORK/sweep-$rate.json"
  fitted=$(python3 scripts/simulate/simulate.py fit "$WORK/sweep-$rate.json" "$rate")
  bandwidth=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['bandwidth'])" "$fitted")
  latency=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['latency'])" "$fitted")
  for hosts in $VALIDATE_HOSTS; do
    python3 scripts/simulate/simulate.py platform "$hosts" "$bandwidth" "$latency" flat "$WORK/hosts$hosts-$rate.xml" "$WORK/hosts$hosts-$rate"
    # More hosts than cores: the ranks yield while they wait, as Open MPI does by itself on a node it
    # knows to be oversubscribed (each namespace host looks like a node of its own).
    yield=()
    [ "$hosts" -le "$(nproc)" ] || yield=(--mca mpi_yield_when_idle 1)
    for model in $MODELS; do
      for compression in $COMPRESSIONS; do
        [ "$compression" != hierarchical ] || continue  # 2 hosts of 2 ranks only, below
        name=$model-$compression-$rate-$hosts
        # shellcheck disable=SC2046
        LINK_RATE=$rate record "$name" scripts/cluster/netns-launch.sh "$hosts" -x OPENBLAS_NUM_THREADS=1 ${yield[@]+"${yield[@]}"} \
          -x LD_PRELOAD="$TRACER" -x MPI_CALL_TRACE="$PWD/$WORK/$name.trace" -- :: $(model_args "$model") $(reducer_args "$compression" "$hosts")
        validate "$name" "$model" "$compression" flat "$WORK/hosts$hosts-$rate.xml" "$WORK/hosts$hosts-$rate" "$hosts" \
          "$rate $LINK_SHAPER: $bandwidth $latency"
      done
    done
  done
  if [ ${#ACROSS_NODES[@]} -gt 0 ]; then
    # 2 hosts of 2 ranks: a node's ranks talk through its loopback (this machine's shared memory).
    python3 scripts/simulate/simulate.py platform 4 "$bandwidth" "$latency" flat:2 "$WORK/nodes2-$rate.xml" \
      "$WORK/nodes2-$rate" "$WORK/loopback.json"
    for model in $MODELS; do
      for reducer in "${ACROSS_NODES[@]}"; do
        name=$model-$reducer-$rate-2x2
        record_nodes "$name" "$model" "$rate" "$reducer"
        validate "$name" "$model" "$reducer" "2 nodes of 2" "$WORK/nodes2-$rate.xml" "$WORK/nodes2-$rate" 4 \
          "$rate $LINK_SHAPER: $bandwidth $latency"
      done
    done
  fi
done

python3 scripts/simulate/simulate.py report "$OUT"
say "report: $OUT/report.md"
if [ "${RECORD:-0}" = 1 ]; then
  python3 scripts/figures/record.py "$OUT/simulated.json" simulated-scaling \
    --command "MODELS=\"$MODELS\" COMPRESSIONS=\"$COMPRESSIONS\" LINKS=\"$LINKS\" RANKS=\"$RANKS\" TOPOLOGIES=\"$TOPOLOGIES\" VALIDATE=\"$VALIDATE\" scripts/simulate-scaling.sh"
fi
