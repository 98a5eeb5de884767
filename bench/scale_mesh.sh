#!/usr/bin/env bash
# Scale benchmark, simulated (podnet issue 6, item 8).
#
#   sudo bench/scale_mesh.sh N mesh|rr
#
# N node namespaces (sc-n1..sc-nN), each joined by one veth to a bridge in namespace sc-br
# (one L2 segment, 10.0.0.0/16), one podnetd each on one shared directory datastore holding N
# Node resources, one affine /26 IPAMBlock (and its BlockAffinity) per node, and a
# BGPConfiguration:
#   mesh  the node-to-node full mesh (N-1 sessions per node);
#   rr    mesh off, node1 and node2 reflectors (label route-reflector=true, routeReflectorClusterID
#         244.0.0.1) and one BGPPeer nodeSelector all(), peerSelector route-reflector == 'true'.
# podnetd runs with logLevel warn and policy off (routing only). Measured: the time from the last
# podnetd start until every node's kernel holds all N-1 remote block routes (proto bird, with a
# gateway), then the reflectors' peak RSS (VmHWM) and CPU seconds (utime+stime) and the other
# nodes' average. The measuring is cheap on purpose (the daemons are being measured on a shared
# machine): bench/scale_route_watch.py holds one idle rtnetlink socket per namespace and takes the
# time when the last node's last route notification arrives (polling `ip route` in 200 namespaces
# took ~10 s a round here, which would have been the measurement). When all are complete, every
# node is checked once more with `ip route`.
#
# The kernel's neighbour table is one table across all namespaces: N nodes in a mesh need ~N^2
# ARP entries, far over the default gc_thresh3 of 1024, and N podnetd's need N inotify instances
# (default limit 128 per user). Both host sysctls are raised for the run and restored on exit.
#
# Environment: BUILD (default build: podnetd and podnetctl are read from there; nothing is
# built), PREFIX (of the namespace names, default sc), TIMEOUT (s, default 300), LOGLEVEL
# (podnetd's, default warn), KEEP=1 (keep the work dir with the logs). Prints a summary; exits 1
# if not converged within TIMEOUT, 77 if not root.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TIMEOUT=${TIMEOUT:-300}
N=${1:?usage: scale_mesh.sh N mesh|rr}
MODE=${2:?usage: scale_mesh.sh N mesh|rr}
[ "$MODE" = mesh ] || [ "$MODE" = rr ] || { echo "mode is mesh or rr" >&2; exit 2; }
[ "$N" -ge 3 ] && [ "$N" -le 1000 ] || { echo "N must be 3..1000 (bridge port limit 1024)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 77; }
PODNETD=$BUILD/daemon/podnetd
PODNETCTL=$BUILD/cli/podnetctl
for b in "$PODNETD" "$PODNETCTL"; do
  [ -x "$b" ] || { echo "missing $b (build it first)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/scale.XXXXXX)
chmod 755 "$WORK"
PREFIX=${PREFIX:-sc}
BR=$PREFIX-br
PIDS=()
WATCH=
SAVED_SYSCTLS=()

log() { echo "[$(date +%T)] $*" >&2; }
ns() { echo "$PREFIX-n$1"; }
addr() { echo "10.0.$(($1 >> 8)).$(($1 & 255))"; }
# Node i's block: the i-th /26 of 10.244.0.0/16.
block() { echo "10.244.$(($1 >> 2)).$((($1 & 3) * 64))/26"; }
block_name() { local b; b=$(block "$1"); b=${b//./-}; echo "${b/\//-}"; }

cleanup() {
  set +e
  [ -n "$WATCH" ] && kill -9 "$WATCH" 2>/dev/null
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for ((i = 1; i <= N; i++)); do ip netns del "$(ns $i)" 2>/dev/null; done
  ip netns del $BR 2>/dev/null
  for s in "${SAVED_SYSCTLS[@]}"; do sysctl -qw "$s" >/dev/null; done
  if [ "${KEEP:-0}" = 1 ]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

# Raises a host sysctl to at least `want` for the run; the old value is restored on exit.
raise_sysctl() {
  local key=$1 want=$2 cur
  cur=$(sysctl -n "$key")
  if [ "$cur" -lt "$want" ]; then
    SAVED_SYSCTLS+=("$key=$cur")
    sysctl -qw "$key=$want"
  fi
}

cpu_ticks() { cut -d' ' -f14,15 <"/proc/$1/stat" | awk '{print $1 + $2}'; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# --- network: a bridge namespace and one veth per node ----------------------------------------
build_network() {
  ip netns add $BR
  ip -n $BR link set lo up
  # STP off: ports forward at once; no multicast snooping work on 1,000 ports.
  ip -n $BR link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
  ip -n $BR link set br0 up
  for ((i = 1; i <= N; i++)); do
    local n
    n=$(ns $i)
    ip netns add "$n"
    ip -n "$n" link set lo up
    ip -n "$n" link add eth0 type veth peer name p$i netns $BR
    ip -n "$n" addr add "$(addr $i)/16" dev eth0
    ip -n "$n" link set eth0 up
    ip -n $BR link set p$i master br0 up
  done
}

# --- datastore ---------------------------------------------------------------------------------
write_resources() {
  local f=$WORK/resources.yaml mesh=true
  [ "$MODE" = rr ] && mesh=false
  cat >"$f" <<EOF
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: $mesh
  asNumber: 64512
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pods
spec:
  cidr: 10.244.0.0/16
  blockSize: 26
EOF
  if [ "$MODE" = rr ]; then
    cat >>"$f" <<EOF
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: peer-with-route-reflectors
spec:
  nodeSelector: all()
  peerSelector: route-reflector == 'true'
EOF
  fi
  local unalloc
  unalloc=$(seq -s ', ' 0 63)
  for ((i = 1; i <= N; i++)); do
    local labels="" rr=""
    if [ "$MODE" = rr ] && [ $i -le 2 ]; then
      labels=$'\n  labels:\n    route-reflector: "true"'
      rr=$'\n    routeReflectorClusterID: 244.0.0.1'
    fi
    cat >>"$f" <<EOF
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node$i$labels
spec:
  addresses:
  - address: $(addr $i)/16
    type: CalicoNodeIP
  bgp:
    ipv4Address: $(addr $i)/16
    asNumber: 64512$rr
---
apiVersion: projectcalico.org/v3
kind: IPAMBlock
metadata:
  name: $(block_name $i)
spec:
  cidr: $(block $i)
  affinity: host:node$i
  allocations: [$(printf 'null%.0s, ' $(seq 63))null]
  unallocated: [$unalloc]
  attributes: []
---
apiVersion: projectcalico.org/v3
kind: BlockAffinity
metadata:
  name: node$i-$(block_name $i)
spec:
  state: confirmed
  node: node$i
  type: host
  cidr: $(block $i)
EOF
  done
  "$PODNETCTL" apply -f "$f" --datastore="dir:$WORK/store" >/dev/null
}

start_podnetd() {
  local i=$1 c=$WORK/node$1.yaml
  cat >"$c" <<EOF
nodeName: node$i
datastore:
  path: $WORK/store
controlSocket: $WORK/node$i.sock
logLevel: ${LOGLEVEL:-warn}
policy:
  enabled: false
EOF
  # nsenter, not `ip netns exec`: no sysfs remount per start, so N starts take a fraction.
  nsenter --net="/run/netns/$(ns $i)" -- "$PODNETD" --config "$c" >"$WORK/node$i.log" 2>&1 &
  PIDS[$i]=$!
}

# The number of remote block routes podnetd programmed into node i's kernel.
remote_routes() { ip -n "$(ns $1)" route show proto bird 2>/dev/null | grep -c ' via ' || true; }

# --- run ---------------------------------------------------------------------------------------
raise_sysctl net.ipv4.neigh.default.gc_thresh1 $((N * N))
raise_sysctl net.ipv4.neigh.default.gc_thresh2 $((2 * N * N))
raise_sysctl net.ipv4.neigh.default.gc_thresh3 $((4 * N * N))
raise_sysctl fs.inotify.max_user_instances $(($(sysctl -n fs.inotify.max_user_instances) + 2 * N))

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
t=$SECONDS
build_network
log "$N namespaces on one bridge in $((SECONDS - t)) s"
write_resources
log "datastore written ($N nodes, $N blocks, mode $MODE)"

# The watcher follows every node's routes from before the first start.
names=()
for ((i = 1; i <= N; i++)); do names+=("$(ns $i)"); done
python3 "$ROOT/bench/scale_route_watch.py" $((N - 1)) "$TIMEOUT" "$WORK/done_at" "${names[@]}" \
  >"$WORK/watch.out" 2>"$WORK/watch.err" &
WATCH=$!
sleep 1  # its sockets are open and dumped (cheap: the namespaces are empty)
T_FIRST=$(date +%s.%N)
for ((i = 1; i <= N; i++)); do start_podnetd $i; done
T_LAST=$(date +%s.%N)
log "$N podnetd started in $(echo "$T_LAST - $T_FIRST" | bc) s"

while kill -0 $WATCH 2>/dev/null; do
  for ((i = 1; i <= N; i++)); do
    kill -0 "${PIDS[$i]}" 2>/dev/null || { log "podnetd of node$i died"; KEEP=1; exit 1; }
  done
  sleep 1
done
if ! wait $WATCH || ! read -r _ last <"$WORK/watch.out"; then
  log "not converged within $TIMEOUT s: $(cat "$WORK/watch.out" "$WORK/watch.err")"
  KEEP=1
  exit 1
fi
# Confirm: every node still holds every other node's block.
for ((i = 1; i <= N; i++)); do
  have=$(remote_routes $i)
  [ "$have" -eq $((N - 1)) ] || { log "node$i holds $have of $((N - 1)) at the end"; KEEP=1; exit 1; }
done

HZ=$(getconf CLK_TCK)
summary() {  # label pids...: peak RSS MB (max and mean), CPU s (max and mean)
  local label=$1
  shift
  local out
  out=$(for p in "$@"; do echo "$(hwm_kb $p) $(cpu_ticks $p)"; done |
    awk -v hz="$HZ" '{ r += $1; c += $2; if ($1 > mr) mr = $1; if ($2 > mc) mc = $2; n++ }
      END { printf "peak RSS MB mean %.1f max %.1f; CPU s mean %.2f max %.2f", r / n / 1024,
            mr / 1024, c / n / hz, mc / hz }')
  echo "$label ($#): $out"
}
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
echo "scale_mesh N=$N mode=$MODE"
echo "starting all podnetd took $(echo "$T_LAST - $T_FIRST" | bc | sed 's/^\./0./') s"
echo "converged $(echo "$last - $T_LAST" | bc | sed 's/^\./0./;s/^-\./-0./') s after the last start ($(echo "$last - $T_FIRST" | bc | sed 's/^\./0./') s after the first)"
others=()
if [ "$MODE" = rr ]; then
  summary reflectors "${PIDS[1]}" "${PIDS[2]}"
  for ((i = 3; i <= N; i++)); do others+=("${PIDS[$i]}"); done
  summary clients "${others[@]}"
else
  summary nodes "${PIDS[@]}"
fi
# How the completions spread: the first, the median and the 90th percentile node.
awk -v t="$T_LAST" '{ at[$1] = $2 } END { for (n in at) print at[n] - t }' "$WORK/done_at" | sort -n |
  awk '{ v[NR] = $1 } END { printf "node completion s after the last start: first %.2f, median %.2f, p90 %.2f, last %.2f\n",
       v[1], v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR] }'
echo "load average before $LOAD_BEFORE, after $LOAD_AFTER"
