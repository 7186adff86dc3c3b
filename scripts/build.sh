#!/usr/bin/env bash
# Configures and builds msizarr, warnings as errors (MSIZ_WERROR): build/ (optimised, with debug
# info) and, on request, other configurations, each in its own folder:
#   --asan     build-asan/            AddressSanitizer + UBSan
#   --debug    build-debug/           Debug
#   --release  build-release-gcc/     Release with gcc, and build-release-clang/ with clang
# Cheap when everything is built already (CMake and Ninja redo only what changed).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
build() { # dir, build type, extra cmake args...
  local dir=$1 type=$2
  shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DMSIZ_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}
for arg in "$@"; do
  case $arg in
    --asan | --debug | --release) ;;
    *) echo "build.sh: unknown option '$arg' (--asan, --debug, --release)" >&2; exit 2 ;;
  esac
done
build build RelWithDebInfo
for arg in "$@"; do
  case $arg in
    --asan) build build-asan RelWithDebInfo -DMSIZ_SANITIZE=ON ;;
    --debug) build build-debug Debug ;;
    --release)
      build build-release-gcc Release -DCMAKE_C_COMPILER=gcc
      build build-release-clang Release -DCMAKE_C_COMPILER=clang
      ;;
  esac
done
