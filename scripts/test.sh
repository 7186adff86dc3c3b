#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds every configuration CI checks (warnings as
# errors: RelWithDebInfo, AddressSanitizer + UBSan, Debug, Release with gcc and with clang), runs
# the C unit tests and fuzz corpora in each (under the sanitizers too), each libFuzzer target for
# 60 s, the bad-input pytest files against the sanitizer build, and the pytest suite that reads
# our output with spatialdata, anndata, zarr-python,
# geopandas and pyarrow, README's demo included; it also builds the Python wheel once
# (scripts/build-wheel.sh; pip fetches the pinned build backend, from its cache after the first
# run) and tests it installed in an empty venv. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh --asan --debug --release
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== C tests (build)"
ctest --test-dir build --output-on-failure -j 2
echo "== C tests under AddressSanitizer + UBSan (build-asan)"
ctest --test-dir build-asan --output-on-failure -j 2
for dir in build-debug build-release-gcc build-release-clang; do
  echo "== C tests ($dir)"
  ctest --test-dir "$dir" --output-on-failure -j 2
done
echo "== libFuzzer: every fuzz/fuzz_*.c for 60 s (build-fuzz)"
./scripts/fuzz.sh 60
echo "== Python tests of bad and real input against the AddressSanitizer + UBSan build"
MSIZ_BUILD_DIR="$PWD/build-asan" .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/python/test_imzml_edge_cases.py tests/python/test_imzml_forgiving.py \
  tests/python/test_bruker_hostile.py tests/python/test_metadata_keys.py \
  tests/python/test_convert_files.py
echo "== Python tests (real readers)"
MSIZ_BUILD_DIR="$PWD/build" .venv/bin/python -m pytest tests/python -q -p no:cacheprovider "$@"
