#!/usr/bin/env bash
# The main job: installs what is missing, builds, fetches MNIST and trains the seed
# configuration with one rank per core. Extra arguments go to `mnist-mpi train`;
# `-np N` (or NP=N) chooses the rank count.
#   scripts/train.sh                      # seed preset, 30 epochs, all cores
#   scripts/train.sh -np 4 --epochs 3     # 4 ranks (oversubscribed on 2 cores)
#   scripts/train.sh --preset improved --dataset fashion-mnist
#   MPI=mpich scripts/train.sh            # built against MPICH (.build-mpich), launched by mpiexec.mpich
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

NP=${NP:-$(nproc)}
DATASET=mnist

args=()
while [ $# -gt 0 ]; do
  case $1 in
    -np|--np|-n) [ $# -ge 2 ] || die "$1 needs a rank count"; NP=$2; shift 2 ;;
    --dataset) [ $# -ge 2 ] || die "--dataset needs mnist or fashion-mnist"; DATASET=$2; args+=("$1" "$2"); shift 2 ;;
    --dataset=*) DATASET=${1#--dataset=}; args+=("$1"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
DATA_DIR=${DATA_DIR:-data/$DATASET}
[[ $NP =~ ^[1-9][0-9]*$ ]] || die "-np $NP: the rank count must be a positive integer"

ensure_swift
ensure_packages "${SYSTEM_PACKAGES[@]}"
build release
scripts/fetch-mnist.sh --dataset "$DATASET" "$DATA_DIR"
say "training on $NP ranks"
# Under mpirun a rank's stdout is a pipe, so tell rank 0 whether a terminal is watching.
progress=never
[ -t 1 ] && progress=always
run_mpi "$NP" "$RELEASE_BIN" train --data "$DATA_DIR" --progress "$progress" ${args[@]+"${args[@]}"}
