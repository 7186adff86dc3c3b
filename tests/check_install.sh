#!/bin/sh
# Installs the build into a scratch prefix, then compiles and runs a small program against the
# installed shared library through pkg-config: the public headers are self-contained and the
# library converts a bundled file.
set -eu
build="$1"
data="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig"
cat > "$tmp/use.c" <<'C'
#include <msizarr/convert.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    msiz_convert_opts o;
    msiz_convert_opts_init(&o);
    o.threads = 1;
    msiz_convert_summary s;
    msiz_status st = msiz_convert(argv[1], argv[2], &o, &s);
    if (st < 0) {
        fprintf(stderr, "%s\n", msiz_last_error());
        return 1;
    }
    printf("%llu pixels %llu bins\n", (unsigned long long)s.pixels, (unsigned long long)s.bins);
    return s.pixels == 9 ? 0 : 1;
}
C
cc -std=c11 -Wall -Werror -o "$tmp/use" "$tmp/use.c" $(pkg-config --cflags --libs msizarr)
libdir=$(pkg-config --variable=libdir msizarr)
LD_LIBRARY_PATH="$libdir" "$tmp/use" "$data/imzml-org_examples/Example_Processed.imzML" "$tmp/out.zarr"
test -f "$tmp/out.zarr/zarr.json"
test -x "$tmp/prefix/bin/msizarr"
test -f "$tmp/prefix/share/man/man1/msizarr.1"
