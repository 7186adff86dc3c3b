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

/* The entries of the current run, grouped by column range as they arrive
 * (transpose_buffer.c). Group g holds the columns [g << shift, (g + 1) << shift) in blocks of
 * MSIZ_TR_BLOCK entries chained in arrival order, so rows stay ascending within a group and a
 * group can be counting-sorted by column with its few hundred write positions in cache (one
 * sort over all columns scatters every entry to a cache miss). */
#define MSIZ_TR_BLOCK 256

typedef struct msiz_tr_buffer {
    msiz_tr_entry *pool; /* blocks, allocated as they are needed */
    int32_t *next;       /* per block: the group's next block, -1 after its last */
    uint32_t used, allocated, max_blocks;
    uint32_t n_groups, shift;
    int32_t *head, *tail; /* per group: first and last block, -1 when empty */
    uint32_t *fill;       /* per group: entries in its last block */
    size_t n;             /* entries */
} msiz_tr_buffer;

msiz_status msiz_tr_buffer_init(msiz_tr_buffer *b, uint64_t n_cols, size_t cap);
void msiz_tr_buffer_destroy(msiz_tr_buffer *b);
/* Empties the buffer (its blocks are kept for the next run). */
void msiz_tr_buffer_clear(msiz_tr_buffer *b);
/* Gives back the blocks themselves (before the emit phase takes its share of the budget). */
void msiz_tr_buffer_release(msiz_tr_buffer *b);
/* Slow path of msiz_tr_buffer_push: a new block for group g. MSIZ_END when the buffer is full
 * (the caller spills and clears it), MSIZ_E_NOMEM. */
msiz_status msiz_tr_buffer_new_block(msiz_tr_buffer *b, uint32_t g);

static inline msiz_status msiz_tr_buffer_push(msiz_tr_buffer *b, uint32_t row, uint32_t col,
                                              double val)
{
    uint32_t g = col >> b->shift;
    if (b->fill[g] == MSIZ_TR_BLOCK) {
        msiz_status status = msiz_tr_buffer_new_block(b, g);
        if (status != MSIZ_OK)
            return status;
    }
    b->pool[(size_t)b->tail[g] * MSIZ_TR_BLOCK + b->fill[g]++] = (msiz_tr_entry){row, col, val};
    b->n++;
    return MSIZ_OK;
}

/* Counting sort of the buffer by column, group by group: rows/vals receive the entries (n of
 * them) in column order, rows ascending within a column; prefix[c] (n_cols + 1 values) the
 * start of column c; counts[c] (when not NULL) grows by column c's entries. */
void msiz_tr_buffer_sort(const msiz_tr_buffer *b, uint64_t n_cols, uint64_t *prefix, int32_t *rows,
                         double *vals, uint64_t *counts);
/* Adds column c's entries to counts[c]. */
void msiz_tr_buffer_count(const msiz_tr_buffer *b, uint64_t *counts);
/* Appends the entries to f group by group, each in arrival order (rows ascend within every
 * column of the file). */
msiz_status msiz_tr_buffer_write(const msiz_tr_buffer *b, msiz_spill_file *f);

typedef struct msiz_tr_run {
    uint64_t offset; /* byte offset of the run in the spill file */
    uint64_t n;      /* entries */
} msiz_tr_run;

struct msiz_transpose {
    uint64_t n_cols;
    uint64_t *counts; /* entries per column of the spilled runs (all rows from finish on) */
    size_t budget;
    size_t cap;   /* entries buffered before a spill (28 bytes each) */
    int run_mode; /* spill sorted runs (1) or raw entries (0) */
    msiz_tr_buffer buf;
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
