#!/usr/bin/env bash
# The seed's yaobank lab in network namespaces:
#   - nodes control, node1, node2 (198.19.0.1-3/20) on one bridge, one podnetd each (policy on,
#     NAT outgoing on) on a shared directory datastore, BGP full mesh;
#   - host1 (198.19.15.254) on the same LAN, the nodes' default gateway, routing on to an
#     "internet" namespace at 203.0.113.10 that serves one line over HTTP;
#   - the seed's IPPool 198.19.16.0/21 (natOutgoing, no encapsulation), yaobank's namespace,
#     service accounts, pods and services applied with podnetctl;
#   - each pod wired by the podnet CNI plugin (ADD run in its node's namespace), its service
#     names in /etc/netns/<pod>/hosts (ip netns exec mounts it over /etc/hosts), and its server
#     (yaobank_server --role customer|summary|database) started inside it.
#
#   lab.sh up | down | status
#
# Environment: PODNET_LAB_PREFIX (namespace prefix, default podnet-lab), PODNET_LAB_DIR (state,
# default /tmp/<prefix>), PODNET_BINARY_DIR (build tree, default <repo>/build).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
P=${PODNET_LAB_PREFIX:-podnet-lab}
LAB=${PODNET_LAB_DIR:-/tmp/$P}
BIN=${PODNET_BINARY_DIR:-$REPO/build}
PODNETD=$BIN/daemon/podnetd
PODNETCTL=$BIN/cli/podnetctl
SERVER=$BIN/interop-tests/yaobank/yaobank_server
CNI_DIR=$BIN/cni
NODES=(control node1 node2)
declare -A ADDR=([control]=198.19.0.1 [node1]=198.19.0.2 [node2]=198.19.0.3)
PODS=(customer summary database)
declare -A POD_NODE=([customer]=node1 [summary]=node2 [database]=control)
HOST1=198.19.15.254
INTERNET=203.0.113.10

ns() { echo "$P-$1"; }           # a node's or host's namespace
podns() { echo "$P-pod-$1"; }    # a pod's namespace
ctl() { "$PODNETCTL" --datastore "dir:$LAB/datastore" "$@"; }
# wireguard-go's UAPI socket (/var/run/wireguard/<if>.sock) is per machine, not per namespace:
# every node of every lab on this machine needs its own device name (15 characters at most).
wg_if() { echo "wg$(printf '%s' "$P" | md5sum | cut -c1-7)$1"; }
wg_suffix() { case $1 in control) echo c ;; node1) echo 1 ;; node2) echo 2 ;; esac; }

down() {
  for n in "${NODES[@]}"; do
    [ -f "$LAB/$n.pid" ] && kill -TERM "$(cat "$LAB/$n.pid")" 2>/dev/null || true
  done
  for _ in $(seq 1 20); do
    alive=0
    for n in "${NODES[@]}"; do
      [ -f "$LAB/$n.pid" ] && kill -0 "$(cat "$LAB/$n.pid")" 2>/dev/null && alive=1
    done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for x in $(ip netns list | awk -v p="$P-" 'index($1, p) == 1 {print $1}'); do
    for pid in $(ip netns pids "$x" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$x"
  done
  for n in "${NODES[@]}"; do rm -f "/var/run/wireguard/$(wg_if "$(wg_suffix "$n")").sock"; done
  rm -rf /etc/netns/"$P"-pod-* "$LAB"
}

status() {
  for n in "${NODES[@]}"; do
    echo "== $n: podnetctl show peers"
    "$PODNETCTL" show peers --socket "$LAB/$n.sock" || true
  done
  echo "== pods"
  ctl get pods -n yaobank -o wide || true
}

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
  local end=$((SECONDS + $1))
  shift
  while ((SECONDS < end)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

mesh_up() {
  for n in "${NODES[@]}"; do
    [ "$("$PODNETCTL" show peers --json --socket "$LAB/$n.sock" 2>/dev/null |
      grep -c '"state": "Established"')" = 2 ] || return 1
  done
}

# veth NS1 IF1 NS2 IF2: a veth pair between two namespaces.
veth() { ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"; }

topology() {
  ip netns add "$(ns lan)"
  ip -n "$(ns lan)" link add br0 type bridge
  ip -n "$(ns lan)" link set br0 up
  local i=0 n
  for n in "${NODES[@]}" host1; do
    i=$((i + 1))
    ip netns add "$(ns $n)"
    ip -n "$(ns $n)" link set lo up
    veth "$(ns lan)" "port$i" "$(ns $n)" eth0
    ip -n "$(ns lan)" link set "port$i" master br0 up
    ip -n "$(ns $n)" link set eth0 up
    ip netns exec "$(ns $n)" sysctl -qw net.ipv4.ip_forward=1
  done
  for n in "${NODES[@]}"; do
    ip -n "$(ns $n)" addr add "${ADDR[$n]}/20" dev eth0
    # host1 is the nodes' way out (and a default route lets proxy ARP answer for 169.254.1.1).
    ip -n "$(ns $n)" route add default via $HOST1 dev eth0
  done
  ip -n "$(ns host1)" addr add $HOST1/20 dev eth0
  ip netns add "$(ns internet)"
  ip -n "$(ns internet)" link set lo up
  veth "$(ns host1)" eth1 "$(ns internet)" eth0
  ip -n "$(ns host1)" addr add 203.0.113.1/24 dev eth1
  ip -n "$(ns host1)" link set eth1 up
  ip -n "$(ns internet)" addr add $INTERNET/24 dev eth0
  ip -n "$(ns internet)" link set eth0 up
  ip -n "$(ns internet)" route add default via 203.0.113.1
  ip netns exec "$(ns internet)" setsid "$SERVER" --role internet >"$LAB/internet.log" 2>&1 </dev/null &
}

start_podnetd() {
  local n=$1
  mkdir -p "$LAB/$n"
  cat >"$LAB/$n/podnetd.yaml" <<CONF
nodeName: $n
datastore:
  type: directory
  path: $LAB/datastore
controlSocket: $LAB/$n.sock
healthListen: 127.0.0.1:9099
logLevel: info
dataplane:
  overlay: true
  mtuFile: $LAB/$n/mtu
natOutgoing: true
policy:
  enabled: true
CONF
  ip netns exec "$(ns "$n")" setsid "$PODNETD" --config "$LAB/$n/podnetd.yaml" \
    >"$LAB/$n.log" 2>&1 </dev/null &
  echo $! >"$LAB/$n.pid"
}

# The node's CNI network config, as /etc/cni/net.d/10-calico.conflist would carry it.
cni_conf() {
  cat <<JSON
{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"podnet","nodename":"$1","datastore":"dir:$LAB/datastore","mtu_file":"$LAB/$1/mtu","ipam":{"type":"podnet-ipam"}}
JSON
}

# cni COMMAND POD: the kubelet's call of the plugin, in the pod's node's namespace.
cni() {
  local cmd=$1 pod=$2 node=${POD_NODE[$2]}
  cni_conf "$node" | ip netns exec "$(ns "$node")" env CNI_COMMAND="$cmd" \
    CNI_CONTAINERID="$P-$pod" CNI_NETNS="/var/run/netns/$(podns "$pod")" CNI_IFNAME=eth0 \
    CNI_ARGS="K8S_POD_NAMESPACE=yaobank;K8S_POD_NAME=$pod" CNI_PATH="$CNI_DIR" "$CNI_DIR/podnet"
}

wire_pod() {
  local pod=$1 out
  ip netns add "$(podns "$pod")"
  ip -n "$(podns "$pod")" link set lo up
  if ! out=$(cni ADD "$pod" 2>"$LAB/cni-$pod.err"); then
    echo "lab: CNI ADD for $pod failed: $(cat "$LAB/cni-$pod.err") $out" >&2
    return 1
  fi
  echo "$out" >"$LAB/cni-$pod.json"
  local ip
  ip=$(jq -r '.ips[0].address' <<<"$out" | cut -d/ -f1)
  echo "  $pod on ${POD_NODE[$pod]}: $ip (CNI result in $LAB/cni-$pod.json)"
}

# /etc/netns/<pod>/hosts: the pod's own name and the services' names -> ClusterIPs.
write_hosts() {
  local pod=$1 svcs ip
  svcs=$(ctl get services -n yaobank -o json)
  mkdir -p "/etc/netns/$(podns "$pod")"
  ip=$(ctl get pod "$pod" -n yaobank -o json | jq -r '.status.podIPs[0].ip')
  {
    echo "127.0.0.1 localhost"
    echo "$ip $pod"
    jq -r '(if type == "array" then . else (.items // [.]) end)[] |
      "\(.spec.clusterIP) \(.metadata.name) \(.metadata.name).\(.metadata.namespace) \(.metadata.name).\(.metadata.namespace).svc \(.metadata.name).\(.metadata.namespace).svc.cluster.local"' \
      <<<"$svcs"
  } >"/etc/netns/$(podns "$pod")/hosts"
}

up() {
  for b in "$PODNETD" "$PODNETCTL" "$SERVER" "$CNI_DIR/podnet" "$CNI_DIR/podnet-ipam"; do
    [ -x "$b" ] || { echo "lab: $b is missing (build first)" >&2; exit 1; }
  done
  down
  mkdir -p "$LAB"
  echo "== topology: $(ns lan) bridge; control, node1, node2, host1 ($HOST1), internet ($INTERNET)"
  topology
  echo "== podnetctl apply -f manifests/00-cluster.yaml -f manifests/01-yaobank.yaml -f manifests/02-services.yaml"
  ctl apply -f "$HERE/manifests/00-cluster.yaml" >/dev/null
  # Per-node WireGuard device names (see wg_if).
  for n in "${NODES[@]}"; do
    printf -- '---\napiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n  name: node.%s\nspec:\n  wireguardInterfaceName: %s\n' \
      "$n" "$(wg_if "$(wg_suffix "$n")")"
  done | ctl apply -f - >/dev/null
  ctl apply -f "$HERE/manifests/01-yaobank.yaml" >/dev/null
  if ! ctl apply -f "$HERE/manifests/02-services.yaml" >"$LAB/services.out" 2>&1; then
    echo "lab: applying the Services failed: $(cat "$LAB/services.out")" >&2
    exit 1
  fi
  echo "== podnetd on each node"
  for n in "${NODES[@]}"; do start_podnetd "$n"; done
  if ! wait_for 30 mesh_up; then
    echo "lab: the BGP mesh did not come up; logs in $LAB/*.log" >&2
    exit 1
  fi
  for n in "${NODES[@]}"; do wait_for 10 test -s "$LAB/$n/mtu" || true; done
  echo "== pods wired by the CNI plugin (CNI_COMMAND=ADD, run in the node's namespace)"
  for p in "${PODS[@]}"; do wire_pod "$p"; done
  for p in "${PODS[@]}"; do
    write_hosts "$p"
    ip netns exec "$(podns "$p")" setsid "$SERVER" --role "$p" >"$LAB/$p.log" 2>&1 </dev/null &
  done
  # Up means the application answers through the NodePort, as the seed's rollout status.
  if ! wait_for 60 ip netns exec "$(ns host1)" curl -sf --max-time 3 "${ADDR[control]}:30180"; then
    echo "lab: the yaobank page did not come up at ${ADDR[control]}:30180" >&2
    exit 1
  fi
  echo "lab up: prefix $P, state in $LAB"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
