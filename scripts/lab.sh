#!/usr/bin/env bash
# `make lab`: the seed's three-node cluster (control, node1, node2 on 198.19.0.0/20) in network
# namespaces on one L2 segment, one podnetd per node on a shared directory datastore, a full
# BGP mesh, an affine /26 and two pods per node (cali veth, /32 route, 169.254.1.1 gateway by
# proxy ARP), plus a pod on node2 with an address borrowed from node1's block. Prints each
# node's status and peers and the pod-to-pod ping matrix, and leaves the lab running.
#   scripts/lab.sh [up]   build it (tearing down an old one first)
#   scripts/lab.sh down   tear it down
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PODNETD=$PWD/$BUILD/daemon/podnetd
PODNETCTL=$PWD/$BUILD/cli/podnetctl
LAB=${LAB_DIR:-/tmp/podnet-lab}
NODES=(control node1 node2)
declare -A ADDR=([control]=198.19.0.1 [node1]=198.19.0.2 [node2]=198.19.0.3)
declare -A BLOCK=([control]=198.19.21.0 [node1]=198.19.22.128 [node2]=198.19.21.64)
BR_NS=podnet-lab-lan

ns() { echo "podnet-lab-$1"; }

down() {
  for n in "${NODES[@]}"; do
    if [ -f "$LAB/$n.pid" ]; then kill -TERM "$(cat "$LAB/$n.pid")" 2>/dev/null || true; fi
  done
  sleep 0.5
  for x in $(ip netns list | awk '/^podnet-lab-/{print $1}'); do
    for p in $(ip netns pids "$x" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$x"
  done
  rm -rf "$LAB"
}

if [ "${1:-up}" = down ]; then
  down
  echo "lab torn down"
  exit 0
fi

down
mkdir -p "$LAB"
ip netns add "$BR_NS"
ip -n "$BR_NS" link add br0 type bridge
ip -n "$BR_NS" link set br0 up
i=0
for n in "${NODES[@]}"; do
  i=$((i + 1))
  ip netns add "$(ns "$n")"
  ip -n "$(ns "$n")" link set lo up
  ip link add "lab$i" netns "$BR_NS" type veth peer name eth0 netns "$(ns "$n")"
  ip -n "$BR_NS" link set "lab$i" master br0 up
  ip -n "$(ns "$n")" addr add "${ADDR[$n]}/20" dev eth0
  ip -n "$(ns "$n")" link set eth0 up
  # Proxy ARP for the pods' 169.254.1.1 gateway needs the node to have a route to it.
  ip -n "$(ns "$n")" route add default dev eth0
  ip netns exec "$(ns "$n")" sysctl -qw net.ipv4.ip_forward=1
done

# pod NODE NAME IP: a pod namespace wired the way Calico's CNI plugin does it.
pod() {
  local node=$1 name=$2 ip=$3 hostif pns
  pns=podnet-lab-pod-$name
  hostif=cali$(printf '%s' "default.$name" | sha1sum | cut -c1-11)
  ip netns add "$pns"
  ip -n "$pns" link set lo up
  ip -n "$(ns "$node")" link add "$hostif" type veth peer name eth0 netns "$pns"
  ip -n "$(ns "$node")" link set "$hostif" address ee:ee:ee:ee:ee:ee up
  ip netns exec "$(ns "$node")" sysctl -qw "net.ipv4.conf.$hostif.proxy_arp=1" \
    "net.ipv4.neigh.$hostif.proxy_delay=0"
  ip -n "$(ns "$node")" route replace "$ip/32" dev "$hostif" scope link
  ip -n "$pns" addr add "$ip/32" dev eth0
  ip -n "$pns" link set eth0 up
  ip -n "$pns" route add 169.254.1.1 dev eth0 scope link
  ip -n "$pns" route add default via 169.254.1.1 dev eth0
  echo "$name $ip $node" >>"$LAB/pods"
}

# ipam_block NODE OWNERS...: NODE's affine block; OWNERS are ordinal:node pairs.
ipam_block() {
  local node=$1 cidr=${BLOCK[$1]} alloc=() attrs="" k=0
  shift
  for o in $(seq 0 63); do alloc[$o]=null; done
  for pair in "$@"; do
    alloc[${pair%%:*}]=$k
    attrs+="  - handle_id: k8s-pod-network.$node-$k"$'\n'"    secondary: {node: ${pair#*:}}"$'\n'
    k=$((k + 1))
  done
  local joined
  joined=$(IFS=,; echo "${alloc[*]}")
  printf -- '---\napiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata:\n  name: %s\nspec:\n  cidr: %s/26\n  affinity: host:%s\n  allocations: [%s]\n  unallocated: []\n  attributes:\n%s' \
    "${cidr//./-}-26" "$cidr" "$node" "$joined" "$attrs"
}

addr_in() { # addr_in BASE OFFSET
  local IFS=. a b c d
  read -r a b c d <<<"$1"
  echo "$a.$b.$c.$((d + $2))"
}

{
  for n in "${NODES[@]}"; do
    if [ "$n" = node1 ]; then
      ipam_block "$n" "1:$n" "2:$n" "10:node2"
    else
      ipam_block "$n" "1:$n" "2:$n"
    fi
  done
} >"$LAB/ipam.yaml"
for n in "${NODES[@]}"; do
  pod "$n" "$n-a" "$(addr_in "${BLOCK[$n]}" 1)"
  pod "$n" "$n-b" "$(addr_in "${BLOCK[$n]}" 2)"
done
pod node2 node2-borrowed "$(addr_in "${BLOCK[node1]}" 10)"

export PODNET_DATASTORE="dir:$LAB/datastore"
echo "== podnetctl apply -f examples/lab/cluster.yaml -f $LAB/ipam.yaml"
"$PODNETCTL" apply -f examples/lab/cluster.yaml | tail -1
"$PODNETCTL" apply -f "$LAB/ipam.yaml" | tail -1

for n in "${NODES[@]}"; do
  cat >"$LAB/$n.yaml" <<CONF
nodeName: $n
datastore:
  type: directory
  path: $LAB/datastore
controlSocket: $LAB/$n.sock
healthListen: 127.0.0.1:9099
logLevel: info
CONF
  ip netns exec "$(ns "$n")" setsid "$PODNETD" --config "$LAB/$n.yaml" >"$LAB/$n.log" 2>&1 </dev/null &
  echo $! >"$LAB/$n.pid"
done

# Wait for the mesh: each node established with both others.
for _ in $(seq 1 150); do
  ok=1
  for n in "${NODES[@]}"; do
    c=$("$PODNETCTL" show peers --json --socket "$LAB/$n.sock" 2>/dev/null | grep -c '"state": "Established"' || true)
    [ "$c" = 2 ] || ok=0
  done
  [ $ok = 1 ] && break
  sleep 0.2
done

for n in "${NODES[@]}"; do
  echo
  echo "== $n: podnetctl show status / show peers"
  "$PODNETCTL" show status --socket "$LAB/$n.sock" | head -3
  "$PODNETCTL" show peers --socket "$LAB/$n.sock"
  echo "-- ip route (proto bird) on $n"
  ip -n "$(ns "$n")" route show proto bird
done

# Let the kernel routes settle before measuring reachability.
sleep 1
echo
echo "== pod-to-pod ping matrix (rows ping columns)"
mapfile -t PODS <"$LAB/pods"
printf '%-18s' ""
for p in "${PODS[@]}"; do set -- $p; printf '%-16s' "$2"; done
echo
fails=0
for a in "${PODS[@]}"; do
  set -- $a
  src=$1
  printf '%-18s' "$2"
  for b in "${PODS[@]}"; do
    set -- $b
    if [ "$src" = "$1" ]; then printf '%-16s' "-"; continue; fi
    if ip netns exec "podnet-lab-pod-$src" ping -c1 -W1 "$2" >/dev/null 2>&1; then
      printf '%-16s' ok
    else
      printf '%-16s' FAIL
      fails=$((fails + 1))
    fi
  done
  echo
done
echo
echo "The lab is running (logs in $LAB/*.log). Try:"
echo "  $PODNETCTL show routes --socket $LAB/node1.sock"
echo "  ip netns exec podnet-lab-pod-node1-a ping $(addr_in "${BLOCK[node2]}" 1)"
echo "Tear it down with:  scripts/lab.sh down"
[ $fails = 0 ]
