/* A minimal streaming Parquet writer: one row group of REQUIRED BYTE_ARRAY columns, written one
 * column after the other as PLAIN data pages (v1) of about `page_bytes`, each compressed on its
 * own; FileMetaData footer at the end. Memory stays around two pages whatever the row count.
 *
 *   msiz_pq_writer_open(path, cols, n, &opts, &w);
 *   for each column c in order: msiz_pq_column_begin(w, c); msiz_pq_append(...)...;
 *                               msiz_pq_column_end(w);
 *   msiz_pq_writer_finish(w, kv, n_kv);  msiz_pq_writer_free(w);
 *
 * Errors are sticky: after the first failure every call returns it. Freeing a writer that did
 * not finish removes the partial file. One writer per thread. */
#ifndef MSIZ_PARQUET_PARQUET_FILE_H
#define MSIZ_PARQUET_PARQUET_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "msizarr/compression.h"
#include "parquet/parquet_meta.h"

#define MSIZ_PQ_MAX_COLUMNS     64
#define MSIZ_PQ_MAX_PAGE_BYTES  ((size_t)256 << 20) /* page_bytes limit (int32 page sizes) */
#define MSIZ_PQ_MAX_VALUE_BYTES ((size_t)64 << 20)  /* one value's limit */

typedef struct msiz_pq_column_spec {
    const char *name; /* copied */
    int utf8;         /* nonzero: STRING logical type */
} msiz_pq_column_spec;

typedef struct msiz_pq_writer_opts {
    msiz_parquet_codec codec; /* page codec (page_codec.h) */
    int level;                /* MSIZ_LEVEL_DEFAULT or a codec level (zstd, gzip) */
    size_t page_bytes;        /* target uncompressed page size, 1 .. MSIZ_PQ_MAX_PAGE_BYTES */
    const char *created_by;   /* footer created_by (copied); NULL: "msizarr version <v>" */
} msiz_pq_writer_opts;

typedef struct msiz_pq_writer msiz_pq_writer;

/* SNAPPY, default level, 1 MiB pages, created_by NULL. */
void msiz_pq_writer_opts_init(msiz_pq_writer_opts *o);

/* Creates (truncates) `path` and writes the leading magic. *out = NULL on failure.
 * MSIZ_E_ARG for bad options or columns, MSIZ_E_IO naming the path. */
MSIZ_NODISCARD msiz_status msiz_pq_writer_open(const char *path, const msiz_pq_column_spec *cols,
                                               size_t n_cols, const msiz_pq_writer_opts *o,
                                               msiz_pq_writer **out);

/* Starts column `col`; columns must come in order 0, 1, ... (else MSIZ_E_STATE). */
MSIZ_NODISCARD msiz_status msiz_pq_column_begin(msiz_pq_writer *w, size_t col);

/* Appends one value to the current column; a full page is compressed and written first. */
MSIZ_NODISCARD msiz_status msiz_pq_append(msiz_pq_writer *w, const void *data, size_t len);

/* Writes the last page (an empty page if the column has no value) and closes the column. */
MSIZ_NODISCARD msiz_status msiz_pq_column_end(msiz_pq_writer *w);

/* After all columns (each with the same number of values): writes the footer with the
 * key-value metadata (copied as given), the trailing magic, and closes the file. */
MSIZ_NODISCARD msiz_status msiz_pq_writer_finish(msiz_pq_writer *w, const msiz_pq_kv *kv,
                                                 size_t n_kv);

/* Frees the writer (NULL is fine); removes the file unless finish succeeded. */
void msiz_pq_writer_free(msiz_pq_writer *w);

#endif
