#!/usr/bin/env bash
# ctest yaobank_scenarios: lab up -> every scenario -> lab down, with a namespace prefix and a
# state directory of its own so it runs beside `make lab` and other tests.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root for network namespaces"; exit 1; }
export PODNET_BINARY_DIR=${PODNET_BINARY_DIR:?the build tree}
export PODNET_LAB_PREFIX=${PODNET_LAB_PREFIX:-pnyb$$}
export PODNET_LAB_DIR=${PODNET_LAB_DIR:-/tmp/$PODNET_LAB_PREFIX}
dump_logs() {
  for f in "$PODNET_LAB_DIR"/*.log; do
    [ -f "$f" ] && { echo "--- $f (tail)"; tail -30 "$f"; }
  done
}
cleanup() { bash "$HERE/lab.sh" down; }
trap cleanup EXIT
start=$SECONDS
if ! bash "$HERE/lab.sh" up; then
  dump_logs
  exit 1
fi
bash "$HERE/scenarios.sh" all
rc=$?
[ $rc = 0 ] || dump_logs
echo "yaobank_scenarios: $((SECONDS - start)) s"
exit $rc
