#!/usr/bin/env bash
# `make lab`: the seed's yaobank lab (interop-tests/yaobank/lab.sh) — nodes control, node1,
# node2 on 198.19.0.0/20 with one podnetd each, host1 at 198.19.15.254, an "internet" at
# 203.0.113.10, the seed's IPPool 198.19.16.0/21, and yaobank's customer, summary and database
# pods wired by the podnet CNI plugin. Prints each node's BGP peers, node1's routes, the yaobank
# page fetched from host1 and the pod-to-pod ping matrix, and leaves the lab running.
#   scripts/lab.sh [up]      build it (tearing down an old one first)
#   scripts/lab.sh down      tear it down
#   scripts/lab.sh status    peers and pods
# The lab's namespaces are podnet-lab-*, its state /tmp/podnet-lab.
set -euo pipefail
cd "$(dirname "$0")/.."
export PODNET_BINARY_DIR=${PODNET_BINARY_DIR:-$PWD/${BUILD:-build}}
export PODNET_LAB_PREFIX=podnet-lab
export PODNET_LAB_DIR=${LAB_DIR:-/tmp/podnet-lab}
LAB=interop-tests/yaobank/lab.sh
P=$PODNET_LAB_PREFIX
PODNETCTL=$PODNET_BINARY_DIR/cli/podnetctl

case "${1:-up}" in
  down)
    bash $LAB down
    echo "lab torn down"
    exit 0
    ;;
  status)
    exec bash $LAB status
    ;;
  up) ;;
  *)
    echo "usage: $0 [up|down|status]" >&2
    exit 2
    ;;
esac

bash $LAB up
for n in control node1 node2; do
  echo
  echo "== $n: podnetctl show peers"
  "$PODNETCTL" show peers --socket "$PODNET_LAB_DIR/$n.sock"
done
echo
echo "== node1: ip route   (proto bird: other nodes' blocks learned over BGP; blackhole: its own)"
ip -n "$P-node1" route
echo
echo "== host1: curl 198.19.0.1:30180   (the customer NodePort)"
ip netns exec "$P-host1" curl -s --max-time 8 198.19.0.1:30180

echo
echo "== pod-to-pod ping matrix (rows ping columns)"
PODS=(customer summary database)
declare -A IP
for p in "${PODS[@]}"; do
  IP[$p]=$("$PODNETCTL" --datastore "dir:$PODNET_LAB_DIR/datastore" get pod "$p" -n yaobank -o json |
    jq -r '.status.podIPs[0].ip')
done
printf '%-24s' ""
for p in "${PODS[@]}"; do printf '%-24s' "$p ${IP[$p]}"; done
echo
fails=0
for a in "${PODS[@]}"; do
  printf '%-24s' "$a ${IP[$a]}"
  for b in "${PODS[@]}"; do
    if [ "$a" = "$b" ]; then
      printf '%-24s' "-"
    elif ip netns exec "$P-pod-$a" ping -c1 -W2 "${IP[$b]}" >/dev/null 2>&1; then
      printf '%-24s' ok
    else
      printf '%-24s' FAIL
      fails=$((fails + 1))
    fi
  done
  echo
done
echo
echo "The lab is running (logs in $PODNET_LAB_DIR/*.log). Try:"
echo "  export PODNET_DATASTORE=dir:$PODNET_LAB_DIR/datastore"
echo "  $PODNETCTL get pods -n yaobank -o wide"
echo "  ip netns exec $P-pod-customer curl http://database:2379/v2/keys?recursive=true"
echo "  interop-tests/yaobank/scenarios.sh list     # then: scenarios.sh all, or one by one"
echo "Tear it down with:  make lab-down   (or scripts/lab.sh down)"
[ $fails = 0 ]
