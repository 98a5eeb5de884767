#!/usr/bin/env bash
# Builds the codec fuzzer with clang (libFuzzer + ASan + UBSan on the codec and rib libraries
# too, so every read they make is checked) and runs it.
# Usage: bgp/fuzz/run.sh [RUNS] [extra libFuzzer flags...]   (RUNS default 1000000)
# New inputs go to $BUILD/fuzz-corpus (not the committed seed corpus, which stays small).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../.." && pwd)"
runs="${1:-1000000}"
shift || true
build="${BUILD:-$src/build-codec-fuzz}"
cmake -S "$src" -B "$build" -G Ninja -DPODNET_MODULES="rib;bgp" -DPODNET_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" >/dev/null
cmake --build "$build" -j2 --target bgp_fuzz_codec
mkdir -p "$build/fuzz-corpus"
exec "$build/bgp/bgp_fuzz_codec" -runs="$runs" -max_len=4200 -print_final_stats=1 "$@" \
  "$build/fuzz-corpus" "$here/corpus"
