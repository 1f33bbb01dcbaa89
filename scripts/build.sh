#!/usr/bin/env bash
# Builds one variant into build/VARIANT: release (default), asan (address+undefined sanitizers),
# tsan (thread sanitizer) or fuzz (clang, libFuzzer targets of tests/fuzz only: see scripts/fuzz).
# Warnings are errors in every variant.
set -euo pipefail
cd "$(dirname "$0")/.."
variant=${1:-release}
case "$variant" in
  release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  # -O1 as the sanitizers' documentation advises: the tests run about twice as fast as at -O0
  # and reports keep their stacks (frame pointers are kept); assertions stay on (Debug).
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DIMGMOUNT_SANITIZE=address "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g"
               "-DCMAKE_C_FLAGS_DEBUG=-O1 -g") ;;
  tsan) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMGMOUNT_SANITIZE=thread) ;;
  fuzz) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g"
               "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g" -DCMAKE_C_COMPILER=clang
               -DCMAKE_CXX_COMPILER=clang++ -DIMGMOUNT_FUZZ=ON) ;;
  *) echo "usage: scripts/build.sh [release|asan|tsan|fuzz]" >&2; exit 2 ;;
esac
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "build/$variant"
log="build/$variant/build.log"
echo "build: $variant"
if ! { cmake -S . -B "build/$variant" -DIMGMOUNT_WERROR=ON "${flags[@]}" &&
       cmake --build "build/$variant" -j"$jobs"; } > "$log" 2>&1; then
  grep -E 'error|Error' -A5 "$log" | head -80 >&2 || tail -50 "$log" >&2
  echo "build: $variant FAILED (full log: $log)" >&2
  exit 1
fi
