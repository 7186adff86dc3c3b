#!/bin/sh
# Include rules of docs/architecture.md and docs/api.md, checked on the sources:
#  - only the store (src/store) talks to the zarr and GeoParquet writers and reader: no other
#    library, CLI, bench or fuzz file includes their internal headers (unit tests may);
#  - the store's internals stay in src/store; its reader (store/store_read.h) serves only the
#    QC report (src/report), whose own API (report/report.h) serves only the converter;
#  - the CLI and the Python binding (python/src) use the stable API only: no experimental
#    header (axis.h, store.h, experimental.h);
#  - a stable header never includes an experimental one.
root="${1:-.}"
cd "$root" || exit 2
status=0
report() { # message, offending lines
  if [ -n "$2" ]; then
    echo "$1:"
    echo "$2"
    status=1
  fi
}

for writer in zarr parquet; do
  found=$(grep -rnE "#include *\"$writer/" src tools bench fuzz | grep -vE "^src/(store|$writer)/")
  report "src/$writer headers included outside src/store and src/$writer" "$found"
done

store_inside=$(grep -rnE '#include *"store/store_(internal|table|read_internal)\.h"' src tools bench fuzz |
  grep -vE '^src/store/')
report "store internals included outside src/store" "$store_inside"
reader=$(grep -rnE '#include *"store/store_read\.h"' src tools bench fuzz | grep -vE '^src/(store|report)/')
report "the store reader included outside src/store and src/report" "$reader"
report_api=$(grep -rnE '#include *"report/report\.h"' src tools bench fuzz |
  grep -vE '^src/(report|convert)/')
report "the report's internal API included outside src/report and src/convert" "$report_api"
report_inside=$(grep -rnE '#include *"report/report_(internal|handle)\.h"' src tools bench fuzz |
  grep -vE '^src/report/')
report "report internals included outside src/report" "$report_inside"

experimental='msizarr/(axis|store|experimental)\.h'
cli=$(grep -rnE "#include *[<\"]$experimental" tools python/src)
report "the CLI or the Python binding includes experimental headers" "$cli"

stable=$(grep -nE "#include *[<\"]$experimental" include/msizarr/msizarr.h \
  include/msizarr/source.h include/msizarr/convert.h include/msizarr/compression.h \
  include/msizarr/report.h)
report "stable headers include experimental ones" "$stable"

[ $status -eq 0 ] && echo "include rules hold"
exit $status
