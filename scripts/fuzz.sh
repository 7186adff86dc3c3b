#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/fuzz_*.c) for SECONDS each (default 60): builds them with
# clang, -fsanitize=fuzzer,address,undefined, into build-fuzz/, and fuzzes each over a copy of
# its corpus (fuzz/corpus/<name>/, with fuzz/<name>.dict when present). Fails when any target
# finds a crash, a leak, a sanitizer report, a slow input (-timeout) or runaway memory
# (-rss_limit_mb, -malloc_limit_mb); the input is kept in build-fuzz/findings/<name>/. Reproduce
# with build-fuzz/<name> FILE; add the file to fuzz/corpus/<name>/ with the fix.
#
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=$(nproc 2>/dev/null || echo 2)
CC=${FUZZ_CC:-clang} cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMSIZ_LIBFUZZER=ON -DMSIZ_WERROR=ON -DMSIZ_BUILD_TESTS=OFF -DMSIZ_BUILD_TOOLS=OFF \
  -DMSIZ_BUILD_SHARED=OFF \
  >/dev/null
cmake --build build-fuzz -j "$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for src in fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  work=build-fuzz/corpus/$name findings=build-fuzz/findings/$name
  rm -rf "$work" "$findings"
  mkdir -p "$work" "$findings"
  [ -d "fuzz/corpus/$name" ] && cp -R "fuzz/corpus/$name/." "$work/"
  dict=()
  [ -f "fuzz/$name.dict" ] && dict=("-dict=fuzz/$name.dict")
  echo "== fuzz $name for ${seconds}s"
  if ! "build-fuzz/$name" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="$findings/" "$work" >"build-fuzz/$name.log" 2>&1; then
    tail -n 60 "build-fuzz/$name.log"
    echo "fuzz: $name found a problem; inputs in $findings/" >&2
    failed+=("$name")
  else
    grep -E "^(stat::number_of_executed_units|Done)" "build-fuzz/$name.log" || true
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
