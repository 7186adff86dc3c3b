/*
 * The QC report (internal API): one self-contained HTML page describing a store — summary
 * facts, warnings and checks, how to open the store, and for every table its TIC image(s), the
 * average spectrum with its top peaks marked and an ion image for each peak. Fed by the
 * converter with the data in flight (src/convert/convert_report.c) or by msiz_report_store
 * from a store on disk (src/report/report_store.c).
 *
 *   msiz_report_new(html, store, &cfg, &r)
 *     msiz_report_fact / _warning / _check / _note / _metadata   (any time before write)
 *     per table: msiz_report_table_begin(r, &t)
 *                  msiz_report_ion_of(r, bin) -> slot; msiz_report_ion_add(r, slot, row, v)
 *                msiz_report_table_end(r)       (renders the table's section)
 *     msiz_report_write(r)                      (the page, into a temporary folder)
 *     msiz_report_commit(r)                     (renamed into place)
 *   msiz_report_free(r)                         (removes whatever was not committed)
 *
 * Memory: per table, the image views (at most 1024 x 1024 cells for a TIC image, 512 x 512 per
 * ion image) and the PNG text of that table; sections go to a spill file as they are done.
 */
#ifndef MSIZ_REPORT_REPORT_H
#define MSIZ_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "msizarr/msizarr.h"
#include "msizarr/store.h"

/* Most ion images per table. */
#define MSIZ_REPORT_MAX_IONS 100

typedef struct msiz_report msiz_report;

typedef struct msiz_report_config {
    size_t ions;               /* ion images per table (top peaks of the average spectrum) */
    int overwrite;             /* replace an earlier report at the page's path */
    const char *const *inputs; /* the paths the run reads (never replaced), n_inputs of them */
    size_t n_inputs;
} msiz_report_config;

/* Starts a report to be written at `html_path` about the store at `store_path`. Refuses a path
 * inside the store (MSIZ_E_ARG: the report never changes the store) and an existing entry
 * unless it is a regular file that is recognisably an earlier msizarr QC report, is none of
 * cfg->inputs nor inside one of them, and cfg->overwrite is set (MSIZ_E_EXISTS; a folder:
 * MSIZ_E_ARG). Checked again by msiz_report_commit. Then removes what killed runs left beside
 * the page and creates the page's temporary folder, ".<page>.tmp-PID-N", marked as this run's
 * (io/owner.h): it holds the page and its table sections until commit, and goes with free. */
MSIZ_NODISCARD msiz_status msiz_report_new(const char *html_path, const char *store_path,
                                           const msiz_report_config *cfg, msiz_report **out);
void msiz_report_free(msiz_report *r); /* NULL is fine */

/* Bytes the report holds while a table of this grid is open (the converter's memory plan). */
size_t msiz_report_table_bytes(int32_t n_x, int32_t n_y, size_t ions);

/* One table as the report sees it; the pointers must stay valid until msiz_report_table_end. */
typedef struct msiz_report_table {
    const char *name;      /* table name, e.g. "msi_dataset_z0" */
    int32_t n_x, n_y, n_z; /* grid of its TIC image (n_z > 1: a volume) */
    int z_first;           /* z of the first plane (for labels) */
    const double *tic;     /* n_z * n_y * n_x, C order */
    const int64_t *cells;  /* per row: z * n_y * n_x + y * n_x + x within the grid */
    uint64_t n_rows;
    const double *mz;      /* n_bins, ascending */
    const double *average; /* n_bins (uns/average_spectrum) */
    uint64_t n_bins;
    double pixel_size_um; /* 0 when unknown */
    int exact_mz;         /* 1: bins are exact m/z values (no resampling) */
} msiz_report_table;

MSIZ_NODISCARD msiz_status msiz_report_table_begin(msiz_report *r, const msiz_report_table *t);
/* Ion image slot of `bin` in the open table, or -1. */
int msiz_report_ion_of(const msiz_report *r, uint64_t bin);
/* Adds the value of row `row` to ion image `slot` (rows outside the table are ignored). */
void msiz_report_ion_add(msiz_report *r, int slot, uint64_t row, double value);
/* The number of ion images of the open table. */
size_t msiz_report_ions(const msiz_report *r);
MSIZ_NODISCARD msiz_status msiz_report_table_end(msiz_report *r);

/* Fills the open table's ion images from X of table `table` of a store being written (its
 * arrays finished): one read front to back (CSR) or one column per ion (CSC). */
MSIZ_NODISCARD msiz_status msiz_report_ions_from_store(msiz_report *r, const msiz_store *s,
                                                       const char *table,
                                                       msiz_sparse_format format);

/* A row of the summary table: label and value (plain text, escaped when written). */
void msiz_report_fact(msiz_report *r, const char *label, const char *fmt, ...) MSIZ_PRINTF(3, 4);
/* A warning; the same text again counts up. */
void msiz_report_warning(msiz_report *r, const char *message);
/* A check of the input ("passed", "warning", "failed", ...). */
void msiz_report_check(msiz_report *r, const char *status, const char *name, const char *detail);
/* A paragraph above the summary. */
void msiz_report_note(msiz_report *r, const char *fmt, ...) MSIZ_PRINTF(2, 3);
/* A JSON text shown pretty-printed in a collapsed block titled `title`. */
void msiz_report_metadata(msiz_report *r, const char *title, const char *json_text);

/* A byte count for people: "512 B", "41.6 MiB". */
void msiz_fmt_bytes(char *out, size_t size, uint64_t bytes);

/* Writes the page into the temporary folder beside its path. */
MSIZ_NODISCARD msiz_status msiz_report_write(msiz_report *r);
/* Moves the written page into place. */
MSIZ_NODISCARD msiz_status msiz_report_commit(msiz_report *r);

#endif
