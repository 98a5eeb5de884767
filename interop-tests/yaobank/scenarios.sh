#!/usr/bin/env bash
# The seed's scenarios on the yaobank lab (lab.sh up first), podnetctl in place of kubectl and
# calicoctl. Each scenario prints what it does and checks what the seed says happens; any
# failed expectation makes the script exit 1.
#
#   scenarios.sh [all]        reset, then every scenario in the seed's order
#   scenarios.sh list         the scenario names, in order
#   scenarios.sh NAME...      the named scenarios only (each builds on the ones before it, as
#                             in the seed; `reset` takes the lab back to no policy)
#
# Same environment as lab.sh (PODNET_LAB_PREFIX, PODNET_LAB_DIR, PODNET_BINARY_DIR).
# No pipefail: `cmd | grep -q` must be grep's verdict (grep -q exits at the first match and the
# writer's SIGPIPE is not a failure).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
P=${PODNET_LAB_PREFIX:-podnet-lab}
LAB=${PODNET_LAB_DIR:-/tmp/$P}
BIN=${PODNET_BINARY_DIR:-$REPO/build}
PODNETCTL=$BIN/cli/podnetctl
SERVER=$BIN/interop-tests/yaobank/yaobank_server
M=$HERE/manifests
CONTROL=198.19.0.1
NODE1=198.19.0.2
HOST1=198.19.15.254
INTERNET=203.0.113.10
SCENARIOS=(app pod-view host-routes compromise default-app-policy customer-summary-policies
  egress-lockdown host-endpoints nodeport-policy wireguard)

FAILED=0
ctl() { "$PODNETCTL" --datastore "dir:$LAB/datastore" "$@"; }
in_pod() { local p=$1; shift; ip netns exec "$P-pod-$p" "$@"; }
on() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }

say() { printf '\n## %s\n' "$*"; }
run() { # run CMD...: show the command as the seed writes it, then run it
  echo "\$ $*"
  "$@"
}
pass() { echo "  ok: $*"; }
fail() {
  echo "  FAILED: $*"
  FAILED=$((FAILED + 1))
}

# eventually SECONDS CMD...: CMD succeeds within SECONDS (policy is programmed asynchronously).
eventually() {
  local t=$1 end
  shift
  end=$((SECONDS + t))
  while ((SECONDS < end)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.3
  done
  return 1
}
# times_out CMD...: a curl CMD whose connection times out (exit 28): dropped, not refused.
times_out() {
  "$@" >/dev/null 2>&1
  [ $? = 28 ]
}
expect() { # expect SECONDS DESCRIPTION CMD...: CMD succeeds within SECONDS
  local t=$1 d=$2
  shift 2
  if eventually "$t" "$@"; then pass "$d"; else fail "$d ($*)"; fi
}
expect_timeout() { # expect_timeout SECONDS DESCRIPTION CMD...: CMD times out within SECONDS
  local t=$1 d=$2
  shift 2
  if eventually "$t" times_out "$@"; then pass "$d"; else fail "$d ($*)"; fi
}

page_from_host1() { # page_from_host1 ADDR: the customer page with its balance through the NodePort
  on host1 curl -sf --connect-timeout 3 --max-time 8 "$1:30180" | grep -q 'Balance: 2389.45'
}
db_from() { # db_from POD: the database's keys, as the seed's attacker asks for them
  in_pod "$1" curl -sf --connect-timeout 3 --max-time 5 'http://database:2379/v2/keys?recursive=true' |
    grep -q 'Spike Curtis'
}
internet_from() { in_pod "$1" curl -sf --connect-timeout 3 --max-time 5 "http://$INTERNET/"; }

# ---------------------------------------------------------------------------------------------

scenario_reset() {
  say "reset: no policy, host endpoints off, WireGuard off, service account unlabelled"
  for p in database-policy customer-policy summary-policy; do
    ctl delete netpol "$p" -n yaobank >/dev/null 2>&1
  done
  for g in default-app-policy egress-lockdown default-node-policy nodeport-policy; do
    ctl delete gnp "$g" >/dev/null 2>&1
  done
  ctl label serviceaccount customer -n yaobank internet-egress- >/dev/null 2>&1
  ctl patch kubecontrollersconfiguration default --type=merge \
    -p '{"spec":{"controllers":{"node":{"hostEndpoint":{"autoCreate":"Disabled"}}}}}' >/dev/null
  ctl patch felixconfiguration default --type=merge -p '{"spec":{"wireguardEnabled":false}}' \
    >/dev/null
  expect 30 "the yaobank page answers again" page_from_host1 $CONTROL
}

scenario_app() {
  say "Access the sample application: the customer NodePort on every node, from host1"
  echo "\$ curl $CONTROL:30180"
  on host1 curl -s --max-time 8 $CONTROL:30180 | sed -n '/<body>/,/<\/body>/p'
  for a in $CONTROL $NODE1 198.19.0.3; do
    expect 20 "host1 gets the balance page at $a:30180" page_from_host1 $a
  done
  run ctl get pods -n yaobank -o wide
}

scenario_pod-view() {
  say "How pods see the network: (in the customer pod) ip addr; ip route"
  local ip
  ip=$(ctl get pod customer -n yaobank -o json | jq -r '.status.podIPs[0].ip')
  run in_pod customer ip addr show eth0
  run in_pod customer ip route
  if in_pod customer ip -4 addr show eth0 | grep -q "inet $ip/32"; then
    pass "eth0 holds the pod's address $ip/32 (status.podIPs)"
  else fail "eth0 does not hold $ip/32"; fi
  if in_pod customer ip route | grep -q '^default via 169.254.1.1 dev eth0'; then
    pass "default via 169.254.1.1 dev eth0"
  else fail "no default route via 169.254.1.1"; fi
  if in_pod customer ip route | grep -q '^169.254.1.1 dev eth0 .*scope link'; then
    pass "169.254.1.1 dev eth0 scope link"
  else fail "no link route to 169.254.1.1"; fi
  local peer
  peer=$(in_pod customer ip -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\).*/\1/p')
  echo "\$ (on node1) ip link show up | grep cali"
  on node1 ip -o link show up | grep cali | sed 's/^/  /'
  if on node1 ip -o link show | grep -q "^$peer: cali[0-9a-f]\{11\}@"; then
    pass "the pod's eth0@if$peer is node1's interface $peer, a cali veth"
  else fail "interface $peer on node1 is not a cali veth"; fi
}

scenario_host-routes() {
  say "How hosts route pod traffic: (on node1) ip route"
  run on node1 ip route
  local blocks own others=0 b cust
  blocks=$(ctl get ipamblocks -o json | jq -r '(if type == "array" then . else (.items // [.]) end)[] | "\(.spec.cidr) \(.spec.affinity)"')
  own=$(awk '$2 == "host:node1" {print $1}' <<<"$blocks")
  if [ -n "$own" ] && on node1 ip route | grep -q "^blackhole $own proto bird"; then
    pass "blackhole $own proto bird (node1's own block)"
  else fail "no blackhole for node1's block '$own'"; fi
  while read -r -u 3 cidr aff; do
    [ -z "$cidr" ] || [ "$aff" = host:node1 ] && continue
    local node=${aff#host:} via
    via=$(ctl get node "$node" -o json </dev/null | jq -r '.spec.bgp.ipv4Address' | cut -d/ -f1)
    if on node1 ip route | grep -q "^$cidr via $via dev eth0 proto bird"; then
      pass "$cidr via $via dev eth0 proto bird ($node's block)"
      others=$((others + 1))
    else fail "no proto bird route $cidr via $via"; fi
  done 3<<<"$blocks"
  [ $others -ge 2 ] && pass "routes to both other nodes' blocks" || fail "only $others other-node blocks routed"
  cust=$(ctl get pod customer -n yaobank -o json | jq -r '.status.podIPs[0].ip')
  if on node1 ip route | grep -q "^$cust dev cali[0-9a-f]\{11\} scope link"; then
    pass "$cust (customer) dev cali... scope link"
  else fail "no /32 route to the customer pod $cust"; fi
}

scenario_compromise() {
  say "1. Simulated compromise: from the customer pod, straight to the database"
  echo "\$ (customer) curl http://database:2379/v2/keys?recursive=true"
  in_pod customer curl -s --max-time 5 'http://database:2379/v2/keys?recursive=true' | jq . | head -20
  expect 10 "the attack succeeds: all balances returned" db_from customer
  echo "\$ podnetctl apply -f manifests/10-database-policy.yaml"
  ctl apply -f "$M/10-database-policy.yaml"
  echo "\$ (customer) curl --connect-timeout 3 http://database:2379/v2/keys?recursive=true"
  expect_timeout 20 "customer -> database times out" \
    in_pod customer curl -s --connect-timeout 3 'http://database:2379/v2/keys?recursive=true'
  expect 10 "summary still reaches the database" db_from summary
  expect 10 "the yaobank page still works" page_from_host1 $CONTROL
}

scenario_default-app-policy() {
  say "GlobalNetworkPolicy default-app-policy: default deny for every application namespace"
  echo "\$ podnetctl apply -f manifests/11-default-app-policy.yaml"
  ctl apply -f "$M/11-default-app-policy.yaml"
  expect_timeout 20 "customer -> summary now times out (no policy allows it yet)" \
    in_pod customer curl -s --connect-timeout 3 http://summary/
  expect_timeout 20 "host1 no longer gets the page" \
    on host1 curl -s --connect-timeout 3 $CONTROL:30180
  say "2. default-app-policy with the DNS allowance (UDP 53 to k8s-app == \"kube-dns\")"
  echo "\$ podnetctl apply -f manifests/12-default-app-policy-dns.yaml"
  ctl apply -f "$M/12-default-app-policy-dns.yaml"
  run ctl get gnp default-app-policy -o yaml
  if ctl get gnp default-app-policy -o json | jq -e '.spec.egress[0] | .action == "Allow" and .protocol == "UDP" and .destination.selector == "k8s-app == \"kube-dns\"" and .destination.ports == [53]' >/dev/null; then
    pass "egress allows UDP 53 to kube-dns"
  else fail "the stored policy lacks the DNS allowance"; fi
  if ctl get gnp default-app-policy -o json | jq -e '.spec.namespaceSelector | contains("calico-apiserver") | not' >/dev/null; then
    pass "the namespaceSelector is the updated one"
  else fail "default-app-policy was not replaced"; fi
  expect_timeout 20 "everything else still denied: customer -> summary" \
    in_pod customer curl -s --connect-timeout 3 http://summary/
}

scenario_customer-summary-policies() {
  say "3. customer-policy and summary-policy: the application works again"
  echo "\$ podnetctl apply -f manifests/13-customer-summary-policy.yaml"
  ctl apply -f "$M/13-customer-summary-policy.yaml"
  expect 20 "host1 gets the balance page" page_from_host1 $CONTROL
  expect_timeout 10 "customer -> database still times out" \
    in_pod customer curl -s --connect-timeout 3 'http://database:2379/v2/keys?recursive=true'
  expect 10 "customer reaches the internet (egress to: [] allows all; NAT outgoing)" \
    internet_from customer
}

scenario_egress-lockdown() {
  say "4. egress-lockdown (order 600): no internet for service accounts not internet-egress=allowed"
  echo "\$ podnetctl apply -f manifests/14-egress-lockdown.yaml"
  ctl apply -f "$M/14-egress-lockdown.yaml"
  expect_timeout 20 "customer -> $INTERNET times out" \
    in_pod customer curl -s --connect-timeout 3 "http://$INTERNET/"
  expect 10 "the yaobank page still works (cluster-internal traffic)" page_from_host1 $CONTROL
  say "5. Grant selective egress through the service account's label"
  run ctl label serviceaccount customer -n yaobank internet-egress=allowed
  expect 20 "customer -> $INTERNET works again" internet_from customer
  expect_timeout 10 "summary (not labelled) still cannot" \
    in_pod summary curl -s --connect-timeout 3 "http://$INTERNET/"
}

scenario_host-endpoints() {
  say "Protecting hosts: default-node-policy and automatic host endpoints"
  # A host process on node1 that is not a failsafe port, and one on ssh's (a failsafe).
  if [ ! -f "$LAB/node1-host-listeners" ]; then
    on node1 setsid "$SERVER" --role internet --port 22 >"$LAB/node1-22.log" 2>&1 </dev/null &
    on node1 setsid "$SERVER" --role internet --port 8080 >"$LAB/node1-8080.log" 2>&1 </dev/null &
    touch "$LAB/node1-host-listeners"
  fi
  expect 10 "before: host1 reaches node1:8080" on host1 curl -sf --max-time 3 http://$NODE1:8080/
  echo "\$ podnetctl apply -f manifests/15-default-node-policy.yaml"
  ctl apply -f "$M/15-default-node-policy.yaml"
  run ctl patch kubecontrollersconfiguration default \
    --patch='{"spec": {"controllers": {"node": {"hostEndpoint": {"autoCreate": "Enabled"}}}}}'
  heps() { [ "$(ctl get heps -o json | jq -r '(if type == "array" then . else (.items // [.]) end)[].metadata.name' | sort | tr '\n' ' ')" = "control-auto-hep node1-auto-hep node2-auto-hep " ]; }
  expect 20 "podnetctl get heps: control-auto-hep node1-auto-hep node2-auto-hep" heps
  run ctl get heps
  expect_timeout 20 "host1 -> node1:8080 now times out (default deny on the host endpoint)" \
    on host1 curl -s --connect-timeout 3 http://$NODE1:8080/
  expect 10 "failsafe: host1 -> node1:22 (ssh) still open" \
    on host1 curl -sf --max-time 3 http://$NODE1:22/
  mesh() { [ "$("$PODNETCTL" show peers --json --socket "$LAB/node1.sock" | grep -c '"state": "Established"')" = 2 ]; }
  expect 5 "failsafe: node1's BGP sessions (179) stay Established" mesh
  expect 10 "the yaobank page still works" page_from_host1 $CONTROL
}

scenario_nodeport-policy() {
  say "Lock down NodePort access: nodeport-policy (preDNAT, applyOnForward)"
  echo "\$ podnetctl apply -f manifests/16-nodeport-policy-deny.yaml"
  ctl apply -f "$M/16-nodeport-policy-deny.yaml"
  echo "\$ (host1) curl --connect-timeout 3 $CONTROL:30180"
  expect_timeout 20 "host1 -> $CONTROL:30180 times out" \
    on host1 curl -s --connect-timeout 3 $CONTROL:30180
  say "Allow only host1 to the customer NodePort"
  echo "\$ podnetctl apply -f manifests/17-nodeport-policy-host1.yaml"
  ctl apply -f "$M/17-nodeport-policy-host1.yaml"
  echo "\$ (host1) curl $CONTROL:30180"
  expect 20 "host1 gets the balance page" page_from_host1 $CONTROL
  expect 10 "host1 gets it on node1 too" page_from_host1 $NODE1
  expect_timeout 10 "the internet ($INTERNET, not host1) -> $CONTROL:30180 times out" \
    on internet curl -s --connect-timeout 3 $CONTROL:30180
}

scenario_wireguard() {
  say "WireGuard: enable with the seed's patch"
  run ctl patch felixconfiguration default --type='merge' -p '{"spec":{"wireguardEnabled":true}}'
  key() { ctl get node node1 -o yaml | grep -q wireguardPublicKey; }
  expect 30 "podnetctl get node node1 -o yaml shows status.wireguardPublicKey" key
  run ctl get node node1 -o yaml
  local wg
  wg=$(ctl get felixconfiguration node.node1 -o json | jq -r '.spec.wireguardInterfaceName')
  echo "\$ (node1) ip addr | grep $wg"
  on node1 ip addr | grep "$wg"
  expect 10 "node1 has its WireGuard device $wg up" on node1 ip link show "$wg" up
  expect 20 "the yaobank page works over WireGuard" page_from_host1 $CONTROL
  say "WireGuard: disable"
  run ctl patch felixconfiguration default --type='merge' -p '{"spec":{"wireguardEnabled":false}}'
  nokey() { ! ctl get node node1 -o yaml | grep -q wireguardPublicKey; }
  expect 30 "the public key is gone from node1" nokey
  expect 20 "the WireGuard device is gone" bash -c "! ip netns exec $P-node1 ip link show $wg"
  expect 20 "the yaobank page still works" page_from_host1 $CONTROL
}

# ---------------------------------------------------------------------------------------------

[ -S "$LAB/node1.sock" ] || { echo "no lab at $LAB: run lab.sh up first" >&2; exit 1; }
case "${1:-all}" in
  list) printf '%s\n' reset "${SCENARIOS[@]}"; exit 0 ;;
  all) set -- reset "${SCENARIOS[@]}" ;;
esac
for s in "$@"; do
  if ! declare -F "scenario_$s" >/dev/null; then
    echo "unknown scenario '$s' (scenarios.sh list)" >&2
    exit 2
  fi
done
for s in "$@"; do "scenario_$s"; done
echo
if [ $FAILED = 0 ]; then
  echo "scenarios: all expectations met ($*)"
else
  echo "scenarios: $FAILED expectation(s) FAILED"
  exit 1
fi
