#!/usr/bin/env bash
# Two network namespaces for configs/veth-af-packet.toml, joined only through
# xdpdk:
#
#   xdpdk-a: xdpdk-pa 10.77.0.1/24 <-veth-> xdpdk-va  (xdpdk port 0)
#   xdpdk-b: xdpdk-pb 10.77.0.2/24 <-veth-> xdpdk-vb  (xdpdk port 1)
#
# The xdpdk-v* ends stay in the current namespace for net_af_packet to open.
# Usage (as root): scripts/netns-veth.sh up|down|status
# XDPDK_NETNS_PREFIX replaces "xdpdk" in every name (at most 12 characters),
# so that tests running side by side do not collide.
set -euo pipefail

p=${XDPDK_NETNS_PREFIX:-xdpdk}
if [ ${#p} -gt 12 ]; then echo "netns-veth: XDPDK_NETNS_PREFIX '$p' is longer than 12 characters" >&2; exit 2; fi
ns_a=$p-a ns_b=$p-b
addr_a=10.77.0.1/24 addr_b=10.77.0.2/24

up() {
  down 2>/dev/null || true
  for side in a b; do
    local ns="$p-$side" outer="$p-v$side" inner="$p-p$side" addr
    [ "$side" = a ] && addr=$addr_a || addr=$addr_b
    ip netns add "$ns"
    ip link add "$outer" type veth peer name "$inner"
    ip link set "$inner" netns "$ns"
    ip -n "$ns" addr add "$addr" dev "$inner"
    ip -n "$ns" link set "$inner" up
    ip -n "$ns" link set lo up
    # veth leaves TCP/UDP checksums to "hardware" that does not exist: a
    # frame read with af_packet and sent on another veth would arrive with a
    # partial checksum and be dropped. Compute them in software instead.
    ip netns exec "$ns" ethtool -K "$inner" tx off >/dev/null
    # The outer end carries frames to xdpdk only: no addresses, no IPv6
    # chatter (router solicitations would show up as traffic).
    sysctl -qw "net.ipv6.conf.$outer.disable_ipv6=1" 2>/dev/null || true
    ip link set "$outer" up
  done
  echo "netns-veth: $ns_a ($addr_a) and $ns_b ($addr_b) up; xdpdk ports: $p-va, $p-vb"
}

down() {
  # Deleting one end of a veth pair deletes both.
  ip link del "$p-va" 2>/dev/null || true
  ip link del "$p-vb" 2>/dev/null || true
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
}

status() {
  ip netns list | grep -E "^$p-(a|b)\b" || echo "netns-veth: no namespaces"
  ip -br link show "$p-va" 2>/dev/null || true
  ip -br link show "$p-vb" 2>/dev/null || true
}

case "${1:-}" in
  up) up ;;
  down) down; echo "netns-veth: removed" ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
