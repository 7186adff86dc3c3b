#!/bin/sh
# Every symbol the shared library exports starts with msiz_ (the rest is hidden or static).
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk 'NF == 3 && $2 ~ /[TDBRV]/ {print $3}' | grep -v '^msiz_')
count=$(nm -D --defined-only "$lib" | awk 'NF == 3 && $2 ~ /[TDBRV]/' | grep -c '^.* msiz_')
if [ -n "$bad" ]; then
  echo "exported symbols without the msiz_ prefix:"
  echo "$bad"
  exit 1
fi
echo "$count exported symbols, all msiz_"
[ "$count" -gt 20 ]
