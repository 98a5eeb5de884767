#!/usr/bin/env bash
# Installs every Debian package podnet's build, tests, lab and benchmarks need.
# Idempotent: packages already present are skipped, so a second run costs a dpkg query.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  clang clang-format libclang-rt-14-dev
  libboost-dev libboost-system-dev
  libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
  libnftnl-dev libmnl-dev libssl-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
)
TOOL_PKGS=(
  iproute2 nftables iputils-ping iperf3 tcpdump curl jq procps psmisc
  gobgpd bird2 frr exabgp etcd-server etcd-client
  wireguard-go wireguard-tools
)

missing=()
for p in "${BUILD_PKGS[@]}" "${TOOL_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#BUILD_PKGS[@]}+${#TOOL_PKGS[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Daemons from Debian (bird2, frr, etcd) must not start system-wide services:
# tests start their own instances inside network namespaces.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ "$created_policy" = 1 ] && rm -f "$policy"
# Stop any packaged daemon that started anyway (systemd-less machines ignore policy-rc.d rarely).
for svc in bird frr etcd; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done
echo "install-deps: done"
