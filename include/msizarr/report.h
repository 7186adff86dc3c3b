/*
 * The QC report of a store: one self-contained HTML page (no script, nothing fetched, images
 * embedded as PNG data URIs) with a summary of the store, the TIC image of every plane, the
 * average spectrum with its top peaks marked, and an ion image of each of those peaks.
 * `msizarr report` runs it; a conversion writes the same page, with the facts only the
 * conversion knows (warnings, memory, time, why the mass axis was chosen), when
 * msiz_convert_opts.report is set. docs/usage.md "QC report" describes the page.
 *
 *   msiz_report_opts o; msiz_report_opts_init(&o);
 *   o.ions = 20;
 *   if (msiz_report_store("run.zarr", "run.report.html", &o) < 0) -> msiz_last_error()
 *
 * Stable API (docs/api.md): msiz_report_opts starts with struct_size, set by the init function
 * from the caller's sizeof, so it may grow at its end in later releases.
 */
#ifndef MSIZARR_REPORT_H
#define MSIZARR_REPORT_H

#include <stddef.h>

#include "msizarr/msizarr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct msiz_report_opts {
    size_t struct_size; /* sizeof(msiz_report_opts) as the caller sees it: set by init */
    size_t ions;        /* ion images per table: the top peaks of the average spectrum (12) */
    int overwrite;      /* replace an earlier msizarr report at the page's path (0) */
    int reserved0;      /* keep 0 */
} msiz_report_opts;

/* Fills the defaults into a caller's struct of `struct_size` bytes and records the size; call
 * it through msiz_report_opts_init. */
MSIZ_API void msiz_report_opts_init_sized(msiz_report_opts *opts, size_t struct_size);

static inline void msiz_report_opts_init(msiz_report_opts *opts)
{
    msiz_report_opts_init_sized(opts, sizeof *opts);
}

/* Writes the QC report of the SpatialData store at `store` (one msizarr wrote, zarr v2 or v3)
 * to `html`, reading the store with the library and leaving it unchanged. The page appears
 * only when complete; an existing html is replaced only when it is a regular file that is an
 * earlier msizarr report (the generator mark in its head, docs/robustness.md) and overwrite is
 * set. opts NULL: defaults. Errors: MSIZ_E_NOTFOUND (no store, a table without its TIC image),
 * MSIZ_E_EXISTS (html exists and is not an earlier report, or not overwrite), MSIZ_E_ARG (html
 * inside the store or a folder, more than 100 ions, struct_size of no release), MSIZ_E_FORMAT /
 * MSIZ_E_UNSUPPORTED (a store this reader cannot read), MSIZ_E_IO. */
MSIZ_API MSIZ_NODISCARD msiz_status msiz_report_store(const char *store, const char *html,
                                                      const msiz_report_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
