#!/bin/sh
# Installs the build into a scratch prefix, then compiles and runs small programs against the
# installed shared library through pkg-config: each stable header is self-contained, the
# library converts a bundled file, the headers' version is the library's, and the experimental
# header works only for a program that defines MSIZ_EXPERIMENTAL (docs/api.md).
set -eu
build="$1"
data="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig"
flags=$(pkg-config --cflags --libs msizarr)
libdir=$(pkg-config --variable=libdir msizarr)
cc_ok() { # source file, output: compile warning-free against the installed headers
  cc -std=c11 -Wall -Wextra -Werror -o "$2" "$1" $flags
}

for h in msizarr source convert compression report; do
  printf '#include <msizarr/%s.h>\nint main(void) { return 0; }\n' "$h" > "$tmp/only_$h.c"
  cc_ok "$tmp/only_$h.c" "$tmp/only_$h"
  if command -v c++ >/dev/null; then # the inline init functions are C++-clean too
    c++ -x c++ -Wall -Wextra -Werror -c -o "$tmp/only_$h.o" "$tmp/only_$h.c" $(pkg-config --cflags msizarr)
  fi
done

cat > "$tmp/use.c" <<'C'
#include <msizarr/convert.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    char built[32];
    snprintf(built, sizeof built, "%d.%d.%d", MSIZ_VERSION_MAJOR, MSIZ_VERSION_MINOR,
             MSIZ_VERSION_PATCH);
    if (msiz_version_number() != MSIZ_VERSION_NUMBER || strcmp(msiz_version(), built) != 0) {
        fprintf(stderr, "headers %s (%d), library %s (%u)\n", built, MSIZ_VERSION_NUMBER,
                msiz_version(), msiz_version_number());
        return 1;
    }
    (void)argc;
    msiz_tune_allocator(); /* every MSIZ_API function links (tests/check_exports.sh checks all) */
    msiz_convert_opts o;
    msiz_convert_opts_init(&o);
    o.threads = 1;
    msiz_convert_summary s;
    msiz_convert_summary_init(&s);
    msiz_status st = msiz_convert(argv[1], argv[2], &o, &s);
    if (st < 0) {
        fprintf(stderr, "%s\n", msiz_last_error());
        return 1;
    }
    printf("%llu pixels %llu bins\n", (unsigned long long)s.pixels, (unsigned long long)s.bins);
    return s.pixels == 9 ? 0 : 1;
}
C
cc_ok "$tmp/use.c" "$tmp/use"
LD_LIBRARY_PATH="$libdir" "$tmp/use" "$data/imzml-org_examples/Example_Processed.imzML" "$tmp/out.zarr"
test -f "$tmp/out.zarr/zarr.json"

cat > "$tmp/experimental.c" <<'C'
#include <msizarr/experimental.h>

int main(void)
{
    double axis[3];
    if (msiz_axis_build(MSIZ_AXIS_CONSTANT, 100.0, 200.0, 3, axis) != MSIZ_OK)
        return 1;
    msiz_binner *b = NULL;
    if (msiz_binner_new(axis, 3, NULL, &b) != MSIZ_OK)
        return 1;
    int64_t bin = msiz_binner_lookup(b, 149.0);
    msiz_binner_free(b);
    return bin == 1 ? 0 : 1;
}
C
if cc -std=c11 -o "$tmp/experimental" "$tmp/experimental.c" $flags 2>"$tmp/err"; then
  echo "experimental.h compiled without MSIZ_EXPERIMENTAL"
  exit 1
fi
grep -q MSIZ_EXPERIMENTAL "$tmp/err"
cc -std=c11 -Wall -Wextra -Werror -DMSIZ_EXPERIMENTAL -o "$tmp/experimental" "$tmp/experimental.c" \
  $flags
LD_LIBRARY_PATH="$libdir" "$tmp/experimental"

test -x "$tmp/prefix/bin/msizarr"
test -f "$tmp/prefix/share/man/man1/msizarr.1"
