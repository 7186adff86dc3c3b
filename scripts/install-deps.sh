#!/usr/bin/env bash
# Installs what msizarr needs to build and test: Debian -dev packages (C dependencies, found by
# pkg-config), a Python venv (.venv) with the exact pins of requirements-test.lock, and the
# JavaScript readers of tests/js (npm ci from its package-lock.json into tests/js/node_modules).
# Idempotent: does nothing when everything is already there.
# MSIZ_DEPS=check: installs nothing; fails when a package or the venv is missing, only notes a venv
# or tests/js installed from another lock (the test suite runs scripts/demo.sh this way, so that
# a test never rebuilds the Python environment).
set -euo pipefail
cd "$(dirname "$0")/.."

# g++, liblz4-dev and libsnappy-dev: the Python wheel links libblosc.a, which calls lz4 and
# snappy (C++), from static archives (cmake/StaticDeps.cmake). libpng-dev: the QC report's
# images; chromium: the report's browser test (tests/python/test_report.py).
APT_PACKAGES=(cmake ninja-build pkg-config gcc g++ libexpat1-dev libzstd-dev zlib1g-dev libblosc-dev
  libsqlite3-dev libjansson-dev libpng-dev libcmocka-dev liblz4-dev libsnappy-dev clang-format
  python3-venv chromium)
# clang: the Release build with clang (scripts/build.sh --release) and scripts/fuzz.sh, with its
# runtime libraries (libclang_rt.fuzzer, the sanitizers)
APT_PACKAGES+=(clang libclang-rt-14-dev)
check_only=0
[ "${MSIZ_DEPS:-}" = check ] && check_only=1

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
# Node.js (>= 18) with npm for tests/js; Debian's nodejs and npm unless a node is installed.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ] && [ "$check_only" = 1 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]} (MSIZ_DEPS=check: not installed)" >&2
  exit 1
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

stamp=.venv/.msiz-lock-sha
want=$(sha256sum requirements-test.lock | cut -d' ' -f1)
if [ "$check_only" = 1 ]; then
  if [ ! -x .venv/bin/python ]; then
    echo "install-deps: no Python environment in .venv (MSIZ_DEPS=check: not created)" >&2
    exit 1
  fi
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] ||
    echo "install-deps: .venv was not installed from this requirements-test.lock (left as is)" >&2
elif [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "install-deps: creating Python test environment in .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-test.lock
  echo "$want" > "$stamp"
fi

js_stamp=tests/js/node_modules/.msiz-lock-sha
js_want=$(sha256sum tests/js/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$js_stamp" 2>/dev/null)" != "$js_want" ] && [ "$check_only" = 1 ]; then
  echo "install-deps: tests/js/node_modules not installed from its lock (MSIZ_DEPS=check)" >&2
elif [ "$(cat "$js_stamp" 2>/dev/null)" != "$js_want" ]; then
  echo "install-deps: installing the JavaScript readers in tests/js"
  npm ci --prefix tests/js --no-audit --no-fund --silent
  echo "$js_want" > "$js_stamp"
fi
