/* Internals of the external-memory transpose shared by transpose.c (buffer, in-memory sort,
 * sorted runs) and transpose_raw.c (raw spill with recursive column-range distribution, used
 * when the budget is too small for runs to pay for their per-column offsets). */
#ifndef MSIZ_SPARSE_TRANSPOSE_INTERNAL_H
#define MSIZ_SPARSE_TRANSPOSE_INTERNAL_H

#include "io/spill.h"
#include "sparse/transpose.h"

typedef struct msiz_tr_entry {
    uint32_t row;
    uint32_t col;
    double val;
} msiz_tr_entry;

typedef struct msiz_tr_run {
    uint64_t offset; /* byte offset of the run in the spill file */
    uint64_t n;      /* entries */
} msiz_tr_run;

struct msiz_transpose {
    uint64_t n_cols;
    uint64_t *counts; /* entries per column, all rows */
    size_t budget;
    size_t cap;   /* entries buffered before a spill (28 bytes each) */
    int run_mode; /* spill sorted runs (1) or raw entries (0) */
    msiz_tr_entry *buf;
    size_t n_buf, buf_capacity;
    int64_t last_row;
    uint64_t nnz, spilled_bytes;
    msiz_spill *spill;     /* where files go (borrowed) */
    msiz_spill_file *file; /* the runs (run mode) or the raw entries (raw mode) */
    /* run mode */
    int32_t *run_rows; /* sort output of one run (cap entries) */
    double *run_vals;
    uint64_t *prefix; /* n_cols + 1 column offsets (runs and blocks) */
    msiz_tr_run *runs;
    size_t n_runs, runs_capacity;
};

/* Counting sort of the entries of columns [lo, hi) by column into rows/vals; entries are put in
 * row order, so rows stay ascending within each column. 12 bytes per entry plus the offsets. */
typedef struct msiz_sorter {
    uint64_t lo, span;
    uint64_t *start;
    int32_t *rows;
    double *vals;
} msiz_sorter;

msiz_status msiz_sorter_init(const msiz_transpose *t, msiz_sorter *so, size_t n, uint64_t lo,
                             uint64_t hi);
void msiz_sorter_free(msiz_sorter *so);
/* Emits columns lo .. hi-1 once every entry was put. */
msiz_status msiz_sorter_emit(const msiz_transpose *t, msiz_sorter *so, msiz_column_fn fn,
                             void *ctx);

static inline void msiz_sorter_put(msiz_sorter *so, uint64_t col, int32_t row, double val)
{
    uint64_t slot = so->start[col - so->lo]++;
    so->rows[slot] = row;
    so->vals[slot] = val;
}

/* transpose_raw.c: appends the buffer to the raw spill file / emits every column from it. */
msiz_status msiz_transpose_spill_raw(msiz_transpose *t);
msiz_status msiz_transpose_emit_raw(msiz_transpose *t, msiz_column_fn fn, void *ctx);

#endif
