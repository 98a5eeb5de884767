#!/usr/bin/env bash
# `make lab`: podnetd for node1 of the seed's cluster, in its own network namespace, on the
# embedded directory datastore holding the example resources; then `podnetctl show status`
# against it. LAB_HOLD=1 keeps it running until Ctrl-C; otherwise it stops cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PODNETD=$PWD/$BUILD/daemon/podnetd
PODNETCTL=$PWD/$BUILD/cli/podnetctl
LAB=${LAB_DIR:-/tmp/podnet-lab}
NS=podnet-lab-node1

cleanup() {
  if [ -n "${PID:-}" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$LAB"; mkdir -p "$LAB"
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip -n "$NS" link set lo up

cat >"$LAB/podnetd.yaml" <<CONF
nodeName: node1
datastore:
  type: directory
  path: $LAB/datastore
controlSocket: $LAB/podnetd.sock
healthListen: 127.0.0.1:9099
logLevel: info
CONF

export PODNET_DATASTORE="dir:$LAB/datastore" PODNET_SOCKET="$LAB/podnetd.sock"
echo "== podnetctl apply -f examples/lab/cluster.yaml"
"$PODNETCTL" apply -f examples/lab/cluster.yaml

echo "== podnetd --config $LAB/podnetd.yaml (netns $NS)"
ip netns exec "$NS" "$PODNETD" --config "$LAB/podnetd.yaml" >"$LAB/podnetd.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  "$PODNETCTL" show status >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { cat "$LAB/podnetd.log"; exit 1; }
  sleep 0.1
done

echo "== podnetctl show status"
"$PODNETCTL" show status
echo "== podnetctl get nodes -o wide"
"$PODNETCTL" get nodes -o wide
echo "== podnetctl get ippools -o wide"
"$PODNETCTL" get ippools -o wide
echo "== curl http://127.0.0.1:9099/readyz (in $NS)"
ip netns exec "$NS" curl -s http://127.0.0.1:9099/readyz

if [ "${LAB_HOLD:-0}" = 1 ]; then
  echo "podnetd runs (pid $PID); export PODNET_DATASTORE=$PODNET_DATASTORE PODNET_SOCKET=$PODNET_SOCKET; Ctrl-C stops it"
  wait "$PID"
fi
