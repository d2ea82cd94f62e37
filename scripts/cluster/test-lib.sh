# shellcheck shell=bash
# What the container-cluster tests share (compose-test.sh, slurm-test.sh): the compose command,
# PASS/FAIL lines with a tally, and the check that a project left nothing behind. Source it
# after setting TEST_NAME; it defines functions and changes nothing by itself.

TEST_NAME=${TEST_NAME:-cluster-test}
passed=0 failed=0

pass() { passed=$((passed + 1)); printf '%s: PASS %s\n' "$TEST_NAME" "$*"; }
fail() { failed=$((failed + 1)); printf '%s: FAIL %s\n' "$TEST_NAME" "$*" >&2; }
check() {  # description command... : PASS or FAIL by the command's status
  local description=$1; shift
  if "$@"; then pass "$description"; else fail "$description"; fi
}
# The closing tally line; returns non-zero when anything failed.
tally() {
  printf '%s: %d passed, %d failed\n' "$TEST_NAME" "$passed" "$failed"
  [ "$failed" -eq 0 ]
}

# Sets the array `compose` to `docker compose` (v2) or `docker-compose` (v1).
find_compose() {
  if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
  command -v "${compose[0]}" >/dev/null || die "neither docker compose (v2) nor docker-compose (v1) is installed"
}

# Containers, networks and volumes that compose project $1 still has.
project_leftovers() {
  local label="label=com.docker.compose.project=$1"
  docker ps -aq --filter "$label"
  docker network ls -q --filter "$label"
  docker volume ls -q --filter "$label"
}

# Polls "$@" every POLL_SECONDS (default 0.2) until it succeeds or $1 seconds pass:
# waits_for SECONDS command...
waits_for() {
  local limit=$1 started=$SECONDS; shift
  until "$@"; do
    [ $((SECONDS - started)) -lt "$limit" ] || return 1
    sleep "${POLL_SECONDS:-0.2}"
  done
}

# The uninterrupted reference run on this machine, as the containers run: mpirun with RANKS
# ranks of COMMAND... without the host's OpenBLAS overrides (OPENBLAS_CORETYPE,
# OPENBLAS_L2_SIZE), which the containers do not inherit. The core and blocking OpenBLAS uses
# decide the bits of a product, so a reference on another core cannot match a deterministic
# run in the containers (seen on an AMD EPYC Zen 5 whose environment pinned Haswell: the
# containers chose Cooperlake and every fingerprint differed).
reference_run() {  # RANKS COMMAND...
  (
    unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
    run_mpi "$@"
  )
}
