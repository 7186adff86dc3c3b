#!/bin/sh
# The C API contract, checked on the built libraries:
#  1. libmsizarr.so exports exactly what the public headers declare MSIZ_API (every header under
#     INCLUDE_DIR, today's and tomorrow's): nothing declared is missing (a program using it would
#     fail to link), nothing undeclared leaks out;
#  2. the static archive defines no global symbol outside the msiz_ namespace (a program linking
#     it must keep every other name for itself).
# usage: check_exports.sh libmsizarr.so libmsizarr.a INCLUDE_DIR
set -eu
so=$1
archive=$2
include=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Declared: comments and preprocessor lines removed, the text cut into declarations at ';', '{'
# and '}'; each declaration holding the MSIZ_API token gives the identifier before its own '('
# (a function; attribute macros such as MSIZ_PRINTF(2, 3) removed first) or before ';', '[' or
# '=' (an object).
find "$include" -name '*.h' | sort | xargs cat | awk '
    {
        line = $0
        if (continued) { continued = (line ~ /\\$/); next }
        res = ""
        while (line != "") {
            if (in_comment) {
                p = index(line, "*/")
                if (!p) { line = ""; break }
                line = substr(line, p + 2); in_comment = 0; res = res " "
                continue
            }
            p = index(line, "/*"); q = index(line, "//")
            if (q && (!p || q < p)) { res = res substr(line, 1, q - 1); break }
            if (!p) { res = res line; break }
            res = res substr(line, 1, p - 1); line = substr(line, p + 2); in_comment = 1
        }
        if (res ~ /^[ \t]*#/) { continued = (res ~ /\\[ \t]*$/); next }
        print res
    }' | tr '\n;{}' ' \n\n\n' | awk '
    /(^|[^A-Za-z0-9_])MSIZ_API([^A-Za-z0-9_]|$)/ {
        s = $0
        gsub(/__attribute__[ \t]*\(\([^()]*(\([^()]*\)[^()]*)*\)\)/, " ", s)
        gsub(/MSIZ_[A-Z0-9_]+[ \t]*\([^()]*\)/, " ", s)
        p = index(s, "(")
        if (p) s = substr(s, 1, p - 1)
        else sub(/[[=].*/, "", s)
        n = split(s, w, /[^A-Za-z0-9_]+/)
        while (n > 0 && w[n] == "") n--
        print (n > 0 ? w[n] : "(unparsed: " $0 ")")
    }' | sort -u > "$tmp/declared"

nm -D --defined-only "$so" | awk 'NF == 3 && $2 ~ /^[A-Z]$/ {print $3}' | sort -u > "$tmp/exported"
nm -g --defined-only "$archive" | awk 'NF == 3 && $2 ~ /^[A-Z]$/ && $3 !~ /^msiz_/ {print $3}' |
    sort -u > "$tmp/unprefixed"

status=0
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
if [ -n "$missing" ]; then
    echo "declared MSIZ_API in $include but not exported by $so:"
    echo "$missing"
    status=1
fi
if [ -n "$extra" ]; then
    echo "exported by $so but not declared MSIZ_API in $include:"
    echo "$extra"
    status=1
fi
if [ -s "$tmp/unprefixed" ]; then
    echo "global symbols of $archive without the msiz_ prefix:"
    cat "$tmp/unprefixed"
    status=1
fi
declared=$(wc -l < "$tmp/declared")
if [ "$declared" -lt 20 ]; then
    echo "only $declared MSIZ_API declarations found in $include: the header scan is broken"
    status=1
fi
[ "$status" -ne 0 ] || echo "$declared MSIZ_API declarations, all exported and nothing else;" \
    "the static archive's global symbols are all msiz_"
exit $status
