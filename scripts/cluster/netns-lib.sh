# shellcheck shell=bash
# Network-namespace "hosts" on one machine: H namespaces, each with one veth into a bridge in a
# switch namespace, on a private subnet used only there, with no default route. Source it; it
# defines functions and changes nothing by itself. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN).

NETNS_PREFIX=${NETNS_PREFIX:-mnistmpi}
NETNS_SUBNET=${NETNS_SUBNET:-10.213.7}   # /24, only inside these namespaces
NETNS_HOSTS=()
# LINK_RATE (any tc rate: 1gbit, 100mbit, 25gbit; empty: unlimited) caps every host's link in
# both directions with a token bucket (tc tbf), like a cluster's Ethernet ports. LINK_SHAPER=htb
# shapes with htb and a burst of 100 us of traffic instead (what scripts/simulate-scaling.sh
# validates against: the link never runs faster than its rate).
LINK_RATE=${LINK_RATE:-}
LINK_SHAPER=${LINK_SHAPER:-tbf}

netns_host_ip() { echo "$NETNS_SUBNET.$(( $1 + 1 ))"; }

# Creates hosts 0..$1-1 (namespaces $NETNS_PREFIX-h0 ...) and the switch; fails with one line
# saying why when namespaces cannot be made here.
netns_create() {
  local count=$1 i ns
  if ! ip netns add "$NETNS_PREFIX-sw" 2>/tmp/netns-error.$$; then
    echo "error: cannot create network namespaces here ($(cat /tmp/netns-error.$$)): this needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN (e.g. not inside an unprivileged container)" >&2
    rm -f /tmp/netns-error.$$
    return 1
  fi
  rm -f /tmp/netns-error.$$
  ip -n "$NETNS_PREFIX-sw" link add br0 type bridge
  ip -n "$NETNS_PREFIX-sw" link set br0 up
  # This machine's own port on the switch ($NETNS_SUBNET.254): the elastic supervisor, which
  # runs here, hears the ranks' heartbeats through it.
  ip link add mm-root type veth peer name mm-pr netns "$NETNS_PREFIX-sw"
  ip -n "$NETNS_PREFIX-sw" link set mm-pr master br0 up
  ip addr add "$NETNS_SUBNET.254/24" dev mm-root
  ip link set mm-root up
  for ((i = 0; i < count; i++)); do netns_add_host "$i" || return 1; done
}

# Host i: its namespace, a veth to the switch, its address (also for a host added later).
netns_add_host() {
  local i=$1 ns=$NETNS_PREFIX-h$1
  ip netns add "$ns"
  NETNS_HOSTS+=("$ns")
  ip link add "mm-h$i" netns "$ns" type veth peer name "mm-p$i" netns "$NETNS_PREFIX-sw"
  ip -n "$NETNS_PREFIX-sw" link set "mm-p$i" master br0 up
  ip -n "$ns" addr add "$(netns_host_ip "$i")/24" dev "mm-h$i"
  ip -n "$ns" link set "mm-h$i" up
  ip -n "$ns" link set lo up
  if [ -n "$LINK_RATE" ]; then
    netns_shape "$ns" "mm-h$i" || return 1            # what host i sends
    netns_shape "$NETNS_PREFIX-sw" "mm-p$i" || return 1 # what host i receives
  fi
}

# Host i hangs as a frozen machine does: every process in it stopped (SIGSTOP), its link and
# kernel still up; netns_resume_host continues them.
netns_pause_host() { ip netns pids "$NETNS_PREFIX-h$1" 2>/dev/null | xargs -r kill -STOP 2>/dev/null || true; }
netns_resume_host() { ip netns pids "$NETNS_PREFIX-h$1" 2>/dev/null | xargs -r kill -CONT 2>/dev/null || true; }
# Host i cut off: its link down, its processes running; netns_link_up brings it back.
netns_cut_host() { ip -n "$NETNS_PREFIX-h$1" link set "mm-h$1" down; }
netns_link_up() { ip -n "$NETNS_PREFIX-h$1" link set "mm-h$1" up; }

# Host i fails as a machine does: every process in it killed, its link down.
netns_kill_host() {
  local ns=$NETNS_PREFIX-h$1
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip -n "$ns" link set "mm-h$1" down
}

# The hosts that are up (their link is), as address:slots lines: the discovery command of
# `mnist-mpi elastic` on namespace hosts.
netns_hosts_up() {
  local slots=${1:-1} ns i
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NETNS_PREFIX-h[0-9]*$" | sort -V || true); do
    i=${ns##*-h}
    if ip -n "$ns" link show "mm-h$i" 2>/dev/null | grep -q 'state UP'; then echo "$(netns_host_ip "$i"):$slots"; fi
  done
}

netns_rate_bits() {
  local rate=$1 number unit
  if [[ ! $rate =~ ^([0-9]+)(bit|kbit|mbit|gbit)$ ]]; then
    echo "error: LINK_RATE=$rate: give a number and bit, kbit, mbit or gbit (e.g. 1gbit, 100mbit)" >&2
    return 1
  fi
  number=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
  case $unit in
    bit) echo "$number" ;;
    kbit) echo $((number * 1000)) ;;
    mbit) echo $((number * 1000000)) ;;
    gbit) echo $((number * 1000000000)) ;;
  esac
}

# Caps device $2 in namespace $1 at $LINK_RATE: a token bucket whose burst holds 4 ms of
# traffic (LINK_BURST bytes to override; at least 64 KiB), with up to 50 ms of queue. A smaller
# burst keeps tbf below its rate (measured: 1 MiB allreduce at 1gbit took 15.2 ms with 1 ms of
# burst, 9.5 ms with 4 ms, 8.4 ms ideal); the price is that a message that fits in a full
# bucket after an idle gap passes at memory speed, so above ~2 Gbit/s the seed model's 1.08 MB
# a step is carried faster than a real link would (see docs/networks.md).
netns_shape() {
  local ns=$1 device=$2 bits burst
  bits=$(netns_rate_bits "$LINK_RATE") || return 1
  case $LINK_SHAPER in
    tbf)
      burst=${LINK_BURST:-$((bits / 8 / 250))}
      [ "$burst" -ge 65536 ] || burst=65536
      ip netns exec "$ns" tc qdisc add dev "$device" root tbf rate "$LINK_RATE" burst "$burst" latency 50ms ;;
    htb)
      ip netns exec "$ns" tc qdisc add dev "$device" root handle 1: htb default 1
      burst=${LINK_BURST:-$((bits / 8 / 10000))}
      ip netns exec "$ns" tc class add dev "$device" parent 1: classid 1:1 htb rate "$LINK_RATE" ceil "$LINK_RATE" \
        burst "$burst" cburst "$burst" ;;
    *) echo "error: LINK_SHAPER=$LINK_SHAPER: give tbf or htb" >&2; return 1 ;;
  esac
}

# Removes every namespace this library made (also ones left by an earlier, killed run), and
# this machine's port on the switch with them.
netns_destroy() {
  local ns
  ip link del mm-root 2>/dev/null || true
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NETNS_PREFIX-" || true); do
    ip netns del "$ns" 2>/dev/null || true
  done
}

# Bytes received by host $1's interface.
netns_rx_bytes() {
  ip netns exec "$NETNS_PREFIX-h$1" cat "/sys/class/net/mm-h$1/statistics/rx_bytes"
}

# Writes the launch agent (OpenMPI's plm_rsh_agent): it is called as
# `agent [ssh options] HOST COMMAND...` and runs COMMAND in HOST's namespace, with a hostname
# of its own (unshare --uts) so that OpenMPI sees distinct nodes.
netns_write_agent() {
  local path=$1
  cat > "$path" <<AGENT
#!/usr/bin/env bash
set -euo pipefail
while [[ \$# -gt 0 && \$1 == -* ]]; do shift; done
host=\$1; shift
index=\$(( \${host##*.} - 1 ))
exec ip netns exec "$NETNS_PREFIX-h\$index" unshare --uts sh -c "hostname $NETNS_PREFIX-h\$index; exec \$*"
AGENT
  chmod +x "$path"
}

# Makes $1 hosts afresh with a hostfile ($3 slots each, default 1) and the launch agent in
# folder $2, and removes them when the calling script exits.
netns_cluster_up() {
  local hosts=$1 work=$2 slots=${3:-1} i
  # shellcheck disable=SC2064  # expand $work now: it is local
  trap "netns_destroy; rm -rf '$work'" EXIT
  netns_destroy
  netns_create "$hosts"
  for ((i = 0; i < hosts; i++)); do echo "$(netns_host_ip "$i") slots=$slots"; done > "$work/hostfile"
  netns_write_agent "$work/agent"
}

# Runs COMMAND on $2 ranks of the cluster made in folder $1, launched from host 0 with the
# head's logic (scripts/cluster/mpirun-hosts.sh, which does not bind ranks to cores: the
# hosts share this machine's cores): TCP between hosts, shared memory (vader) within one.
netns_mpirun() {
  local work=$1 ranks=$2
  shift 2
  netns_mpirun_hostfile "$work/agent" "$work/hostfile" "$ranks" "$@"
}

# mpirun from the namespace of the hostfile's first host, over the launch agent. With
# NETNS_EXEC=1 the calling shell becomes the launcher (exec), so that a signal to it (the
# elastic supervisor's SIGTERM: stop at a step boundary) reaches mpirun-hosts.sh, which passes it
# to mpirun.
netns_mpirun_hostfile() {
  local agent=$1 hostfile=$2 ranks=$3 launcher first index run=()
  shift 3
  [ "${NETNS_EXEC:-0}" != 1 ] || run=(exec)
  launcher="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/mpirun-hosts.sh"
  first=$(awk 'NR == 1 {print $1}' "$hostfile")
  index=$(( ${first##*.} - 1 ))
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 MNIST_MPI_LINK_RATE=${LINK_RATE:-unlimited} \
    NETWORK="$NETNS_SUBNET.0/24" BTL=tcp,self,vader RSH_AGENT="$agent" \
    ${run[@]+"${run[@]}"} ip netns exec "$NETNS_PREFIX-h$index" unshare --uts sh -c "hostname $NETNS_PREFIX-h$index; exec \"\$@\"" sh \
    "$launcher" "$hostfile" "$ranks" "$@"
}
