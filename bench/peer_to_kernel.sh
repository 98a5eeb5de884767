#!/usr/bin/env bash
# Peer -> kernel benchmark (podnet issue 4, item 5).
#
#   sudo bench/peer_to_kernel.sh [N ...]            default: 100000 1000000
#
# For each N: gobgpd in namespace p2k-gobgp is loaded with N IPv4 /24s (an MRT TABLE_DUMP_V2
# file, `gobgp mrt inject global`) BEFORE any receiver exists. Then, one after the other, each
# receiver (podnetd, BIRD 2, FRR bgpd+zebra) gets a fresh namespace p2k-rx joined to gobgpd's by
# one veth (10.0.0.1/24 <-> 10.0.0.2/24, eBGP 64512 <-> 65001), is started, and is timed from
# its start (and from the moment gobgpd reports the session Established) until its namespace's
# main table holds all N routes (bench/kernel_route_wait follows route notifications: podnetd and
# BIRD install proto 12, zebra proto 186). At that moment peak RSS
# (VmHWM) and CPU seconds (utime+stime) of the receiving process(es) are read from /proc; then
# CPU is sampled over 10 s of idle. The floor is bench/netlink_floor: the same N routes pushed
# with raw batched rtnetlink (256 per sendmsg) into a fresh namespace with the same veth shape.
#
# Environment: RECEIVERS (default "podnetd bird frr"; also "sink": bench/bgp_sink.py drains the
# table and installs nothing, to measure the sender's own time), PODNET_BUILD (default build: podnetd and
# podnetctl are read from there), BENCH_BUILD (default build-bench: the helpers are built there),
# TIMEOUT (seconds per receiver, default 900), IDLE_S (default 10), TIMELINE=1 (podnetd's RIB
# and kernel counts once a second, to see where its time goes; perturbs the timing),
# PERF_DATA=file (podnetd is sampled with `perf record` into that file while it receives).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PODNET_BUILD=${PODNET_BUILD:-$ROOT/build}
BENCH_BUILD=${BENCH_BUILD:-$ROOT/build-bench}
RECEIVERS=${RECEIVERS:-"podnetd bird frr"}
TIMEOUT=${TIMEOUT:-900}
IDLE_S=${IDLE_S:-10}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(100000 1000000)

[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
PODNETD=$PODNET_BUILD/daemon/podnetd
PODNETCTL=$PODNET_BUILD/cli/podnetctl
for b in "$PODNETD" "$PODNETCTL"; do
  [ -x "$b" ] || { echo "missing $b (make build first)" >&2; exit 1; }
done

# --- build the helpers -----------------------------------------------------------------------
if [ ! -f "$BENCH_BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BENCH_BUILD" -G Ninja -DPODNET_MODULES=bench \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BENCH_BUILD" -j2 --target netlink_floor kernel_route_wait >/dev/null
FLOOR=$BENCH_BUILD/bench/netlink_floor
WAIT=$BENCH_BUILD/bench/kernel_route_wait

WORK=$(mktemp -d /tmp/p2k.XXXXXX)
chmod 755 "$WORK"
GNS=p2k-gobgp
RNS=p2k-rx
PIDS=()

log() { echo "[$(date +%T)] $*" >&2; }

kill_ns_procs() {  # every process left in a namespace we made
  local ns=$1
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
}
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for ns in $RNS $GNS p2k-floor; do
    kill_ns_procs $ns
    ip netns del $ns 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

cpu_s() {  # utime+stime of the given pids, seconds
  local t=0 p
  for p in "$@"; do
    local f
    f=$(cut -d' ' -f14,15 <"/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + ${f% *} + ${f#* }))
  done
  echo "scale=2; $t / $(getconf CLK_TCK)" | bc
}
hwm_mb() {  # sum of VmHWM of the given pids, MB
  local k=0 p v
  for p in "$@"; do
    v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
    k=$((k + ${v:-0}))
  done
  echo "scale=1; $k / 1024" | bc
}

# A veth between gobgpd's namespace and a fresh receiver namespace.
make_rx_ns() {
  local ns=$1
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" link add eth0 type veth peer name rx0 netns $GNS
  ip -n "$ns" addr add 10.0.0.1/24 dev eth0
  ip -n "$ns" link set eth0 up
  ip -n $GNS addr add 10.0.0.2/24 dev rx0
  ip -n $GNS link set rx0 up
}

gobgp_cli() { ip netns exec $GNS gobgp -u 127.0.0.1 -p 50051 "$@"; }

start_gobgpd() {
  local n=$1
  ip netns add $GNS
  ip -n $GNS link set lo up
  cat >"$WORK/gobgpd.yaml" <<EOF
global:
  config:
    as: 65001
    router-id: 10.0.0.2
    port: 179
neighbors:
  - config:
      neighbor-address: "10.0.0.1"
      peer-as: 64512
    timers:
      config:
        hold-time: 90
        keepalive-interval: 30
        connect-retry: 1
        idle-hold-time-after-reset: 1
EOF
  ip netns exec $GNS gobgpd -f "$WORK/gobgpd.yaml" -t yaml --api-hosts 127.0.0.1:50051 \
    --pprof-disable >"$WORK/gobgpd.log" 2>&1 &
  GOBGPD_PID=$!
  PIDS+=("$GOBGPD_PID")
  for _ in $(seq 100); do gobgp_cli global >/dev/null 2>&1 && break; sleep 0.2; done
  python3 "$ROOT/bench/gen_mrt.py" "$n" "$WORK/table.mrt" 65001 10.0.0.2 5000
  local t0=$SECONDS
  gobgp_cli mrt inject global "$WORK/table.mrt" >/dev/null
  local have
  have=$(gobgp_cli global rib summary | awk '/Destination:/ {gsub(",", "", $2); print $2}')
  # N prefixes plus the sentinel.
  [ "$have" -ge $((n + 1)) ] || { echo "gobgpd holds $have of $((n + 1)) prefixes" >&2; exit 1; }
  log "gobgpd holds $have prefixes (inject took $((SECONDS - t0)) s)"
}

stop_gobgpd() {
  kill "$GOBGPD_PID" 2>/dev/null || true
  wait "$GOBGPD_PID" 2>/dev/null || true
  kill_ns_procs $GNS
  ip netns del $GNS
}

# --- receivers: each sets RX_PIDS (the processes to measure) and RX_PROTO -------------------
start_podnetd() {
  local d=$WORK/podnetd
  rm -rf "$d"  # a fresh datastore for each podnetd of the run
  mkdir -p "$d"
  cat >"$d/podnetd.yaml" <<EOF
nodeName: n1
datastore:
  path: $d/store
controlSocket: $d/podnetd.sock
healthListen: 127.0.0.1:9099
logLevel: warn
addressAutodetection:
  ipv4: none
  ipv6: none
bgp:
  holdTime: 90
EOF
  "$PODNETCTL" apply -f - --datastore "dir:$d/store" >/dev/null <<EOF
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: n1
spec:
  bgp:
    ipv4Address: 10.0.0.1/24
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  asNumber: 64512
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: gobgp
spec:
  peerIP: 10.0.0.2
  asNumber: 65001
EOF
  ip netns exec $RNS "$PODNETD" --config "$d/podnetd.yaml" >"$d/out.log" 2>"$d/err.log" &
  RX_PIDS=($!)
  RX_PROTO=12
}

# RECEIVERS may name "podnetd_base": a second podnetd, read from $PODNET_BASE_BUILD (an earlier
# build to compare with, in the same run).
start_podnetd_base() {
  local PODNETD=$PODNET_BASE_BUILD/daemon/podnetd PODNETCTL=$PODNET_BASE_BUILD/cli/podnetctl
  start_podnetd
}

start_bird() {
  local d=$WORK/bird
  mkdir -p "$d"
  cat >"$d/bird.conf" <<EOF
router id 10.0.0.1;
protocol device { }
protocol kernel { ipv4 { import none; export all; }; }
protocol bgp gobgp {
  local 10.0.0.1 as 64512;
  neighbor 10.0.0.2 as 65001;
  hold time 90;
  connect delay time 1;
  connect retry time 1;
  ipv4 { import all; export none; };
}
EOF
  ip netns exec $RNS bird -f -c "$d/bird.conf" -s "$d/bird.ctl" >"$d/out.log" 2>&1 &
  RX_PIDS=($!)
  RX_PROTO=12
}

start_frr() {
  local d=$WORK/frr
  mkdir -p "$d"
  cat >"$d/zebra.conf" <<EOF
hostname p2k-zebra
EOF
  cat >"$d/bgpd.conf" <<EOF
frr defaults traditional
hostname p2k-bgpd
router bgp 64512
 bgp router-id 10.0.0.1
 no bgp ebgp-requires-policy
 neighbor 10.0.0.2 remote-as 65001
 neighbor 10.0.0.2 timers connect 1
 neighbor 10.0.0.2 advertisement-interval 0
 address-family ipv4 unicast
  neighbor 10.0.0.2 activate
 exit-address-family
exit
EOF
  chown -R frr:frr "$d"
  ip netns exec $RNS /usr/lib/frr/zebra -f "$d/zebra.conf" -i "$d/zebra.pid" --vty_socket "$d" \
    -z "$d/zserv.api" -P 0 -u frr -g frr -s 90000000 >"$d/zebra.log" 2>&1 &
  local zpid=$!
  for _ in $(seq 50); do [ -S "$d/zserv.api" ] && break; sleep 0.1; done
  ip netns exec $RNS /usr/lib/frr/bgpd -f "$d/bgpd.conf" -i "$d/bgpd.pid" --vty_socket "$d" \
    -z "$d/zserv.api" -P 0 -u frr -g frr >"$d/bgpd.log" 2>&1 &
  RX_PIDS=($! "$zpid")
  RX_PROTO=186
}

# Not a receiver to compare: drains the table without doing anything with it (bench/bgp_sink.py),
# so its time from Established is what gobgpd needs to send N routes on this machine.
start_sink() {
  ip netns exec $RNS python3 "$ROOT/bench/bgp_sink.py" 10.0.0.1 64512 "$1" "$TIMEOUT" \
    >"$WORK/sink.out" 2>&1 &
  RX_PIDS=($!)
  RX_PROTO=sink
}

declare -A SEC EST RSS CPU IDLE GCPU

# TIMELINE=1: where podnetd's time goes (RIB prefixes vs kernel routes installed), once a second
# from its control socket. A diagnosis, not a measurement: the polling costs CPU.
podnetd_timeline() {
  local t0=$1
  while sleep 1; do
    local j
    j=$("$PODNETCTL" show status --json --socket "$WORK/podnetd/podnetd.sock" 2>/dev/null) || continue
    echo "$j" | python3 -c 'import json,sys,time
j=json.load(sys.stdin)["bgp"]; k=j.get("kernel",{})
print("timeline t=%.1f s rib prefixes %s kernel installed %s pending %s batches %s" % (
  time.time()-float(sys.argv[1]), j.get("prefixes"), k.get("installed"), k.get("pending"),
  k.get("batches")))' "$t0"
  done
}

# Writes the time gobgpd first reports the session Established (polled every 50 ms) to $1:
# the start-up delays of the receivers differ (BIRD's connect delay, bgpd's zebra handshake),
# so the time from Established is the one that compares route processing.
watch_established() {
  while :; do
    if gobgp_cli neighbor 2>/dev/null | grep -q Establ; then
      date +%s.%N >"$1"
      return
    fi
    sleep 0.05
  done
}

run_receiver() {
  local rx=$1 n=$2
  make_rx_ns $RNS
  local t0
  t0=$(date +%s.%N)
  rm -f "$WORK/established"
  watch_established "$WORK/established" &
  local watcher=$!
  PIDS+=("$watcher")
  "start_$rx" "$n"
  PIDS+=("${RX_PIDS[@]}")
  if [ "$rx" = podnetd ] && [ -n "${PERF_DATA:-}" ]; then
    perf record -q -F 499 -g -o "$PERF_DATA" -p "${RX_PIDS[0]}" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  if [ "$rx" = podnetd ] && [ -n "${TIMELINE:-}" ]; then
    podnetd_timeline "$t0" >&2 &
    TL_PID=$!
    PIDS+=("$TL_PID")
  fi
  local out
  local g0
  g0=$(cpu_s "$GOBGPD_PID")
  local ok=0
  if [ "$rx" = sink ]; then
    wait "${RX_PIDS[0]}" || true
    out=$(cat "$WORK/sink.out")
    [[ $out == done* ]] && ok=1 && out="done ${out##* } x"  # the last prefix's time
  elif out=$(ip netns exec $RNS "$WAIT" "$n" "$RX_PROTO" "$TIMEOUT"); then
    ok=1
  fi
  if [ $ok = 1 ]; then
    local t1=${out#done }
    t1=${t1% *}
    SEC[$rx,$n]=$(echo "scale=2; ($t1 - $t0) / 1" | bc)
    wait "$watcher" 2>/dev/null || true
    EST[$rx,$n]=$(echo "scale=2; ($t1 - $(cat "$WORK/established")) / 1" | bc)
  else
    SEC[$rx,$n]="timeout(${out#timeout })"
    EST[$rx,$n]=n/a
    kill "$watcher" 2>/dev/null || true
  fi
  if [ -n "${TL_PID:-}" ]; then
    kill "$TL_PID" 2>/dev/null || true
    wait "$TL_PID" 2>/dev/null || true
    TL_PID=
  fi
  if [ -n "${PERF_PID:-}" ]; then
    kill -INT "$PERF_PID" 2>/dev/null || true
    wait "$PERF_PID" 2>/dev/null || true
    PERF_PID=
  fi
  RSS[$rx,$n]=$(hwm_mb "${RX_PIDS[@]}")
  GCPU[$rx,$n]=$(echo "$(cpu_s "$GOBGPD_PID") - $g0" | bc)
  CPU[$rx,$n]=$(cpu_s "${RX_PIDS[@]}")
  local c0 c1
  c0=$(cpu_s "${RX_PIDS[@]}")
  sleep "$IDLE_S"
  c1=$(cpu_s "${RX_PIDS[@]}")
  IDLE[$rx,$n]=$(echo "scale=2; $c1 - $c0" | bc)
  log "$rx N=$n: ${SEC[$rx,$n]} s (${EST[$rx,$n]} s from Established), peak RSS ${RSS[$rx,$n]} MB, CPU ${CPU[$rx,$n]} s," \
    "idle CPU ${IDLE[$rx,$n]} s / ${IDLE_S} s, gobgpd CPU ${GCPU[$rx,$n]} s"
  local p
  for p in "${RX_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${RX_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  kill_ns_procs $RNS
  ip netns del $RNS
  # The kernel tears a namespace down asynchronously (slowly with 1M routes in it); its end of
  # the veth, and 10.0.0.2 with it, must be gone before the next receiver's veth comes.
  for _ in $(seq 300); do ip -n $GNS link show rx0 >/dev/null 2>&1 || break; sleep 0.2; done
}

run_floor() {
  local n=$1
  ip netns add p2k-floor
  ip -n p2k-floor link set lo up
  ip -n p2k-floor link add eth0 type veth peer name rx0
  ip -n p2k-floor addr add 10.0.0.1/24 dev eth0
  ip -n p2k-floor link set eth0 up
  ip -n p2k-floor link set rx0 up
  local out
  out=$(/usr/bin/time -f "cpu %U %S" -o "$WORK/floor.time" ip netns exec p2k-floor "$FLOOR" "$n" 10.0.0.2 256)
  SEC[floor,$n]=${out#seconds }
  local cpu
  cpu=$(tail -1 "$WORK/floor.time")
  CPU[floor,$n]="${cpu#cpu }"  # user sys: sys is the kernel's own cost of taking the routes
  ip netns del p2k-floor
  log "floor N=$n: ${SEC[floor,$n]} s, CPU user/sys ${CPU[floor,$n]} s"
}

log "podnet $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null), podnetd built" \
  "$(date -r "$PODNETD" '+%F %T'); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${SIZES[@]}"; do
  log "=== N=$n"
  start_gobgpd "$n"
  for rx in $RECEIVERS; do run_receiver "$rx" "$n"; done
  stop_gobgpd
  run_floor "$n"
done

ratio() {  # a/b with two decimals, or n/a
  [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] || { echo n/a; return; }
  echo "scale=2; $1 / $2" | bc
}

echo
echo "| N | receiver | s from start to all in kernel | s from Established | peak RSS MB |" \
  "CPU s | idle CPU s / ${IDLE_S} s | gobgpd CPU s meanwhile |"
echo "|---|---|---|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
  for rx in $RECEIVERS; do
    echo "| $n | $rx | ${SEC[$rx,$n]} | ${EST[$rx,$n]} | ${RSS[$rx,$n]} | ${CPU[$rx,$n]} |" \
      "${IDLE[$rx,$n]} | ${GCPU[$rx,$n]} |"
  done
  echo "| $n | netlink floor | ${SEC[floor,$n]} | ${SEC[floor,$n]} | | ${CPU[floor,$n]} (user sys) | | |"
done
echo
echo "| N | podnetd/BIRD time (start, Established) | podnetd/floor time (start, Established) |" \
  "podnetd/BIRD peak RSS |"
echo "|---|---|---|---|"
for n in "${SIZES[@]}"; do
  echo "| $n | $(ratio "${SEC[podnetd,$n]:-}" "${SEC[bird,$n]:-}")," \
    "$(ratio "${EST[podnetd,$n]:-}" "${EST[bird,$n]:-}") |" \
    "$(ratio "${SEC[podnetd,$n]:-}" "${SEC[floor,$n]:-}")," \
    "$(ratio "${EST[podnetd,$n]:-}" "${SEC[floor,$n]:-}") |" \
    "$(ratio "${RSS[podnetd,$n]:-}" "${RSS[bird,$n]:-}") |"
done
