/* Internals of the external-memory transpose shared by transpose.c (buffer, in-memory sort,
 * sorted runs) and transpose_raw.c (raw spill with recursive column-range distribution, used
 * when the budget is too small for runs to pay for their per-column offsets). */
#ifndef MSIZ_SPARSE_TRANSPOSE_INTERNAL_H
#define MSIZ_SPARSE_TRANSPOSE_INTERNAL_H

#include <string.h>

#include "io/spill.h"
#include "sparse/transpose.h"

typedef struct msiz_tr_entry {
    uint32_t row;
    uint32_t col;
    double val;
} msiz_tr_entry;

/* The entries of the current run, grouped by column range as they arrive
 * (transpose_buffer.c). Group g holds the columns [g << shift, (g + 1) << shift) in blocks of
 * MSIZ_TR_BLOCK items chained in arrival order, so rows stay ascending within a group and a
 * group can be counting-sorted by column with its few hundred write positions in cache (one
 * sort over all columns scatters every entry to a cache miss).
 *
 * An entry is one 8-byte item when its value is exactly a float32 (any float32 intensity that
 * did not collide with another peak in its bin): bits 0-30 hold (row - row0) << shift | the
 * column's offset in its group, bits 32-63 the float32. Otherwise bit 31 is set and the next
 * item of the same block holds the float64. So a run holds twice the entries of a plain
 * (row, column, value) buffer, and pea-like data stay in memory at the default limit. */
#define MSIZ_TR_BLOCK 512

typedef struct msiz_tr_buffer {
    uint64_t *pool; /* blocks of items, allocated as they are needed */
    int32_t *next;  /* per block: the group's next block, -1 after its last */
    uint16_t *len;  /* per block: items in it (a wide entry never straddles two blocks) */
    uint32_t used, allocated, max_blocks;
    uint32_t n_groups, shift;
    uint64_t n_cols;
    int32_t *head, *tail; /* per group: first and last block, -1 when empty */
    uint32_t row0;        /* rows row0 .. row0 + row_limit - 1 fit in an item */
    uint64_t row_limit;
    size_t n; /* entries */
    /* sorting: one unit (a column range of a group) at a time */
    int32_t *rows;
    double *vals;
    size_t temp_cap;   /* entries a unit may hold (a single column may exceed it) */
    size_t temp_alloc; /* entries rows/vals hold now */
} msiz_tr_buffer;

/* cap_bytes: blocks; temp_entries: the sort's units (12 bytes each). */
msiz_status msiz_tr_buffer_init(msiz_tr_buffer *b, uint64_t n_cols, size_t cap_bytes,
                                size_t temp_entries);
void msiz_tr_buffer_destroy(msiz_tr_buffer *b);
/* Empties the buffer (its blocks are kept for the next run). */
void msiz_tr_buffer_clear(msiz_tr_buffer *b);
/* Gives back the blocks and the sort buffers (before the merge takes the budget). */
void msiz_tr_buffer_release(msiz_tr_buffer *b);
/* Whether row fits in the buffer's items (else the buffer must be spilled first). */
static inline int msiz_tr_buffer_fits_row(const msiz_tr_buffer *b, uint32_t row)
{
    return b->n == 0 || (uint64_t)(row - b->row0) < b->row_limit;
}
/* Slow path of msiz_tr_buffer_push: a new block for group g. MSIZ_END when the buffer is full
 * (the caller spills and clears it), MSIZ_E_NOMEM. */
msiz_status msiz_tr_buffer_new_block(msiz_tr_buffer *b, uint32_t g);

static inline msiz_status msiz_tr_buffer_push(msiz_tr_buffer *b, uint32_t row, uint32_t col,
                                              double val)
{
    uint32_t g = col >> b->shift;
    float f = (float)(val >= -3.4028234663852886e38 && val <= 3.4028234663852886e38 ? val : 0.0);
    double back = (double)f;
    uint64_t vbits, bbits;
    uint32_t fbits;
    memcpy(&vbits, &val, 8);
    memcpy(&bbits, &back, 8);
    memcpy(&fbits, &f, 4);
    int wide = vbits != bbits;
    if (b->n == 0)
        b->row0 = row;
    int32_t k = b->tail[g];
    if (k < 0 || b->len[k] + 1 + wide > MSIZ_TR_BLOCK) {
        msiz_status status = msiz_tr_buffer_new_block(b, g);
        if (status != MSIZ_OK)
            return status;
        k = b->tail[g];
    }
    uint64_t key = ((uint64_t)(row - b->row0) << b->shift) | (col & ((1u << b->shift) - 1));
    uint64_t *it = b->pool + (size_t)k * MSIZ_TR_BLOCK + b->len[k];
    if (wide) {
        it[0] = key | 0x80000000u;
        it[1] = vbits;
    } else {
        it[0] = key | (uint64_t)fbits << 32;
    }
    b->len[k] = (uint16_t)(b->len[k] + 1 + wide);
    b->n++;
    return MSIZ_OK;
}

/* Receives one sorted unit: columns [lo, hi) with entries rows/vals[0 .. n); prefix[c] (for c
 * in [lo, hi)) is base + the offset of column c's first entry. */
typedef msiz_status (*msiz_tr_unit_fn)(void *ctx, uint64_t lo, uint64_t hi, uint64_t base,
                                       const uint64_t *prefix, const int32_t *rows,
                                       const double *vals, size_t n);

/* Sorts the buffer by column, unit by unit in column order (each group, split where its
 * entries exceed the sort buffers; a column is never split), rows ascending within a column;
 * every group is visited, empty ones too. prefix (n_cols + 1 values) ends as the run's column
 * starts (prefix[n_cols] = n); counts[c] (when not NULL) grows by column c's entries. */
msiz_status msiz_tr_buffer_sort(msiz_tr_buffer *b, uint64_t *prefix, uint64_t *counts,
                                msiz_tr_unit_fn fn, void *ctx);
/* Appends the entries to f as (row, col, value) group by group, each in arrival order (rows
 * ascend within every column of the file); counts[c] grows by column c's entries. */
msiz_status msiz_tr_buffer_write(const msiz_tr_buffer *b, msiz_spill_file *f, uint64_t *counts);

/* A run in the spill file: its units ("pieces") one after another, each its row ids then its
 * values, then the run's column starts (u64[n_cols + 1]). */
typedef struct msiz_tr_piece {
    uint64_t col;   /* first column */
    uint64_t first; /* first entry (run-relative) */
} msiz_tr_piece;

typedef struct msiz_tr_run {
    uint64_t offset; /* byte offset of the run in the spill file */
    uint64_t n;      /* entries */
    msiz_tr_piece *pieces;
    size_t n_pieces, pieces_cap;
} msiz_tr_run;

struct msiz_transpose {
    uint64_t n_cols;
    uint64_t *counts; /* entries per column of the spilled runs (all rows from finish on) */
    size_t budget;
    int run_mode; /* spill sorted runs (1) or raw entries (0) */
    msiz_tr_buffer buf;
    int64_t last_row;
    uint64_t nnz, spilled_bytes;
    msiz_spill *spill;     /* where files go (borrowed) */
    msiz_spill_file *file; /* the runs (run mode) or the raw entries (raw mode) */
    uint64_t *prefix;      /* n_cols + 1 column offsets (runs and blocks) */
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
