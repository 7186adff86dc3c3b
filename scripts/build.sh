#!/usr/bin/env bash
# Configures and builds msizarr: build/ (optimised, with debug info) and, with --asan,
# build-asan/ (AddressSanitizer + UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}
build build
if [ "${1:-}" = "--asan" ]; then
  build build-asan -DMSIZ_SANITIZE=ON
fi
