#!/usr/bin/env bash
# Pod-to-pod throughput (podnet issue 8): direct routing, VXLAN and WireGuard, each path once as
# podnetd programs it and once set up by hand with iproute2 and wg, in the same run, with ratios.
#
#   sudo bench/pod_throughput.sh            (PODNET_BUILD=build, SECONDS_PER_RUN=5)
#
# Topology (all in network namespaces this script makes and removes): nodes tpa and tpb joined by
# one veth (10.0.0.1/24 <-> 10.0.0.2/24); pod tpa-pod (10.244.1.1) behind a cali veth on tpa and
# pod tpb-pod (10.244.2.1) on tpb, wired as Calico's CNI does (a /32 route on the node, the pod's
# default route via 169.254.1.1, proxy ARP). iperf3 runs from pod to pod (TCP, one stream).
# "hand": routes / vxlan.calico / wireguard-go + wg written by this script. "podnetd": two podnetd
# on a shared directory datastore (Nodes, one IPPool, an affine block per node), the path chosen by
# the pool's vxlanMode or FelixConfiguration's wireguardEnabled, with its network policy on (as
# Calico always polices: no policy applies, the namespace profile allows; "hand" has no nftables).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PODNET_BUILD=${PODNET_BUILD:-$ROOT/build}
RUN_S=${SECONDS_PER_RUN:-5}
PODNETD=$PODNET_BUILD/daemon/podnetd
PODNETCTL=$PODNET_BUILD/cli/podnetctl
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
for b in "$PODNETD" "$PODNETCTL"; do [ -x "$b" ] || { echo "missing $b (make build)" >&2; exit 1; }; done

WORK=$(mktemp -d /tmp/tput.XXXXXX)
log() { echo "[$(date +%T)] $*" >&2; }
teardown() {
  for ns in tpa tpb tpa-pod tpb-pod; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  done
  pkill -f 'wireguard-go wgtp' 2>/dev/null || true
  pkill -f 'wireguard-go wgtq' 2>/dev/null || true
  for ns in tpa tpb tpa-pod tpb-pod; do ip netns del "$ns" 2>/dev/null || true; done
}
trap 'teardown; rm -rf "$WORK"' EXIT

# Calico's CNI device name for pod $1 of namespace default: cali + SHA-1("default.<pod>")[:11].
# podnetd polices by default and finds a pod's device by this name (traffic of a cali device no
# Pod resource explains is dropped), so the podnetd runs register the pods too (podnetd_up).
cali_of() { printf 'cali%s' "$(printf 'default.%s' "$1" | sha1sum | cut -c1-11)"; }

# Nodes, link and pods; no routes between them yet.
setup() {
  teardown
  for ns in tpa tpb tpa-pod tpb-pod; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip link add eth0 netns tpa type veth peer name eth0 netns tpb
  ip -n tpa addr add 10.0.0.1/24 dev eth0
  ip -n tpb addr add 10.0.0.2/24 dev eth0
  for n in a b; do
    local node=tp$n pod=tp$n-pod ip=10.244.1.1 block=10.244.1
    [ $n = b ] && { ip=10.244.2.1; block=10.244.2; }
    ip -n "$node" link set eth0 up
    ip netns exec "$node" sysctl -qw net.ipv4.ip_forward=1
    ip -n "$node" route add default via 10.0.0.254 dev eth0 onlink  # proxy ARP needs a route
    local cali
    cali=$(cali_of "$pod")
    ip link add "$cali" netns "$node" type veth peer name eth0 netns "$pod"
    ip -n "$node" link set "$cali" up
    ip netns exec "$node" sysctl -qw "net.ipv4.conf.$cali.proxy_arp=1"
    ip -n "$pod" addr add "$ip/32" dev eth0
    ip -n "$pod" link set eth0 up
    ip -n "$pod" route add 169.254.1.1 dev eth0 scope link
    ip -n "$pod" route add default via 169.254.1.1 dev eth0
    ip -n "$node" route add "$ip/32" dev "$cali" scope link
  done
  sleep 1
}

iperf() {  # prints Gbit/s from tpa-pod to tpb-pod
  ip netns exec tpb-pod iperf3 -s -1 -D -p 5201 >/dev/null 2>&1
  sleep 0.5
  ip netns exec tpa-pod iperf3 -c 10.244.2.1 -p 5201 -t "$RUN_S" -J 2>/dev/null |
    python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}

reachable() { ip netns exec tpa-pod ping -c 1 -W 1 10.244.2.1 >/dev/null 2>&1; }
wait_reachable() {
  for _ in $(seq 1 60); do reachable && return 0; sleep 0.5; done
  echo "pods do not reach each other ($1)" >&2
  return 1
}

# ---- by hand ---------------------------------------------------------------------------------
hand_direct() {
  ip -n tpa route add 10.244.2.0/26 via 10.0.0.2 dev eth0 onlink
  ip -n tpb route add 10.244.1.0/26 via 10.0.0.1 dev eth0 onlink
}
hand_vxlan() {
  local mac_a=66:00:00:00:00:0a mac_b=66:00:00:00:00:0b
  for n in a b; do
    local node=tp$n mac=$mac_a tun=10.244.1.192 peer_mac=$mac_b peer_tun=10.244.2.192
    local peer_ip=10.0.0.2 dst=10.244.2.0/26
    [ $n = b ] && { mac=$mac_b; tun=10.244.2.192; peer_mac=$mac_a; peer_tun=10.244.1.192
                    peer_ip=10.0.0.1; dst=10.244.1.0/26; }
    ip -n "$node" link add vxlan.calico type vxlan id 4096 dstport 4789 dev eth0 nolearning
    ip -n "$node" link set vxlan.calico address $mac mtu 1450 up
    ip -n "$node" addr add $tun/32 dev vxlan.calico
    ip -n "$node" neigh add $peer_tun lladdr $peer_mac dev vxlan.calico nud permanent
    ip netns exec "$node" bridge fdb add $peer_mac dev vxlan.calico dst $peer_ip
    ip -n "$node" route add $dst via $peer_tun dev vxlan.calico onlink
  done
}
hand_wireguard() {
  hand_direct
  for n in a b; do
    (umask 077 && wg genkey >"$WORK/key$n")
    wg pubkey <"$WORK/key$n" >"$WORK/pub$n"
  done
  for n in a b; do
    local node=tp$n dev=wgtq$n peer=b peer_ip=10.0.0.2 allowed=10.244.2.0/26
    [ $n = b ] && { peer=a; peer_ip=10.0.0.1; allowed=10.244.1.0/26; }
    ip netns exec "$node" wireguard-go "$dev" >/dev/null 2>&1
    ip netns exec "$node" wg set "$dev" private-key "$WORK/key$n" listen-port 51820 fwmark 0x100000 \
      peer "$(cat "$WORK/pub$peer")" endpoint $peer_ip:51820 allowed-ips $allowed
    ip -n "$node" link set "$dev" mtu 1440 up
    ip -n "$node" route add $allowed dev "$dev" table 1
    ip -n "$node" rule add not fwmark 0x100000/0x100000 table 1 priority 99
  done
}

# ---- podnetd ---------------------------------------------------------------------------------
PIDS=()
podnetd_up() {  # $1: extra pool spec lines, $2: extra FelixConfiguration spec lines
  local store=$WORK/store
  rm -rf "$store"
  local res
  res=$(cat <<EOF
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods}
spec:
  cidr: 10.244.0.0/16
$1
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec: {$2}
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
EOF
)
  for n in a b; do
    local node=tp$n ip=10.0.0.1 blk=1 wg=wgtpa
    [ $n = b ] && { ip=10.0.0.2; blk=2; wg=wgtpb; }
    res+=$(printf -- '\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: tp%s-pod, namespace: default}\nspec: {nodeName: %s}\nstatus: {podIP: 10.244.%s.1, podIPs: [{ip: 10.244.%s.1}]}\n' "$n" "$node" "$blk" "$blk")
    res+=$(printf -- '\n---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: %s}\nspec:\n  bgp: {ipv4Address: %s/24}\n---\napiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: node.%s}\nspec: {wireguardInterfaceName: %s}\n---\napiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata: {name: 10-244-%s-0-26}\nspec:\n  cidr: 10.244.%s.0/26\n  affinity: host:%s\n  allocations: []\n  unallocated: []\n  attributes: []\n' "$node" "$ip" "$node" "$wg" "$blk" "$blk" "$node")
  done
  echo "$res" | "$PODNETCTL" --datastore "dir:$store" apply -f - >/dev/null
  for n in a b; do
    printf 'nodeName: tp%s\ndatastore: {path: %s}\ncontrolSocket: %s/tp%s.sock\nhealthListen: 127.0.0.1:9099\ndataplane: {mtuFile: ""}\n' \
      "$n" "$store" "$WORK" "$n" >"$WORK/tp$n.yaml"
    ip netns exec tp$n "$PODNETD" --config "$WORK/tp$n.yaml" 2>>"$WORK/podnetd-tp$n.log" &
    PIDS+=($!)
  done
  if [[ "$2" == *wireguard* ]]; then  # measure only once both ends encrypt
    for _ in $(seq 1 60); do
      ip netns exec tpa wg show wgtpa peers 2>/dev/null | grep -q . &&
        ip netns exec tpb wg show wgtpb peers 2>/dev/null | grep -q . && return 0
      sleep 0.5
    done
    echo "podnetd did not bring WireGuard up" >&2
    return 1
  fi
}
podnetd_down() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}

declare -A RESULT
measure() {  # $1 path, $2 who, then the setup command
  local path=$1 who=$2
  shift 2
  setup
  "$@"
  wait_reachable "$path/$who"
  [ "$who" = podnetd ] && sleep 2  # let both sides finish (e.g. WireGuard peers on both)
  RESULT[$path/$who]=$(iperf)
  log "$path $who: ${RESULT[$path/$who]} Gbit/s"
  [ "$who" = podnetd ] && podnetd_down
  return 0
}

measure direct hand hand_direct
measure direct podnetd podnetd_up "" ""
measure vxlan hand hand_vxlan
measure vxlan podnetd podnetd_up "  vxlanMode: Always" ""
measure wireguard hand hand_wireguard
measure wireguard podnetd podnetd_up "" "wireguardEnabled: true"

printf '%-10s %12s %12s %8s\n' path "hand Gbit/s" "podnetd" ratio
for p in direct vxlan wireguard; do
  h=${RESULT[$p/hand]} d=${RESULT[$p/podnetd]}
  printf '%-10s %12s %12s %8s\n' "$p" "$h" "$d" "$(python3 -c "print('%.2f' % ($d/$h))")"
done
