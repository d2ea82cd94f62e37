# shellcheck shell=bash
# Network-namespace "hosts" on one machine: H namespaces, each with one veth into a bridge in a
# switch namespace, on a private subnet used only there, with no default route. Source it; it
# defines functions and changes nothing by itself. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN).

NETNS_PREFIX=${NETNS_PREFIX:-mnistmpi}
NETNS_SUBNET=${NETNS_SUBNET:-10.213.7}   # /24, only inside these namespaces
NETNS_HOSTS=()
# LINK_RATE (any tc rate: 1gbit, 100mbit, 25gbit; empty: unlimited) caps every host's link in
# both directions with a token bucket (tc tbf), like a cluster's Ethernet ports.
LINK_RATE=${LINK_RATE:-}

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
  for ((i = 0; i < count; i++)); do
    ns=$NETNS_PREFIX-h$i
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
  done
}

# Bits per second of a tc rate (e.g. 1gbit, 250mbit, 64kbit, 1000bit); fails on other forms.
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
  burst=${LINK_BURST:-$((bits / 8 / 250))}
  [ "$burst" -ge 65536 ] || burst=65536
  ip netns exec "$ns" tc qdisc add dev "$device" root tbf rate "$LINK_RATE" burst "$burst" latency 50ms
}

# Removes every namespace this library made (also ones left by an earlier, killed run).
netns_destroy() {
  local ns
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
  local work=$1 ranks=$2 launcher
  shift 2
  launcher="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/mpirun-hosts.sh"
  # The ranks learn the link rate for their summary (network_link_rate).
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 MNIST_MPI_LINK_RATE=${LINK_RATE:-unlimited} \
    NETWORK="$NETNS_SUBNET.0/24" BTL=tcp,self,vader RSH_AGENT="$work/agent" \
    ip netns exec "$NETNS_PREFIX-h0" unshare --uts sh -c "hostname $NETNS_PREFIX-h0; exec \"\$@\"" sh \
    "$launcher" "$work/hostfile" "$ranks" "$@"
}
