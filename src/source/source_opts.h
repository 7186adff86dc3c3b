/* Reading a caller's msiz_source_opts, whatever release's layout it has (docs/api.md). */
#ifndef MSIZ_SOURCE_OPTS_H
#define MSIZ_SOURCE_OPTS_H

#include "msizarr/source.h"

/* 1 when `size` is the struct_size of some release's msiz_source_opts. */
int msiz_source_opts_size_ok(size_t size);

/* Copies the caller's options (`in`, NULL: none) into `out`, a current-layout struct, with
 * defaults for the members beyond in->struct_size. MSIZ_E_ARG when that size matches no
 * layout. */
msiz_status msiz_source_opts_load(msiz_source_opts *out, const msiz_source_opts *in);

#endif
