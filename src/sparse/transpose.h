/*
 * External-memory transpose for building CSC from rows: rows arrive in ascending order with
 * their (column, value) entries; columns come out in ascending order with row ids ascending.
 *
 * Entries are held in memory up to a budget (8 bytes each when the value is a float32, 16
 * otherwise); beyond it each full buffer is sorted by column and written as a run to a temporary
 * file; at the end, blocks of columns that fit the budget are
 * read back from every run in run order and counting-sorted (stable, so row ids stay
 * ascending). Every spilled entry is written once and read once (12 bytes, plus 8 bytes per
 * column per run). The result is the same whatever the budget. Spilled files live in the run's
 * spill folder (io/spill.h) and are deleted by msiz_transpose_free on every path.
 */
#ifndef MSIZ_SPARSE_TRANSPOSE_H
#define MSIZ_SPARSE_TRANSPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "io/spill.h"
#include "msizarr/msizarr.h"

typedef struct msiz_transpose msiz_transpose;

/* n_cols columns; `budget` bytes for entry buffers (at least 256 KiB is used); files beyond it go
 * to `spill` (borrowed: it must outlive the transpose). */
MSIZ_NODISCARD msiz_status msiz_transpose_new(uint64_t n_cols, size_t budget, msiz_spill *spill,
                                              msiz_transpose **out);

/* Adds one row: rows must be added in strictly ascending order; cols ascending within a row. */
MSIZ_NODISCARD msiz_status msiz_transpose_add_row(msiz_transpose *t, uint32_t row,
                                                  const uint32_t *cols, const double *vals,
                                                  size_t n);

/* Receives column `col` (0 .. n_cols-1, in order, empty ones included). */
typedef msiz_status (*msiz_column_fn)(void *ctx, uint64_t col, const int32_t *rows,
                                      const double *vals, size_t n);

/* Emits every column in order through fn. Call once. */
MSIZ_NODISCARD msiz_status msiz_transpose_finish(msiz_transpose *t, msiz_column_fn fn, void *ctx);

/* Entries added so far; bytes spilled to disk so far (0 when everything stayed in memory). */
uint64_t msiz_transpose_nnz(const msiz_transpose *t);
uint64_t msiz_transpose_spilled_bytes(const msiz_transpose *t);

/* Stored entries per column (n_cols values; complete once msiz_transpose_finish returned). */
const uint64_t *msiz_transpose_column_counts(const msiz_transpose *t);

/* Frees memory and removes temporary files; NULL is fine. */
void msiz_transpose_free(msiz_transpose *t);

#endif
